// Purpose: the one command registry that the CLI and the LLDB plugin share: one descriptor per
// command with its name, summary, options (one Boost.Program_options spec), positional arguments,
// run function, JSON schema file, llnode aliases and whether it compares two cores. The CLI's
// help and --list-commands, the plugin's commands and aliases, the schema tests and the docs'
// checks all read it. The frontends only supply the target (a Session), the output streams, and
// -- for commands that compare two cores -- how to open another core.
#pragma once
#include <any>
#include <boost/program_options.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "mortem/analysis/session.h"
#include "mortem/commands/llnode.h"
#include "mortem/core/error.h"
#include "mortem/elf/core_target.h"

namespace mortem::commands {

namespace po = boost::program_options;

struct Invocation {
  Session& session;
  Session* second = nullptr;  // commands with second_core: the other core's session
  bool force = false;         // the user accepted build-id mismatches (--force)
  const po::variables_map& options;
  bool json = false;
  std::ostream& out;
  std::ostream& err;
  // Commands with second_core: Node's threadId of the two isolates compared (unset: unknown).
  std::optional<uint64_t> thread_id = std::nullopt;
  // Set where the command's text covers several isolates and it has an overview: what the run
  // leaves there for Command::overview (e.g. its TriageResult).
  std::any* overview = nullptr;
};

// Which isolates a command describes. kEach: every heap command; it takes --isolate N|all
// (default all: one text section, one JSON "isolates" entry per isolate, rows tagged "isolate").
// kByAddress: like kEach, but an address given as the first positional selects the isolate whose
// heap holds it. kOne: one isolate, --isolate N (default 0, the main thread's; e.g. a snapshot
// file). kProcess: the command describes the process once (it may list isolates itself).
enum class IsolateScope { kEach, kByAddress, kOne, kProcess };

struct Command {
  std::string name;
  std::string summary;
  std::vector<std::string> positionals;  // after the target, e.g. {"address"}
  std::function<void(po::options_description&)> add_options;
  std::function<ExitCode(Invocation&)> run;
  // The first positional is a second core (e.g. `diff OLD_CORE NEW_CORE`), which RunCommand
  // opens with the frontend's other_cores options, the way the frontend opened the first.
  bool second_core = false;
  std::string schema;          // its --json document's schema, a file in docs/schema/
  std::vector<Alias> aliases;  // llnode's names for it (LLDB plugin)
  IsolateScope isolates = IsolateScope::kEach;
  // Text over several isolates: printed before their sections, from what each isolate's run
  // left in Invocation::overview, in index order (unset: the sections alone).
  std::function<void(Invocation&, const std::vector<std::any>&)> overview;
};

const std::vector<Command>& Registry();
const Command* FindCommand(const std::string& name);

// Options every command takes (--json, --threads), and the command's own.
po::options_description CommandOptions(const Command& command);

// The words of a command (after the target) parsed once with its spec: its options and
// positionals by name (include/mortem/commands/options.h reads them into typed options). Throws
// po::error (an unknown option, a missing argument).
po::variables_map ParseOptions(const Command& command, const std::vector<std::string>& args);

// Whether a command's long option ("--depth") takes a value, from its options spec.
bool OptionTakesValue(const std::string& command, const std::string& option);

// The commands, one per line, names aligned: "  name  summary" (note: added to the summary).
void PrintCommandList(std::ostream& out,
                      const std::function<std::string(const Command&)>& note = nullptr);

// `mortem --list-commands --json`: every command's name, summary, positionals, schema,
// second_core and aliases.
nlohmann::json DescribeCommands();

// What a frontend offers besides its session: how it opens another core for second_core
// commands (the core path is the command's first positional; none: this frontend has only its
// one target), and whether the user said --force.
struct Frontend {
  std::optional<CoreTargetOptions> other_cores;
  bool force = false;
};

// A run's section title where the target has several isolates: "isolate 1: worker thread (tid 7)".
std::string IsolateTitle(const IsolateInfo& i);
// The JSON documents of a command run once per isolate, as one document (what --json prints):
// the first isolate's fields; every top-level array of objects concatenated over the isolates,
// each element tagged with its "isolate"; warnings prefixed with their isolate where there are
// several; a top-level "partial" true if any isolate's is; and "isolates": each isolate with its
// own top-level values that are not such arrays.
nlohmann::json MergeIsolateDocuments(
    const std::vector<std::pair<IsolateInfo, nlohmann::json>>& docs);

// Parses args (without the target) and runs the command on the session. Errors are printed to
// err and turned into exit codes; nothing is thrown.
ExitCode RunCommand(const Command& command, Session& session, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err, const Frontend& frontend = {});

}  // namespace mortem::commands

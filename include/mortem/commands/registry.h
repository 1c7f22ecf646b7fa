// Purpose: the one command registry that the CLI and the LLDB plugin share: each command's name,
// summary, options (one Boost.Program_options spec), positional arguments and run function. The
// frontends only supply the target (a Session), the output streams, and -- for commands that
// compare two cores -- a way to open another core.
#pragma once
#include <boost/program_options.hpp>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "mortem/analysis/session.h"
#include "mortem/core/error.h"

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
};

struct Command {
  std::string name;
  std::string summary;
  std::vector<std::string> positionals;  // after the target, e.g. {"address"}
  std::function<void(po::options_description&)> add_options;
  std::function<ExitCode(Invocation&)> run;
  // The first positional is a second core (e.g. `diff OLD_CORE NEW_CORE`), which RunCommand
  // opens with the frontend's open_core, the way the frontend opened the first.
  bool second_core = false;
};

const std::vector<Command>& Registry();
const Command* FindCommand(const std::string& name);

// Options every command takes (--json, --threads), and the command's own.
po::options_description CommandOptions(const Command& command);

// What a frontend offers besides its session: opening another core (for second_core commands;
// empty: this frontend has only its one target), and whether the user said --force.
struct Frontend {
  std::function<Session&(const std::string& core_path)> open_core;  // throws Error
  bool force = false;
};

// Parses args (without the target) and runs the command on the session. Errors are printed to
// err and turned into exit codes; nothing is thrown.
ExitCode RunCommand(const Command& command, Session& session, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err, const Frontend& frontend = {});

}  // namespace mortem::commands

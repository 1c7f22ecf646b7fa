#include "mortem/commands/cli.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "mortem/commands/batch.h"
#include "mortem/commands/core_facts.h"
#include "mortem/commands/registry.h"
#include "mortem/core/progress.h"

namespace mortem::commands {
namespace {

void PrintUsage(std::ostream& out) {
  out << "usage: mortem COMMAND CORE [--binary PATH] [--force] [options]\n\ncommands:\n";
  PrintCommandList(out);
  out << "\n`mortem COMMAND --help` lists a command's options; `mortem --list-commands --json` "
         "describes every command.\n";
}

// `mortem --list-commands [--json]`: the registry's descriptors, for scripts and tests.
int ListCommands(bool json) {
  if (json)
    std::cout << DescribeCommands().dump(2) << "\n";
  else
    PrintCommandList(std::cout);
  return 0;
}

}  // namespace

int RunCli(int argc, char** argv) {
  TracePhase("start");
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    PrintUsage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? static_cast<int>(ExitCode::kUsage) : 0;
  }
  if (std::string(argv[1]) == "--list-commands")
    return ListCommands(argc > 2 && std::string(argv[2]) == "--json");
  const Command* command = FindCommand(argv[1]);
  if (!command) {
    std::cerr << "mortem: unknown command '" << argv[1] << "'\n";
    PrintUsage(std::cerr);
    return static_cast<int>(ExitCode::kUsage);
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  CoreTargetOptions target;
  std::vector<std::string> rest;
  std::string batch;
  bool quiet = false;
  // With --batch the cores come from it: every other word is the command's (e.g. a --fail-if
  // value), in order.
  const bool batch_mode = std::find(args.begin(), args.end(), "--batch") != args.end();
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << "usage: mortem " << command->name << " CORE";
      for (const auto& p : command->positionals) std::cout << " " << p;
      std::cout << " [options]\n"
                << command->summary << "\n\n"
                << "  --binary PATH  the node binary (default: the one recorded in the core)\n"
                << "  --force        go on although the binary's build-id does not match\n"
                << "  --batch DIR_OR_GLOB  run on every core there: one JSON line per core\n"
                << "  --quiet        no progress messages (shown on a terminal for slow steps)\n"
                << CommandOptions(*command);
      return 0;
    }
    if (args[i] == "--binary" && i + 1 < args.size())
      target.binary_path = args[++i];
    else if (args[i].starts_with("--binary="))
      target.binary_path = args[i].substr(9);
    else if (args[i] == "--force")
      target.force = true;
    else if (args[i] == "--quiet" || args[i] == "-q")
      quiet = true;
    else if (args[i] == "--batch" && i + 1 < args.size())
      batch = args[++i];
    else if (target.core_path.empty() && !batch_mode && !args[i].starts_with("-"))
      target.core_path = args[i];
    else
      rest.push_back(args[i]);
  }
  // Progress for steps over a second, only for a person at a terminal.
  ProgressStep::Enable(!quiet && ::isatty(STDERR_FILENO));
  if (!batch.empty()) {
    return RunBatch(*command, batch, target, rest);
  }
  if (target.core_path.empty()) {
    std::cerr << "mortem " << command->name << ": missing CORE\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  try {
    auto core = OpenCoreSession(target);
    TracePhase("core opened");
    // A second core (commands that compare two) opens the same way, with the same options.
    const Frontend frontend{.other_cores = target, .force = target.force};
    auto code = RunCommand(*command, *core.session, rest, std::cout, std::cerr, frontend);
    TracePhase("done");
    return static_cast<int>(code);
  } catch (const Error& e) {
    std::cerr << "mortem: error: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "mortem: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kInternal);
  }
}

}  // namespace mortem::commands

// Purpose: the `mortem` command-line frontend: `mortem COMMAND CORE [--binary PATH] [options]`
// over the registry, opening the core with its node binary.
#pragma once

namespace mortem::commands {

int RunCli(int argc, char** argv);

}  // namespace mortem::commands

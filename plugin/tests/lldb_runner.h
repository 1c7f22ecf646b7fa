// Purpose: running the real lldb for the plugin tests: the lldb and plugin paths from the
// environment CTest sets, a batch run with -o commands, and splitting lldb's echoed transcript
// ("(lldb) COMMAND" then its output) into the output of each command.
#pragma once
#include <string>
#include <vector>

#include "support.h"

namespace mortem::plugin_test {

std::string LldbPath();    // $MORTEM_LLDB
std::string PluginPath();  // $MORTEM_PLUGIN

// lldb -b -o 'plugin load PLUGIN' -o COMMAND... TARGET_ARGS (e.g. {"-c", core, node}).
e2e::RunResult RunLldbBatch(const std::vector<std::string>& commands,
                            const std::vector<std::string>& target_args, int timeout_seconds = 600,
                            std::vector<std::pair<std::string, std::string>> env = {});

// The output lines after the echo of `command` up to the next echo, from stdout; empty if the
// command was not echoed.
std::string OutputOf(const std::string& transcript, const std::string& command);

}  // namespace mortem::plugin_test

#include "lldb_runner.h"

#include <sstream>

namespace mortem::plugin_test {

std::string LldbPath() {
  return e2e::Require("MORTEM_LLDB");
}
std::string PluginPath() {
  return e2e::Require("MORTEM_PLUGIN");
}

e2e::RunResult RunLldbBatch(const std::vector<std::string>& commands,
                            const std::vector<std::string>& target_args, int timeout_seconds,
                            std::vector<std::pair<std::string, std::string>> env) {
  std::vector<std::string> argv{LldbPath(), "--no-use-colors", "-b", "-o",
                                "plugin load " + PluginPath()};
  for (const auto& c : commands) {
    argv.push_back("-o");
    argv.push_back(c);
  }
  argv.insert(argv.end(), target_args.begin(), target_args.end());
  if (auto p = e2e::Env("PYTHONPATH")) env.emplace_back("PYTHONPATH", *p);
  return e2e::Run(argv, std::chrono::seconds(timeout_seconds), env);
}

std::string OutputOf(const std::string& transcript, const std::string& command) {
  std::istringstream in(transcript);
  std::string line, out;
  bool inside = false;
  const std::string echo = "(lldb) " + command;
  while (std::getline(in, line)) {
    if (line.starts_with("(lldb) ")) {
      if (inside) break;
      inside = line == echo;
      continue;
    }
    if (inside) out += line + "\n";
  }
  return out;
}

}  // namespace mortem::plugin_test

// The plugin on a live process: lldb attaches to a running node (-p PID), `v8 objects` finds the
// script's class, lldb detaches, and node is still running afterwards. Skipped (77) when the
// node binary is missing or ptrace attach is not permitted here.
// The e2e support library reports through doctest; its implementation lives here.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <thread>

#include "lldb_runner.h"

using namespace mortem;
using namespace mortem::plugin_test;

namespace {

constexpr const char* kScript = R"(
class LiveWidget { constructor(i) { this.id = i; this.label = 'widget-' + i; } }
globalThis.keep = [];
for (let i = 0; i < 4321; i++) globalThis.keep.push(new LiveWidget(i));
require('fs').writeFileSync(process.argv[1], String(process.pid));
setInterval(() => {}, 1000);
)";

// The state letter of /proc/PID/stat ('R', 'S', 't', 'Z', ...), or 0 if the process is gone.
char StateOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? 0 : stat[close + 2];
}

int Fail(const std::string& message, pid_t node) {
  std::cerr << "FAIL: " << message << "\n";
  if (node > 0) {
    ::kill(node, SIGKILL);
    ::waitpid(node, nullptr, 0);
  }
  return 1;
}

}  // namespace

int main() {
  const std::string node = e2e::Env("MORTEM_E2E_NODE").value_or("");
  if (node.empty() || !std::filesystem::exists(node)) {
    std::printf("SKIP: no node binary at '%s' (scripts/fetch-node.sh)\n", node.c_str());
    return e2e::kSkipExitCode;
  }
  const std::filesystem::path scratch = e2e::Env("MORTEM_E2E_SCRATCH").value_or("/tmp");
  std::filesystem::create_directories(scratch);
  const auto ready = scratch / "ready";
  std::filesystem::remove(ready);

  pid_t pid = ::fork();
  if (pid < 0) return Fail("fork failed", -1);
  if (pid == 0) {
    ::execl(node.c_str(), node.c_str(), "-e", kScript, ready.c_str(), nullptr);
    ::_exit(127);
  }
  for (int i = 0; i < 300 && !std::filesystem::exists(ready); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!std::filesystem::exists(ready)) return Fail("node did not start the script", pid);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the pid file is complete

  auto r = RunLldbBatch({"v8 objects", "detach"}, {"-p", std::to_string(pid)}, 240);
  const std::string all = r.out + r.err;
  if (all.find("attach failed") != std::string::npos ||
      all.find("Operation not permitted") != std::string::npos) {
    std::printf("SKIP: lldb may not attach to a process here (ptrace: %s)\n",
                all.substr(0, 300).c_str());
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return e2e::kSkipExitCode;
  }
  std::cout << "lldb: " << r.Describe() << " in " << r.seconds << " s\n";
  if (!r.CleanExit() || r.exit_code != 0)
    return Fail("lldb run failed: " + r.Describe() + "\n" + r.out + "\n" + r.err, pid);
  const std::string objects = OutputOf(r.out, "v8 objects");
  static const std::regex row(R"(4,321\s+[0-9,]+\s+object\s+LiveWidget)");
  if (!std::regex_search(objects, row))
    return Fail("v8 objects has no row of 4,321 LiveWidget objects:\n" + objects.substr(0, 3000),
                pid);
  if (r.out.find("(lldb) detach") == std::string::npos)
    return Fail("lldb did not reach detach:\n" + r.out, pid);

  // Detached: node runs on (sleeping in its event loop, not stopped or traced).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const char state = StateOf(pid);
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != 0) return Fail("node ended after the detach", -1);
  if (state != 'S' && state != 'R')
    return Fail(std::string("node is in state '") + state + "' after the detach", pid);
  std::cout << "ok: v8 objects found 4,321 LiveWidget; node " << pid << " is running (state "
            << state << ") after the detach\n";
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return 0;
}

// The plugin on a live process: lldb attaches to a running node (-p PID) with a worker, `v8
// objects` finds the script's class, `v8 isolates` names each isolate's thread as the OS does
// (/proc/PID/task/TID/comm), lldb detaches, and node is still running afterwards. Skipped (77) when
// the node binary is missing or ptrace attach is not permitted here. The e2e support library
// reports through doctest; its implementation lives here.
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
#include <map>
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
const { Worker } = require('worker_threads');
const worker = new Worker('setInterval(() => {}, 1000)', { eval: true, name: 'live-pdf' });
worker.on('online', () => require('fs').writeFileSync(process.argv[1], String(process.pid)));
setInterval(() => {}, 1000);
)";

// The OS's name of each thread of a process, by tid (/proc/PID/task/TID/comm).
std::map<int, std::string> ThreadNames(pid_t pid) {
  std::map<int, std::string> out;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(task.path() / "comm");
    std::string name;
    if (std::getline(in, name)) out[std::stoi(task.path().filename().string())] = name;
  }
  return out;
}

// `v8 isolates`: each isolate's row names its thread as the OS does (`worker thread, tid N
// "live-pdf"`), the worker's among them. Returns what is wrong ("" if nothing); checked: the
// rows compared.
std::string CheckThreadNames(const std::string& isolates, const std::map<int, std::string>& names,
                             size_t& checked) {
  static const std::regex row(R"re((main|worker) thread, tid (\d+) "([^"]*)")re");
  checked = 0;
  bool worker_named = false;
  for (auto it = std::sregex_iterator(isolates.begin(), isolates.end(), row);
       it != std::sregex_iterator(); ++it) {
    const int tid = std::stoi((*it)[2]);
    const auto os = names.find(tid);
    if (os == names.end()) return "tid " + std::to_string(tid) + " is not a thread of node";
    if (os->second != (*it)[3])
      return "tid " + std::to_string(tid) + ": " + (*it)[3].str() + ", the OS says " + os->second;
    ++checked;
    worker_named |= (*it)[1] == "worker";
  }
  if (checked < 2 || !worker_named) return "fewer than 2 isolates with named threads";
  return "";
}

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

  auto r = RunLldbBatch({"v8 objects", "v8 isolates", "detach"}, {"-p", std::to_string(pid)}, 240);
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
  // The OS's thread names, which a live process has (a core has none): each isolate's thread as
  // /proc names it.
  size_t named = 0;
  const std::string isolates = OutputOf(r.out, "v8 isolates");
  const std::string wrong = CheckThreadNames(isolates, ThreadNames(pid), named);
  if (!wrong.empty()) return Fail("v8 isolates: " + wrong + ":\n" + isolates.substr(0, 3000), pid);
  if (r.out.find("(lldb) detach") == std::string::npos)
    return Fail("lldb did not reach detach:\n" + r.out, pid);

  // Detached: node runs on (sleeping in its event loop, not stopped or traced).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const char state = StateOf(pid);
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != 0) return Fail("node ended after the detach", -1);
  if (state != 'S' && state != 'R')
    return Fail(std::string("node is in state '") + state + "' after the detach", pid);
  std::cout << "ok: v8 objects found 4,321 LiveWidget; v8 isolates gave " << named
            << " thread names as the OS does; node " << pid << " is running (state " << state
            << ") after the detach\n";
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return 0;
}

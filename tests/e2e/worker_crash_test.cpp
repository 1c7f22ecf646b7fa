// End-to-end test on the kernel core of a process that died in a worker while its main thread was
// idle (fixtures/scenarios/worker-crash.js: a native module's fatal error, three JS calls deep in
// the worker; the main thread blocked in mainIdles). Ground truth: the scenario's scenario.json
// (the pid, the worker's Node threadId and OS tid from /proc/thread-self, the JS functions on
// each thread's stack) and each isolate's own V8 heap snapshot, written before the crash.
//  - `stack`: the crashing thread is the worker's, attributed to the worker's isolate (the one
//    `info` gives the worker's threadId), its JS frames the worker's functions in call order;
//  - `stack --all`: the main thread's frames decoded with the main isolate (mainIdles), none of
//    the worker's functions on it;
//  - `triage`: the crashing thread is reported in the worker's isolate's section (JSON and text),
//    not the main's; the fatal-error suspect is the worker's;
//  - each isolate holds its own class, counted exactly as its own snapshot counts it.
// Exit 0 on every command. Environment: MORTEM_E2E_DIR (cores/VERSION, holding worker-crash/),
// MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

fs::path Dir() {
  return fs::path(Require("MORTEM_E2E_DIR")) / "worker-crash";
}

std::string Label() {
  return Env("MORTEM_E2E_LABEL").value_or("?");
}

json LoadScenario() {
  std::ifstream in(Dir() / "scenario.json");
  REQUIRE(in.good());
  return json::parse(in);
}

// The index `info` gives the isolate whose Node threadId is thread_id, or -1.
int IsolateOfThreadId(const json& info, uint64_t thread_id) {
  for (const auto& i : info.at("isolates"))
    if (i.at("thread_id") == thread_id) return i.at("isolate").get<int>();
  return -1;
}

std::vector<std::string> JsFunctions(const json& thread) {
  std::vector<std::string> out;
  for (const auto& f : thread.at("frames"))
    if (f.at("kind") == "js") out.push_back(f.value("function", ""));
  return out;
}

// Whether `want` appears in `have` in that order (other frames may come between).
bool InOrder(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  size_t next = 0;
  for (const auto& name : have)
    if (next < want.size() && name == want[next]) ++next;
  return next == want.size();
}

const json* ThreadOfTid(const json& stack, int tid) {
  for (const auto& t : stack.at("threads"))
    if (t.at("tid") == tid) return &t;
  return nullptr;
}

std::vector<std::string> Names(const json& list) {
  return list.get<std::vector<std::string>>();
}

}  // namespace

TEST_CASE("a process that died in a worker: the worker's isolate, frames and triage section") {
  const std::string core = (Dir() / "core").string();
  const json scenario = LoadScenario();
  const json& main = scenario.at("main");
  const json& worker = scenario.at("worker");
  const int pid = scenario.at("pid").get<int>();
  const int worker_tid = worker.at("tid").get<int>();
  REQUIRE(worker_tid != 0);
  REQUIRE(worker_tid != pid);

  const json info = RunCliJsonStrict({"info", core});
  const int main_isolate = IsolateOfThreadId(info, main.at("threadId").get<uint64_t>());
  const int worker_isolate = IsolateOfThreadId(info, worker.at("threadId").get<uint64_t>());
  REQUIRE(main_isolate == 0);
  REQUIRE(worker_isolate > 0);
  CHECK(info.at("isolates").at(worker_isolate).at("tid") == worker_tid);

  // The crashing thread alone: the worker's, decoded with the worker's isolate.
  const json crash = RunCliJsonStrict({"stack", core});
  REQUIRE(crash.at("threads").size() == 1);
  const json& crashing = crash.at("threads")[0];
  CHECK(crashing.at("tid") == worker_tid);
  CHECK(crashing.at("isolate") == worker_isolate);
  const auto worker_frames = JsFunctions(crashing);
  CHECK_MESSAGE(InOrder(worker_frames, Names(worker.at("frames"))),
                "crashing thread's JS frames: " << json(worker_frames).dump());

  // The main thread, idle in mainIdles, decoded with the main isolate.
  const json all = RunCliJsonStrict({"stack", core, "--all"});
  const json* main_thread = ThreadOfTid(all, pid);
  REQUIRE(main_thread != nullptr);
  CHECK(main_thread->at("isolate") == main_isolate);
  const auto main_frames = JsFunctions(*main_thread);
  CHECK_MESSAGE(InOrder(main_frames, Names(main.at("frames"))),
                "main thread's JS frames: " << json(main_frames).dump());
  for (const auto& name : Names(worker.at("frames")))
    CHECK_MESSAGE(!InOrder(main_frames, {name}), name << " on the main thread");
  const json* worker_thread = ThreadOfTid(all, worker_tid);
  REQUIRE(worker_thread != nullptr);
  CHECK(worker_thread->at("isolate") == worker_isolate);

  // triage: the crash is in the worker's isolate.
  const json triage = RunCliJsonStrict({"triage", core, "--no-retained"});
  size_t sections_with_crash = 0;
  for (const auto& section : triage.at("isolates")) {
    if (section.at("crashing_thread").is_null()) continue;
    ++sections_with_crash;
    CHECK(section.at("isolate") == worker_isolate);
    CHECK(section.at("tid") == worker_tid);
    CHECK(InOrder(JsFunctions(section.at("crashing_thread")), Names(worker.at("frames"))));
  }
  CHECK(sections_with_crash == 1);
  size_t fatal_suspects = 0;
  for (const auto& s : triage.at("suspects")) {
    if (s.at("sentence").get<std::string>().find("fatal error") == std::string::npos) continue;
    ++fatal_suspects;
    CHECK(s.at("isolate") == worker_isolate);
  }
  CHECK(fatal_suspects == 1);
  // The text report: "Crashing thread" comes under the worker's section header.
  auto text = RunCli({"triage", core, "--no-retained"});
  REQUIRE(text.CleanExit());
  CHECK(text.exit_code == 0);
  const std::string header = "== isolate " + std::to_string(worker_isolate) + ":";
  const size_t worker_section = text.out.find(header);
  const size_t crash_at = text.out.find("Crashing thread (tid " + std::to_string(worker_tid));
  REQUIRE(worker_section != std::string::npos);
  REQUIRE(crash_at != std::string::npos);
  CHECK(crash_at > worker_section);
  const size_t next_section = text.out.find("== isolate ", worker_section + header.size());
  CHECK((next_section == std::string::npos || crash_at < next_section));
  CHECK(text.out.find("Crashing thread") == crash_at);  // in no other section
  // Before the sections, the isolates: the crashing thread in the worker's row alone, and the
  // fatal error among all isolates' suspects, named with the worker's isolate.
  const size_t first_section = text.out.find("== isolate 0:");
  REQUIRE(first_section != std::string::npos);
  const std::string overview = text.out.substr(0, first_section);
  CHECK(overview.find("2 isolates\n") != std::string::npos);
  const std::string crashed = "  tid " + std::to_string(worker_tid) + "  ";
  size_t rows_with_crash = 0;
  std::istringstream lines(overview);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(crashed) == std::string::npos) continue;
    ++rows_with_crash;
    CHECK(line.find(" " + std::to_string(worker_isolate) + "  worker thread, tid " +
                    std::to_string(worker_tid)) != std::string::npos);
  }
  CHECK_MESSAGE(rows_with_crash == 1, overview);
  CHECK_MESSAGE(overview.find("[isolate " + std::to_string(worker_isolate) +
                              "] The process hit a fatal error") != std::string::npos,
                overview);

  // Each isolate's class, exact against that isolate's own snapshot.
  const auto run = RunCli({"objects", core, "--json"});
  REQUIRE(run.CleanExit());
  CHECK(run.exit_code == 0);
  for (const auto& [who, index] : {std::pair{&main, main_isolate}, {&worker, worker_isolate}}) {
    const auto& counts = who->at("counts");
    const std::string name = counts.begin().key();
    const Snapshot snapshot = LoadSnapshot(Dir() / who->at("snapshot").get<std::string>());
    const auto theirs = snapshot.rows.find(RowKey{"object", name});
    REQUIRE(theirs != snapshot.rows.end());
    CHECK(theirs->second.count == counts.begin().value().get<uint64_t>());
    const Rows mine = ParseObjectsJson(run.out, static_cast<size_t>(index));
    const auto ours = mine.find(RowKey{"object", name});
    REQUIRE_MESSAGE(ours != mine.end(), name << " not in isolate " << index);
    CHECK(ours->second.count == theirs->second.count);
    const int other = index == main_isolate ? worker_isolate : main_isolate;
    CHECK(ParseObjectsJson(run.out, static_cast<size_t>(other)).count(RowKey{"object", name}) == 0);
  }
  std::cout << "[e2e] " << Label() << " worker-crash: crashing thread " << worker_tid
            << " in isolate " << worker_isolate << " (" << json(worker_frames).dump()
            << "), main thread in isolate " << main_isolate << "\n";
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR")) {
    for (const char* file : {"core", "heap.heapsnapshot", "scenario.json"}) {
      if (!fs::exists(fs::path(*root) / "worker-crash" / file)) {
        std::cout << "[e2e] " << Label() << " worker-crash: SKIPPED, no " << file
                  << " (the e2e_cores_worker_crash fixture could not make it; see its output)\n";
        return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
      }
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

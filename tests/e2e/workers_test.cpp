// End-to-end test on the core of a process with worker threads (fixtures/scenarios/workers.js):
// the main thread and two workers, each an isolate with its own heap and its own class (worker B's
// heap bigger than the main thread's; worker A runs a TCP server), each thread blocked in a
// function named after it, cored by gcore with no GC before it; each isolate then writes V8's
// heap snapshot of its own heap. Ground truth: the scenario's class counts, each isolate's own
// snapshot, the process's pid (the main thread's tid).
//  - `info` finds every isolate (the three, and the scenario's waker), the main thread's first (its
//  thread is the pid), each with a
//    thread, none with unparsed bytes; exit 0;
//  - `objects` (live objects): each scenario class lives in exactly one isolate, counted exactly as
//    that isolate's snapshot counts it, and every JS object row of 50 or more instances in that
//    snapshot is within 2% in that isolate; `--isolate N` gives the same rows as the section of
//    the all-isolates document;
//  - `info` gives each isolate Node's threadId and thread name, as the scenario's threads saw
//    them (worker A named by the Worker's `name` option; null on releases that have no names);
//  - `stack --all`: the thread that runs each isolate shows that isolate's blocking function;
//  - `handles`: the TCP server is worker A's, not the main thread's;
//  - `inspect` of an object of a worker resolves to that worker's isolate without --isolate;
//  - a copy of the core with one worker's Isolate (its roots table) zeroed: that isolate is
//    reported unreadable, the others are still analysed exactly, exit 5.
// Environment: MORTEM_E2E_DIR (cores/VERSION, holding workers/), MORTEM_E2E_LABEL,
// MORTEM_E2E_SCRATCH (where the damaged copy is made).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
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
  return fs::path(Require("MORTEM_E2E_DIR")) / "workers";
}

std::string Label() {
  return Env("MORTEM_E2E_LABEL").value_or("?");
}

// Runs mortem with --json; it must exit 0 (a process with workers is a healthy core).
struct ScenarioIsolate {
  std::string class_name, waits;
  std::string origin;  // its script's name, as the isolate's own stack trace gives it
  uint64_t count = 0;
  uint64_t thread_id = 0;  // Node's threadId
  json thread_name;        // Node's worker_threads.threadName in it; null: the release has none
  fs::path snapshot;
};

std::vector<ScenarioIsolate> LoadScenario(int& pid, size_t& others) {
  std::ifstream in(Dir() / "scenario.json");
  REQUIRE(in.good());
  const json scenario = json::parse(in);
  pid = scenario.at("pid").get<int>();
  others = scenario.at("other_isolates").get<size_t>();
  std::vector<ScenarioIsolate> out;
  for (const auto& i : scenario.at("isolates")) {
    ScenarioIsolate s;
    const auto& counts = i.at("counts");
    s.class_name = counts.begin().key();
    s.count = counts.begin().value().get<uint64_t>();
    s.waits = i.at("waits").get<std::string>();
    s.thread_id = i.at("threadId").get<uint64_t>();
    s.thread_name = i.at("threadName");
    s.origin = i.at("origin").get<std::string>();
    s.snapshot = Dir() / i.at("snapshot").get<std::string>();
    out.push_back(s);
  }
  return out;
}

// The isolates whose rows hold instances of a class.
std::vector<size_t> IsolatesHolding(const json& objects, const std::string& name) {
  std::vector<size_t> out;
  for (const auto& t : objects.at("types"))
    if (t.at("kind") == "object" && t.at("name") == name)
      out.push_back(t.at("isolate").get<size_t>());
  return out;
}

// The words of the overview's row of an isolate ("3  worker thread, tid 16531  3  WorkerThread
// 17.9 MiB ..."), or none.
std::vector<std::string> OverviewRow(const std::string& overview, size_t index) {
  std::istringstream lines(overview);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> row;
    for (std::string w; words >> w;) row.push_back(w);
    if (row.size() > 6 && row[0] == std::to_string(index) && row[2] == "thread,") return row;
  }
  return {};
}

// The text triage of a process with workers opens with every isolate: its thread (as `info`
// found it), Node's threadId and thread name as the scenario's threads saw them; and with the
// suspects of all isolates, worker B's 30,000 jobs named with the isolate that holds them.
void CheckTriageOverview(const std::string& core, const std::vector<ScenarioIsolate>& scenario,
                         const std::vector<size_t>& index_of, const json& isolates) {
  const auto text = RunCli({"triage", core});
  REQUIRE(text.CleanExit());
  CHECK(text.exit_code == 0);
  const size_t first_section = text.out.find("\n== isolate 0: ");
  REQUIRE(first_section != std::string::npos);
  const std::string overview = text.out.substr(0, first_section);
  CHECK(overview.find(std::to_string(isolates.size()) + " isolates\n") != std::string::npos);
  for (const auto& i : isolates)
    CHECK_MESSAGE(OverviewRow(overview, i.at("isolate").get<size_t>()).size() > 6,
                  "isolate " << i.at("isolate") << " has no row in:\n"
                             << overview);
  for (size_t s = 0; s < scenario.size(); ++s) {
    const auto row = OverviewRow(overview, index_of[s]);
    REQUIRE_MESSAGE(row.size() > 6, "no row for isolate " << index_of[s] << " in:\n" << overview);
    CHECK(row[1] == (s == 0 ? "main" : "worker"));
    CHECK(row[4] == std::to_string(isolates.at(index_of[s]).at("tid").get<int>()));
    CHECK(row[5] == std::to_string(scenario[s].thread_id));
    const json& name = scenario[s].thread_name;
    CHECK(row[6] == (name.is_null()                    ? std::string("?")
                     : name.get<std::string>().empty() ? std::string("\"\"")
                                                       : name.get<std::string>()));
  }
  const std::string leak = "[isolate " + std::to_string(index_of[2]) + "] " +
                           WithCommas(scenario[2].count) + " " + scenario[2].class_name +
                           " objects retain";
  CHECK_MESSAGE(overview.find(leak) != std::string::npos, leak << " not in:\n" << overview);
  // Each suspect there is also in its isolate's section.
  CHECK(text.out.find(leak.substr(leak.find("] ") + 2), first_section) != std::string::npos);
}

}  // namespace

TEST_CASE("worker threads: every isolate found, each analysed against its own snapshot") {
  const std::string core = (Dir() / "core").string();
  int pid = 0;
  size_t others = 0;
  const auto scenario = LoadScenario(pid, others);
  REQUIRE(scenario.size() == 3);

  json info = RunCliJsonStrict({"info", core});
  const json& isolates = info.at("isolates");
  REQUIRE(isolates.size() == scenario.size() + others);
  CHECK(isolates[0].at("main_thread") == true);
  CHECK(isolates[0].at("tid") == pid);
  for (const auto& i : isolates) {
    INFO("isolate " << i.at("isolate") << ": " << i.at("walk").dump());
    CHECK(i.at("tid").get<int>() != 0);
    CHECK(i.at("walk").at("skipped_bytes") == 0);
    CHECK(i.at("walk").at("unreadable_bytes") == 0);
  }
  // Each isolate's origin, by Node's threadId: the script its code runs in.
  for (const auto& want : scenario) {
    INFO("threadId " << want.thread_id);
    REQUIRE(!want.origin.empty());
    size_t matched = 0;
    for (const auto& i : isolates)
      if (i.at("thread_id") == want.thread_id) {
        ++matched;
        CHECK(i.at("origin") == want.origin);
      }
    CHECK(matched == 1);
  }

  const auto run = RunCli({"objects", core, "--json"});
  REQUIRE(run.CleanExit());
  CHECK(run.exit_code == 0);
  const json objects = json::parse(run.out);
  std::vector<size_t> index_of(scenario.size());
  std::ostringstream summary;
  for (size_t s = 0; s < scenario.size(); ++s) {
    const auto& want = scenario[s];
    INFO("scenario isolate " << s << ": " << want.class_name);
    auto holding = IsolatesHolding(objects, want.class_name);
    REQUIRE_MESSAGE(holding.size() == 1,
                    want.class_name << " is in " << holding.size() << " isolates' rows");
    index_of[s] = holding.front();
    if (s == 0) CHECK(index_of[s] == 0);  // the main thread's isolate is isolate 0

    const Snapshot snapshot = LoadSnapshot(want.snapshot);
    const Rows mine = ParseObjectsJson(run.out, index_of[s]);
    auto theirs = snapshot.rows.find(RowKey{"object", want.class_name});
    REQUIRE(theirs != snapshot.rows.end());
    CHECK(theirs->second.count == want.count);  // else the scenario itself is wrong
    auto ours = mine.find(RowKey{"object", want.class_name});
    REQUIRE(ours != mine.end());
    CHECK(ours->second.count == want.count);
    size_t compared = 0, within = 0;
    for (const auto& [key, stats] : snapshot.rows) {
      if (key.kind != "object" || stats.count < 50) continue;
      ++compared;
      auto it = mine.find(key);
      const double got = it == mine.end() ? 0 : static_cast<double>(it->second.count);
      const double off = std::abs(got - static_cast<double>(stats.count)) / stats.count;
      CHECK_MESSAGE(off <= 0.02, key.name << ": mortem " << got << ", snapshot " << stats.count);
      within += off <= 0.02;
    }
    summary << " isolate " << index_of[s] << " " << want.class_name << " " << ours->second.count
            << " (rows within 2%: " << within << "/" << compared << ");";

    // --isolate N: that isolate's rows alone, the same as its section of the whole document.
    const auto one = RunCli({"objects", core, "--json", "--isolate", std::to_string(index_of[s])});
    REQUIRE(one.CleanExit());
    CHECK(ParseObjectsJson(one.out) == mine);
  }
  CHECK(index_of[1] != index_of[2]);
  // Node's threadId of each isolate, as the scenario's threads saw it.
  for (size_t s = 0; s < scenario.size(); ++s)
    CHECK_MESSAGE(isolates.at(index_of[s]).at("thread_id") == scenario[s].thread_id,
                  "isolate " << index_of[s] << ": " << isolates.at(index_of[s]).dump());
  // Node's thread name of each isolate, as worker_threads.threadName said it in that thread ("",
  // "worker-a" and Node's default); unknown on releases whose threads have no name.
  for (size_t s = 0; s < scenario.size(); ++s)
    CHECK_MESSAGE(isolates.at(index_of[s]).at("thread_name") == scenario[s].thread_name,
                  "isolate " << index_of[s] << ": " << isolates.at(index_of[s]).dump());

  // Each thread's JS frames, decoded with its own isolate.
  json stack = RunCliJsonStrict({"stack", core, "--all"});
  for (size_t s = 0; s < scenario.size(); ++s) {
    bool found = false;
    for (const auto& t : stack.at("threads")) {
      if (t.at("isolate") != index_of[s]) continue;
      for (const auto& f : t.at("frames"))
        if (f.dump().find(scenario[s].waits) != std::string::npos) found = true;
    }
    CHECK_MESSAGE(found, "no thread of isolate " << index_of[s] << " shows " << scenario[s].waits);
  }

  // Worker A's TCP server is its own handle.
  json handles = RunCliJsonStrict({"handles", core});
  size_t tcp_main = 0, tcp_worker_a = 0;
  for (const auto& h : handles.at("handles")) {
    if (h.dump().find("TCP") == std::string::npos) continue;
    if (h.at("isolate") == index_of[0]) ++tcp_main;
    if (h.at("isolate") == index_of[1]) ++tcp_worker_a;
  }
  CHECK(tcp_worker_a >= 1);
  CHECK(tcp_main == 0);

  // An address resolves to its isolate without --isolate.
  json instances = RunCliJsonStrict({"instances", core, scenario[2].class_name, "--limit", "1",
                                     "--isolate", std::to_string(index_of[2])});
  REQUIRE(!instances.at("instances").empty());
  const std::string address = instances.at("instances")[0].at("address").get<std::string>();
  json inspect = RunCliJsonStrict({"inspect", core, address});
  REQUIRE(inspect.at("isolates").size() == 1);
  CHECK(inspect.at("isolates")[0].at("isolate") == index_of[2]);
  CHECK(inspect.dump().find(scenario[2].class_name) != std::string::npos);

  json triage = RunCliJsonStrict({"triage", core, "--no-retained"});
  CHECK(triage.at("isolates").size() == scenario.size() + others);
  CheckTriageOverview(core, scenario, index_of, isolates);
  std::cout << "[e2e] " << Label() << " workers: " << isolates.size() << " isolates;"
            << summary.str() << " stack and handles per isolate\n";
}

TEST_CASE("an isolate whose structures are unreadable is reported, and the others analysed") {
  const fs::path core = Dir() / "core";
  int pid = 0;
  size_t others = 0;
  const auto scenario = LoadScenario(pid, others);
  json info = RunCliJsonStrict({"info", core.string()});
  const json objects = RunCliJsonStrict({"objects", core.string()});
  // Worker B's isolate: its Isolate's first 8 KiB after the stack guard (the roots table starts
  // there on every line) zeroed in a copy of the core.
  const auto holding = IsolatesHolding(objects, scenario[2].class_name);
  REQUIRE(holding.size() == 1);
  const std::string isolate_text =
      info.at("isolates").at(holding.front()).at("isolate_address").get<std::string>();
  const uint64_t isolate = std::stoull(isolate_text, nullptr, 16);
  const uint64_t offset = CoreFileOffset(core, isolate + 64, 1);
  REQUIRE(offset != 0);
  const fs::path dir = fs::path(Require("MORTEM_E2E_SCRATCH"));
  fs::create_directories(dir);
  const fs::path copy = dir / "workers-broken-isolate.core";
  CopyPrefix(core, copy, fs::file_size(core));
  {
    std::fstream f(copy, std::ios::binary | std::ios::in | std::ios::out);
    std::vector<char> zeros(8192, 0);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    REQUIRE(f.good());
  }
  auto r = RunCli({"objects", copy.string(), "--json"});
  INFO("mortem objects: " << r.Describe() << "\nstderr:\n" << r.err);
  REQUIRE(r.CleanExit());
  CHECK(r.exit_code == 5);
  const json damaged = json::parse(r.out);
  CHECK(damaged.at("isolates").size() + 1 == info.at("isolates").size());
  CHECK(damaged.dump().find("could not be read") != std::string::npos);
  CHECK(IsolatesHolding(damaged, scenario[2].class_name).empty());
  for (size_t s = 0; s < 2; ++s) {
    auto rows = ParseObjectsJson(r.out);
    auto it = rows.find(RowKey{"object", scenario[s].class_name});
    REQUIRE(it != rows.end());
    CHECK(it->second.count == scenario[s].count);
  }
  auto i = RunCli({"info", copy.string(), "--json"});
  REQUIRE(i.CleanExit());
  CHECK(i.exit_code == 5);
  CHECK(json::parse(i.out).at("broken_isolates").size() == 1);
  fs::remove(copy);
  std::cout << "[e2e] " << Label() << " workers, one isolate zeroed: exit " << r.exit_code << ", "
            << damaged.at("isolates").size() << " isolates analysed, the damaged one named\n";
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR")) {
    for (const char* file : {"core", "heap.heapsnapshot", "scenario.json"}) {
      if (!fs::exists(fs::path(*root) / "workers" / file)) {
        std::cout << "[e2e] " << Label() << " workers: SKIPPED, no " << file
                  << " (the e2e_cores_workers fixture could not make it; see its output)\n";
        return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
      }
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

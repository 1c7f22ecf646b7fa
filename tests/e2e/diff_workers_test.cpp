// End-to-end test of `mortem diff` across isolates: two gcore cores of one process with workers
// (fixtures/scenarios/growth-workers.js), before and after a worker leaked a known number of
// GrowerEntry; between the cores one worker ended (so the others' isolate indexes shift) and a
// new one started. Ground truth: the scenario (each isolate's Node threadId, its class's counts
// in each core) and the grower's own V8 heap snapshot, written inside it after the leak.
//  - `diff` pairs the isolates of the two cores by threadId (the JSON says which isolate of
//    each core was compared), the leak shows exactly in the grower's pair and in no other, the
//    main thread's and the steady worker's classes have delta 0;
//  - the ended and the started worker are each named in a warning, and not compared;
//  - `--isolate N`: the old core's isolate N compared with its pair (another index in the new
//    core); N the ended worker's: a clear error.
// Environment: MORTEM_E2E_DIR (cores/VERSION, holding growth-workers/), MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

fs::path Dir() {
  return fs::path(Require("MORTEM_E2E_DIR")) / "growth-workers";
}

std::string Label() {
  return Env("MORTEM_E2E_LABEL").value_or("?");
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return json::parse(in);
}

// Node's threadId -> isolate index, as `info` reads the core.
std::map<uint64_t, size_t> IndexByThreadId(const std::string& core) {
  std::map<uint64_t, size_t> out;
  const json info = RunCliJsonStrict({"info", core});
  for (const auto& i : info.at("isolates"))
    if (!i.at("thread_id").is_null())
      out[i.at("thread_id").get<uint64_t>()] = i.at("isolate").get<size_t>();
  return out;
}

// The rows of a class, by the isolate (of the old core) they are tagged with.
std::map<size_t, json> RowsOf(const json& diff, const std::string& name) {
  std::map<size_t, json> out;
  for (const auto& row : diff.at("types"))
    if (row.at("kind") == "object" && row.at("name") == name)
      out[row.at("isolate").get<size_t>()] = row;
  return out;
}

bool Warns(const json& diff, const std::string& a, const std::string& b) {
  for (const auto& w : diff.at("warnings")) {
    const std::string text = w.get<std::string>();
    if (text.find(a) != std::string::npos && text.find(b) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("diff pairs the isolates of two cores by threadId; a worker's growth is its own") {
  const json scenario = ReadJson(Dir() / "scenario.json");
  const std::string before = (Dir() / "core-before").string(), after = (Dir() / "core").string();
  const auto old_index = IndexByThreadId(before);
  const auto new_index = IndexByThreadId(after);

  // The grower's per-instance self size, from its own snapshot (after the leak).
  const json* grower = nullptr;
  for (const auto& i : scenario.at("isolates"))
    if (i.at("class") == "GrowerEntry") grower = &i;
  REQUIRE(grower != nullptr);
  const uint64_t grower_id = grower->at("threadId").get<uint64_t>();
  const Snapshot snapshot = LoadSnapshot(Dir() / grower->at("snapshot").get<std::string>());
  const RowStats snap = snapshot.rows.at(RowKey{"object", "GrowerEntry"});
  REQUIRE(snap.count == grower->at("after").get<uint64_t>());
  REQUIRE(snap.self_size % snap.count == 0);
  const int64_t leaked = grower->at("after").get<int64_t>() - grower->at("before").get<int64_t>();
  const int64_t instance_size = static_cast<int64_t>(snap.self_size / snap.count);

  const json diff = RunCliJsonStrict({"diff", before, after, "--paths", "1"});
  size_t in_both = 0;
  for (const auto& want : scenario.at("isolates")) {
    const uint64_t id = want.at("threadId").get<uint64_t>();
    const std::string name = want.at("class").get<std::string>();
    INFO("threadId " << id << " (" << name << ")");
    const auto rows = RowsOf(diff, name);
    if (!want.at("in_first_core").get<bool>() || !want.at("in_second_core").get<bool>()) {
      // Only in one core: not compared, and said.
      CHECK(rows.empty());
      CHECK(Warns(
          diff, "threadId " + std::to_string(id) + ")",
          want.at("in_first_core").get<bool>() ? "not in the new core" : "not in the old core"));
      continue;
    }
    ++in_both;
    REQUIRE(old_index.count(id) == 1);
    REQUIRE(new_index.count(id) == 1);
    // The pair: which isolate of each core was compared.
    const json* pair = nullptr;
    for (const auto& entry : diff.at("isolates"))
      if (entry.at("isolate") == old_index.at(id)) pair = &entry;
    REQUIRE(pair != nullptr);
    CHECK(pair->at("old").at("isolate") == old_index.at(id));
    CHECK(pair->at("new").at("isolate") == new_index.at(id));
    CHECK(pair->at("old").at("thread_id") == id);
    CHECK(pair->at("new").at("thread_id") == id);
    // The class is in its own isolate's pair alone, with the scenario's counts.
    REQUIRE_MESSAGE(rows.size() == 1, name << " is in " << rows.size() << " pairs' rows");
    const json& row = rows.begin()->second;
    CHECK(rows.begin()->first == old_index.at(id));
    CHECK(row.at("count").at("old") == want.at("before"));
    CHECK(row.at("count").at("new") == want.at("after"));
    if (id == grower_id)
      CHECK(row.at("self_size").at("delta").get<int64_t>() == leaked * instance_size);
    else
      CHECK(row.at("self_size").at("delta") == 0);
  }
  CHECK(diff.at("isolates").size() == in_both);

  // --isolate N: the grower's isolate of the old core, and its pair (another index: a worker
  // with a lower thread id ended between the cores).
  const size_t n = old_index.at(grower_id);
  REQUIRE(new_index.at(grower_id) != n);  // else the scenario does not test the pairing
  const json one =
      RunCliJsonStrict({"diff", before, after, "--isolate", std::to_string(n), "--paths", "0"});
  REQUIRE(one.at("isolates").size() == 1);
  CHECK(one.at("old").at("isolate") == n);
  CHECK(one.at("new").at("isolate") == new_index.at(grower_id));
  const auto rows = RowsOf(one, "GrowerEntry");
  REQUIRE(rows.size() == 1);
  CHECK(rows.begin()->second.at("count").at("delta").get<int64_t>() == leaked);

  // --isolate N of the worker that ended: nothing to compare, said.
  for (const auto& want : scenario.at("isolates")) {
    if (want.at("in_second_core").get<bool>()) continue;
    const uint64_t id = want.at("threadId").get<uint64_t>();
    REQUIRE(old_index.count(id) == 1);
    auto r = RunCli({"diff", before, after, "--isolate", std::to_string(old_index.at(id)), "--json",
                     "--paths", "0"});
    INFO("mortem diff: " << r.Describe() << "\nstderr:\n" << r.err);
    REQUIRE(r.CleanExit());
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("threadId " + std::to_string(id)) != std::string::npos);
    CHECK(r.err.find("not in the new core") != std::string::npos);
  }
  std::cout << "[e2e] " << Label() << " diff across workers: " << in_both
            << " pairs by threadId, GrowerEntry +" << leaked << " in isolate " << n
            << " of the old core (" << new_index.at(grower_id) << " of the new)\n";
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR")) {
    for (const char* file : {"core-before", "core", "scenario.json"}) {
      if (!fs::exists(fs::path(*root) / "growth-workers" / file)) {
        std::cout << "[e2e] " << Label() << " diff across workers: SKIPPED, no " << file
                  << " (the e2e_cores_growth_workers fixture could not make it)\n";
        return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
      }
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

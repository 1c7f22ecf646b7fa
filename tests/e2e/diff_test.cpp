// End-to-end test of `mortem diff` on the growth scenario of one Node version: two gcore cores of
// one process, before and after it leaked a known number of LeakedSession objects
// (fixtures/scenarios/growth.js). Ground truth comes from the scenario and V8's heap snapshot:
//  - the LeakedSession row's count delta is exactly what the scenario leaked, and its self-size
//    delta is that many times the per-instance self size of the snapshot (taken after the leak);
//  - StableWidget, which the scenario did not touch between the cores, has delta 0;
//  - the sample retainer path is of a new instance and names the scenario's holding property and
//    a variable holding its owner (module variable or global);
//  - both cores are the scenario's process (its pid);
//  - a core of another Node version as NEW exits 4 (different binaries), and with --force it
//    compares them with a warning.
// Environment: MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_OTHER_CORE (a core of another Node
// version; the mismatch case is skipped without it), MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

fs::path Dir() {
  return fs::path(Require("MORTEM_E2E_DIR")) / "growth";
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return json::parse(in);
}

json RunDiff(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"diff", (Dir() / "core-before").string(), (Dir() / "core").string(),
                                "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = RunCli(args);
  INFO("mortem diff: " << r.Describe() << " in " << r.seconds << "s\nstderr:\n" << r.err);
  REQUIRE(r.CleanExit());
  REQUIRE(r.exit_code == 0);
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " diff";
  for (const auto& e : extra) std::cout << " " << e;
  std::cout << ": " << r.seconds << "s\n";
  return json::parse(r.out);
}

const json* FindRow(const json& diff, const std::string& kind, const std::string& name) {
  for (const auto& row : diff["types"])
    if (row["kind"] == kind && row["name"] == name) return &row;
  return nullptr;
}

}  // namespace

TEST_CASE("diff: the leaked class grows by exactly what the scenario leaked") {
  const json scenario = ReadJson(Dir() / "scenario.json");
  const json& leaked = scenario["diff"]["leaked"];
  const json& constant = scenario["diff"]["constant"];
  const std::string leaked_class = leaked["class"];
  const uint64_t delta = leaked["delta"];

  // Per-instance self size of the leaked class, from V8's snapshot of the second core's heap.
  Snapshot snapshot = LoadSnapshot(Dir() / "heap.heapsnapshot");
  const RowStats snap = snapshot.rows[RowKey{"object", leaked_class}];
  REQUIRE_MESSAGE(snap.count == leaked["after"].get<uint64_t>(),
                  "the snapshot holds " << snap.count << " " << leaked_class
                                        << ", the scenario kept " << leaked["after"]);
  REQUIRE_MESSAGE(snap.self_size % snap.count == 0,
                  leaked_class << " instances differ in size in the snapshot");
  const uint64_t instance_size = snap.self_size / snap.count;
  REQUIRE(instance_size > 0);

  json diff = RunDiff();
  CHECK(diff["schema"] == 1);
  CHECK(diff["old"]["pid"] == scenario["pid"]);
  CHECK(diff["new"]["pid"] == scenario["pid"]);
  CHECK(diff["old"]["build_id"] == diff["new"]["build_id"]);

  const json* row = FindRow(diff, "object", leaked_class);
  REQUIRE_MESSAGE(row, "no " << leaked_class << " row in mortem diff");
  INFO(leaked_class << " row: " << row->dump());
  CHECK((*row)["count"]["old"] == leaked["before"]);
  CHECK((*row)["count"]["new"] == leaked["after"]);
  CHECK((*row)["count"]["delta"].get<int64_t>() == static_cast<int64_t>(delta));
  CHECK((*row)["self_size"]["delta"].get<int64_t>() == static_cast<int64_t>(delta * instance_size));
  // Sorted by self-size growth, largest first.
  for (size_t i = 1; i < diff["types"].size(); ++i)
    CHECK(diff["types"][i - 1]["self_size"]["delta"].get<int64_t>() >=
          diff["types"][i]["self_size"]["delta"].get<int64_t>());

  // The sample path: a new instance, held by the scenario's array and global.
  REQUIRE_MESSAGE(row->contains("sample"), "the top growing row has no sample path");
  const json& sample = (*row)["sample"];
  CHECK(sample["new_instance"] == true);
  CHECK(sample["agreeing"].get<uint64_t>() >= 1);
  CHECK(sample["agreeing"].get<uint64_t>() <= sample["tried"].get<uint64_t>());
  REQUIRE(sample["path"].is_object());
  const json& steps = sample["path"]["steps"];
  REQUIRE(steps.size() >= 3);
  CHECK(steps[0]["address"] == sample["address"]);
  CHECK(steps[0]["type"] == leaked_class);
  // The holding object is both a module variable (a context slot, which closures and so the
  // stack may reach first) and a global property: a shortest path may take either.
  bool holder = false, variable = false;
  for (const auto& step : steps) {
    holder |= step["edge"] == leaked["holder"];
    for (const auto& name : leaked["variables"]) variable |= step["edge"] == name;
  }
  CHECK_MESSAGE(holder, "the path does not name " << leaked["holder"] << ": " << steps.dump());
  CHECK_MESSAGE(variable, "the path names none of " << leaked["variables"] << ": " << steps.dump());

  const json* stable = FindRow(diff, "object", constant["class"]);
  REQUIRE_MESSAGE(stable, "no " << constant["class"] << " row in mortem diff");
  CHECK((*stable)["count"]["old"] == constant["count"]);
  CHECK((*stable)["count"]["new"] == constant["count"]);
  CHECK((*stable)["count"]["delta"] == 0);
  CHECK((*stable)["self_size"]["delta"] == 0);
  CHECK(!stable->contains("sample"));
}

TEST_CASE("diff --grown-only --sort count: only rows whose count grew") {
  const json scenario = ReadJson(Dir() / "scenario.json");
  json diff = RunDiff({"--grown-only", "--sort", "count", "--paths", "0"});
  CHECK(diff["sort"] == "count");
  REQUIRE(!diff["types"].empty());
  for (const auto& row : diff["types"]) {
    CHECK(row["count"]["delta"].get<int64_t>() > 0);
    CHECK(!row.contains("sample"));
  }
  CHECK(FindRow(diff, "object", scenario["diff"]["leaked"]["class"]) != nullptr);
  CHECK(FindRow(diff, "object", scenario["diff"]["constant"]["class"]) == nullptr);
}

TEST_CASE("diff --retained: the leaked class retains more") {
  const json scenario = ReadJson(Dir() / "scenario.json");
  json diff = RunDiff({"--retained", "--paths", "0"});
  const json* row = FindRow(diff, "object", scenario["diff"]["leaked"]["class"]);
  REQUIRE(row);
  REQUIRE(row->contains("retained_size"));
  // Each instance retains at least itself.
  CHECK((*row)["retained_size"]["delta"].get<int64_t>() >=
        (*row)["self_size"]["delta"].get<int64_t>());
}

TEST_CASE("diff of cores of different Node versions exits 4, or warns with --force") {
  auto other = Env("MORTEM_E2E_OTHER_CORE");
  if (!other || !fs::exists(*other)) {
    MESSAGE("no core of another Node version (MORTEM_E2E_OTHER_CORE): mismatch case skipped");
    return;
  }
  const std::string old_core = (Dir() / "core-before").string();
  auto r = RunCli({"diff", old_core, *other, "--json"});
  INFO("mortem diff: " << r.Describe() << "\nstderr:\n" << r.err);
  REQUIRE(r.CleanExit());
  CHECK(r.exit_code == 4);
  CHECK(r.err.find("build-id") != std::string::npos);
  CHECK(r.out.empty());

  auto forced = RunCli({"diff", old_core, *other, "--json", "--force", "--paths", "0"});
  INFO("mortem diff --force: " << forced.Describe() << "\nstderr:\n" << forced.err);
  REQUIRE(forced.CleanExit());
  CHECK(forced.exit_code == 0);
  json diff = json::parse(forced.out);
  CHECK(diff["old"]["build_id"] != diff["new"]["build_id"]);
  bool warned = false;
  for (const auto& w : diff["warnings"])
    warned |= w.get<std::string>().find("different binaries") != std::string::npos;
  CHECK(warned);
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR")) {
    for (const char* file : {"core-before", "core", "heap.heapsnapshot", "scenario.json"}) {
      fs::path p = fs::path(*root) / "growth" / file;
      if (!fs::exists(p)) {
        std::cout << "[e2e] diff: SKIPPED, no " << p.string()
                  << " (the e2e_cores_growth fixture could not make it; see its output)\n";
        return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
      }
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

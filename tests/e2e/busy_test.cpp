// End-to-end test on the core of a busy process (fixtures/scenarios/busy.js): an allocation-heavy
// workload under V8's own GCs, cored by gcore while its main thread blocks in Atomics.wait, with
// no GC before the core; V8's heap snapshot is written after the core, so it holds the core's
// reachable heap while the core still holds the garbage and the unfinished allocation areas.
// Ground truth is the scenario's own count of its live BusyOrder instances and the snapshot:
//  - the snapshot holds exactly the scenario's count (else the scenario itself is wrong);
//  - `mortem info` exits 0: nothing unparsed, nothing missing (allocation-area tails, moved
//    objects and background threads' areas are understood);
//  - `info`'s committed bytes of each space of the main isolate are V8's own space_size
//    (v8.getHeapSpaceStatistics(), read right after the core: spaces.json), and every space's
//    pages came from V8's page lists;
//  - `mortem objects` (live objects, the default) counts exactly the snapshot's BusyOrder instances
//  and exits 0;
//  - `mortem objects` (the whole heap) exits 0 and counts at least that many (garbage included);
//  - `objects --retained` (the heap graph) and `triage` exit 0;
//  - (string) and (heap number) within 2% of the snapshot: what only the caches V8's full GC
//    empties, or only the weak list of scripts, holds is not live (they were 2.3-3.3% high while
//    the dropped `new Function`s' scripts counted); every row within 2% is issue 13's rule,
//    checked as may_fail.
// Environment: MORTEM_E2E_DIR (cores/VERSION, holding busy/), MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

const char* const kClass = "BusyOrder";

fs::path Dir() {
  return fs::path(Require("MORTEM_E2E_DIR")) / "busy";
}

std::string Label() {
  return Env("MORTEM_E2E_LABEL").value_or("?");
}

// Runs mortem with --json; it must exit 0 exactly (a busy core is a healthy core).
uint64_t CountOf(const json& objects) {
  uint64_t n = 0;
  for (const auto& t : objects.at("types"))
    if (t.at("kind") == "object" && t.at("name") == kClass) n += t.at("count").get<uint64_t>();
  return n;
}

// The main isolate's spaces against V8's statistics of the same moment. The read-only space is
// left out: all isolates share it, and V8 counts it per isolate differently per line.
void CheckSpacesAsV8Counts(const json& info) {
  std::ifstream in(Dir() / "spaces.json");
  REQUIRE(in.good());
  const json v8_spaces = json::parse(in).at("heapSpaces");
  const json& main = info.at("isolates").at(0);
  CHECK(main.at("page_lists").at("scanned_spaces") == 0);
  std::map<std::string, uint64_t> committed;
  for (const auto& s : main.at("spaces"))
    committed[s.at("name").get<std::string>()] = s.at("committed").get<uint64_t>();
  size_t compared = 0;
  for (const auto& s : v8_spaces) {
    const std::string name = s.at("space_name").get<std::string>();
    const uint64_t size = s.at("space_size").get<uint64_t>();
    if (name == "read_only_space") continue;
    CAPTURE(name);
    CHECK(committed[name] == size);
    compared += size > 0;
    committed.erase(name);
  }
  CHECK(compared >= 4);  // new, old, code and large-object space at least
  for (const auto& [name, bytes] : committed)
    if (name != "read_only_space") CHECK_MESSAGE(false, "mortem's " << name << " is no V8 space");
  std::cout << "[e2e] " << Label() << " busy: committed bytes of " << compared
            << " spaces as V8's statistics, " << main.at("page_lists").at("unlisted_pages")
            << " unlisted pages left out\n";
}

// V8's snapshot of the busy core, and `objects` of its main isolate (V8 writes only the main
// isolate's heap): each read or run once for the test cases that compare them.
const Snapshot& BusySnapshot() {
  static const Snapshot snapshot = LoadSnapshot(Dir() / "heap.heapsnapshot");
  return snapshot;
}

const Rows& MainIsolateRows() {
  static const Rows rows = [] {
    const RunResult run =
        RunCli({"objects", (Dir() / "core").string(), "--json", "--isolate", "0"});
    REQUIRE_MESSAGE(run.exit_code == 0, run.Describe());
    return ParseObjectsJson(run.out);
  }();
  return rows;
}

// Rows of the main isolate's live objects against the snapshot's (V8 writes only the main
// isolate's heap), with the rows of 50+ instances that differ by more than `tolerance`.
struct RowDiffs {
  size_t compared = 0;
  std::vector<std::vector<std::string>> off{{"kind / name", "snapshot", "mortem", "diff"}};
};

RowDiffs CompareRows(double tolerance) {
  const Snapshot& snapshot = BusySnapshot();
  const Rows& ours = MainIsolateRows();
  RowDiffs d;
  for (const auto& [key, snap] : snapshot.rows) {
    if (snap.count < 50) continue;
    ++d.compared;
    auto it = ours.find(key);
    const uint64_t got = it == ours.end() ? 0 : it->second.count;
    const double diff = (static_cast<double>(got) - static_cast<double>(snap.count)) /
                        static_cast<double>(snap.count);
    if (std::fabs(diff) > tolerance)
      d.off.push_back({key.kind + " / " + key.name, std::to_string(snap.count), std::to_string(got),
                       std::to_string(diff * 100) + "%"});
  }
  return d;
}

// V8 empties its number-to-string and regexp caches at every full GC, the one its snapshot
// starts with: what only they hold is garbage awaiting collection, and mortem does not count it
// live (they held 6,000 of the core's 46,000 live strings, +15% against the snapshot, before).
}  // namespace

TEST_CASE("a busy core: exit 0, and the scenario's live class counted as V8's snapshot does") {
  const fs::path core = Dir() / "core";
  std::ifstream in(Dir() / "scenario.json");
  REQUIRE(in.good());
  const json scenario = json::parse(in);
  const uint64_t expected = scenario.at("counts").at(kClass).get<uint64_t>();
  REQUIRE(expected > 0);

  const Snapshot& snapshot = BusySnapshot();
  auto it = snapshot.rows.find(RowKey{"object", kClass});
  REQUIRE(it != snapshot.rows.end());
  CHECK_MESSAGE(it->second.count == expected, "the snapshot holds " << it->second.count << " "
                                                                    << kClass << ", the scenario "
                                                                    << expected);

  json info = RunCliJsonStrict({"info", core.string()});
  const json& walk = info.at("walk");
  INFO("walk: " << walk.dump());
  CHECK(walk.at("skipped_bytes") == 0);
  CHECK(walk.at("unreadable_bytes") == 0);
  CHECK(walk.at("problem_pages").empty());

  CheckSpacesAsV8Counts(info);

  const uint64_t reachable = CountOf(RunCliJsonStrict({"objects", core.string()}));
  CHECK(reachable == it->second.count);
  const uint64_t all = CountOf(RunCliJsonStrict({"objects", core.string(), "--all"}));
  CHECK(all >= reachable);
  // The heap graph's commands (references into the heap that hit no object start make them
  // partial) and triage exit 0 too.
  RunCliJsonStrict({"objects", core.string(), "--retained", "--top", "5"});
  json triage = RunCliJsonStrict({"triage", core.string(), "--no-retained"});
  CHECK(triage.at("partial") == false);
  std::cout << "[e2e] " << Label() << " busy (seed " << scenario.value("seed", 0) << ", "
            << scenario.value("rounds", 0) << " rounds): " << kClass << " scenario " << expected
            << ", snapshot " << it->second.count << ", mortem (live) " << reachable
            << ", whole heap " << all << "; unused " << walk.at("unused_bytes")
            << " bytes (allocation "
            << "areas found by shape " << walk.value("allocation_area_bytes", 0) << "), moved "
            << walk.value("moved_objects", 0) << " objects\n";
}

TEST_CASE("a busy core: strings and heap numbers the GC's caches hold are not live") {
  const Snapshot& snapshot = BusySnapshot();
  const Rows& ours = MainIsolateRows();
  for (const RowKey& key : {RowKey{"string", "(string)"}, RowKey{"number", "(heap number)"}}) {
    CAPTURE(key.name);
    auto snap = snapshot.rows.find(key);
    auto got = ours.find(key);
    REQUIRE(snap != snapshot.rows.end());
    REQUIRE(got != ours.end());
    const double diff =
        (static_cast<double>(got->second.count) - static_cast<double>(snap->second.count)) /
        static_cast<double>(snap->second.count);
    std::cout << "[e2e] " << Label() << " busy: " << key.name << " snapshot " << snap->second.count
              << ", mortem (live) " << got->second.count << " (" << diff * 100 << "%)\n";
    CHECK(std::fabs(diff) <= 0.02);
  }
}

// Issue 13's rule for busy cores, met on Node 22, 24.11 and 26 but not yet on 18, 20 and 24.4:
// (compiled code) 2.3-6.4% high there (what else V8's full GC drops before its snapshot is still
// counted live). Before script_list kept nothing alive it was 74-153% high on every line (the
// code of the dropped `new Function`s). Printed, and may fail.
TEST_CASE("a busy core: every row of 50+ instances within 2% of the snapshot" *
          doctest::may_fail()) {
  const RowDiffs d = CompareRows(0.02);
  std::cout << "[e2e] " << Label() << " busy rows: " << d.compared - (d.off.size() - 1) << "/"
            << d.compared << " of 50+ instances within 2% in count\n";
  if (d.off.size() > 1) std::cout << FormatTable(d.off);
  CHECK(d.off.size() == 1);
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR")) {
    for (const char* file : {"core", "heap.heapsnapshot", "scenario.json", "spaces.json"}) {
      if (!fs::exists(fs::path(*root) / "busy" / file)) {
        std::cout << "[e2e] " << Label() << " busy: SKIPPED, no " << file
                  << " (the e2e_cores_busy fixture could not make it; see its output)\n";
        return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
      }
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

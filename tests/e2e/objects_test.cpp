// End-to-end test of `mortem objects --json` against V8's own heap snapshot, per Node version.
// For each scenario directory (core, heap.heapsnapshot, scenario.json made by make-cores.sh):
//  (a) every class named in scenario.json "counts": mortem's count and self_size equal the
//      snapshot's exactly (and the snapshot holds at least the scenario's count);
//  (b) of the snapshot's rows with >= kMinInstances instances, at least kRequiredMatchRatio have
//      a mortem count within kTolerance of the snapshot's.
// Rows are (kind, name) with mortem's naming rule (support.h RowName). Native and synthetic
// snapshot nodes are left out: they are not V8 heap objects (see IsComparedKind).
// V8's internal rows -- code "(compiled code)", hidden "(system)", array "(array)" and object
// shape -- are rows like any other: mortem re-types internal objects by the field that refers to
// them as V8HeapExplorer::TagObject does (a constant pool is code, an enum cache an object shape).
// Environment (set by tests/CMakeLists.txt): MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_SCENARIOS
// (comma-separated subdirectories), MORTEM_E2E_LABEL (for messages), MORTEM_CLI (optional).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;

namespace {

constexpr uint64_t kMinInstances = 50;
constexpr double kTolerance = 0.02;
constexpr double kRequiredMatchRatio = 0.90;
constexpr size_t kMaxNameWidth = 60;

std::string Label() {
  return Env("MORTEM_E2E_LABEL").value_or("?");
}

std::string Short(const std::string& s) {
  std::string out;
  for (char c : s) out.push_back(c == '\n' || c == '\t' ? ' ' : c);
  if (out.size() > kMaxNameWidth) out = out.substr(0, kMaxNameWidth - 3) + "...";
  return out;
}

std::string Percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", x * 100);
  return buf;
}

double RelativeDiff(uint64_t expected, uint64_t actual) {
  if (expected == 0) return actual == 0 ? 0.0 : 1.0;
  return (static_cast<double>(actual) - static_cast<double>(expected)) /
         static_cast<double>(expected);
}

nlohmann::json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return nlohmann::json::parse(in);
}

bool IsInternalKind(const std::string& kind) {
  return kind == "code" || kind == "hidden" || kind == "array" || kind == "object shape";
}

void CompareScenario(const fs::path& dir) {
  const std::string label = Label() + " " + dir.filename().string();
  INFO("scenario " << label << " in " << dir.string());
  Snapshot snapshot = LoadSnapshot(dir / "heap.heapsnapshot");
  auto scenario = ReadJson(dir / "scenario.json");

  RunResult run = RunCli({"objects", (dir / "core").string(), "--json"});
  INFO("mortem objects: " << run.Describe() << " in " << run.seconds << "s; stderr:\n" << run.err);
  REQUIRE_MESSAGE(run.CleanExit(), "mortem objects did not exit cleanly: " << run.Describe());
  CHECK_MESSAGE(run.exit_code == 0, "mortem objects on an intact core should exit 0");
  Rows mortem_all;
  try {
    mortem_all = ParseObjectsJson(run.out);
  } catch (const std::exception& e) {
    FAIL("mortem objects --json printed no valid JSON (" << e.what() << "); first bytes:\n"
                                                         << run.out.substr(0, 400));
  }
  Rows mortem;
  for (const auto& [key, stats] : mortem_all)
    if (IsComparedKind(key.kind)) mortem[key] = stats;
  auto mortem_row = [&](const RowKey& key) {
    auto it = mortem.find(key);
    return it == mortem.end() ? RowStats{} : it->second;
  };

  // (a) the scenario's own classes: exact.
  std::vector<std::vector<std::string>> class_table{
      {"class", "scenario", "snapshot", "mortem", "snapshot self", "mortem self", ""}};
  int classes = 0, classes_exact = 0;
  if (scenario.contains("counts")) {
    for (const auto& [name, value] : scenario["counts"].items()) {
      const uint64_t made = value.get<uint64_t>();
      RowKey key{"object", name};
      auto it = snapshot.rows.find(key);
      RowStats snap = it == snapshot.rows.end() ? RowStats{} : it->second;
      RowStats ours = mortem_row(key);
      bool exact = ours.count == snap.count && ours.self_size == snap.self_size;
      ++classes;
      classes_exact += exact;
      class_table.push_back({name, WithCommas(made), WithCommas(snap.count), WithCommas(ours.count),
                             WithCommas(snap.self_size), WithCommas(ours.self_size),
                             exact ? "ok" : "MISMATCH"});
      CHECK_MESSAGE(snap.count >= made, "the snapshot holds fewer "
                                            << name << " than the scenario "
                                            << "made: the oracle is broken");
      CHECK_MESSAGE(ours.count == snap.count,
                    name << ": mortem count " << ours.count << " != snapshot count " << snap.count);
      CHECK_MESSAGE(ours.self_size == snap.self_size,
                    name << ": mortem self_size " << ours.self_size << " != snapshot self_size "
                         << snap.self_size);
    }
  }
  // Scenario sanity: the snapshot shows at least what the scenario kept alive, per kind.
  if (scenario.contains("minimums")) {
    for (const auto& [kind, value] : scenario["minimums"].items()) {
      uint64_t have = 0;
      for (const auto& [key, stats] : snapshot.rows)
        if (key.kind == kind) have += stats.count;
      CHECK_MESSAGE(have >= value.get<uint64_t>(),
                    "the snapshot has " << have << " nodes of kind '" << kind << "', the scenario "
                                        << "kept " << value << " alive: the scenario is broken");
    }
  }

  // (b) every well-populated snapshot row: count within tolerance.
  struct Mismatch {
    RowKey key;
    RowStats snap, ours;
    double diff;
  };
  std::vector<Mismatch> mismatches;
  size_t compared = 0, matching = 0;
  uint64_t snap_total = 0, ours_total = 0;
  for (const auto& [key, snap] : snapshot.rows) {
    snap_total += snap.count;
    if (snap.count < kMinInstances) continue;
    ++compared;
    RowStats ours = mortem_row(key);
    double diff = RelativeDiff(snap.count, ours.count);
    if (std::fabs(diff) <= kTolerance)
      ++matching;
    else
      mismatches.push_back({key, snap, ours, diff});
  }
  for (const auto& [key, ours] : mortem) ours_total += ours.count;
  // Rows mortem reports with many instances that the snapshot does not have at all.
  std::vector<std::pair<RowKey, RowStats>> only_mortem;
  for (const auto& [key, ours] : mortem)
    if (ours.count >= kMinInstances && !snapshot.rows.contains(key))
      only_mortem.push_back({key, ours});

  std::sort(mismatches.begin(), mismatches.end(), [](const Mismatch& a, const Mismatch& b) {
    uint64_t da =
        a.snap.count > a.ours.count ? a.snap.count - a.ours.count : a.ours.count - a.snap.count;
    uint64_t db =
        b.snap.count > b.ours.count ? b.snap.count - b.ours.count : b.ours.count - b.snap.count;
    return da > db;
  });
  const double ratio = compared ? static_cast<double>(matching) / static_cast<double>(compared) : 0;
  char ratio_text[16];
  std::snprintf(ratio_text, sizeof ratio_text, "%.1f%%", ratio * 100);

  std::ostringstream report;
  report << "[e2e] " << label << ": rows compared " << compared << " (>= " << kMinInstances
         << " instances), matching " << matching << " (" << ratio_text << ", need "
         << kRequiredMatchRatio * 100 << "%)";
  if (classes) report << "; classes exact " << classes_exact << "/" << classes;
  report << "; objects snapshot " << WithCommas(snap_total) << " mortem " << WithCommas(ours_total)
         << "; mortem " << run.seconds << "s\n";
  if (classes && classes_exact != classes) report << FormatTable(class_table);
  if (!mismatches.empty()) {
    std::vector<std::vector<std::string>> table{
        {"kind / name", "snapshot", "mortem", "diff", "snapshot self", "mortem self"}};
    for (const auto& m : mismatches)
      table.push_back({Short(m.key.kind + " / " + m.key.name), WithCommas(m.snap.count),
                       WithCommas(m.ours.count), Percent(m.diff), WithCommas(m.snap.self_size),
                       WithCommas(m.ours.self_size)});
    report << "  rows off by more than " << kTolerance * 100 << "%:\n" << FormatTable(table);
  }
  if (!only_mortem.empty()) {
    std::vector<std::vector<std::string>> table{
        {"kind / name (not in snapshot)", "mortem", "mortem self"}};
    for (const auto& [key, ours] : only_mortem)
      table.push_back(
          {Short(key.kind + " / " + key.name), WithCommas(ours.count), WithCommas(ours.self_size)});
    report << "  rows only mortem has (>= " << kMinInstances << "):\n" << FormatTable(table);
  }
  std::cout << report.str() << std::flush;

  CHECK_MESSAGE(compared > 0, "no snapshot rows with >= " << kMinInstances << " instances");
  CHECK_MESSAGE(ratio >= kRequiredMatchRatio, label << ": only " << matching << " of " << compared
                                                    << " rows match within " << kTolerance * 100
                                                    << "% (see the table above)");
}

}  // namespace

// By default mortem leaves out what its roots do not reach (marked from the core, no graph), as
// V8's snapshot leaves out what V8's roots do not: every JS object row and every internal row
// ("(compiled code)", "(system)", "(array)", "(object shape)") the snapshot has 50 or more of is
// within 2%. `--all` counts the whole heap: no row smaller, and the difference in total is the
// garbage the default output says it left out.
void CompareReachableObjectRows(const fs::path& dir) {
  const std::string label = Label() + " " + dir.filename().string();
  Snapshot snapshot = LoadSnapshot(dir / "heap.heapsnapshot");
  RunResult run = RunCli({"objects", (dir / "core").string(), "--json"});
  REQUIRE_MESSAGE(run.CleanExit(), "mortem objects: " << run.Describe());
  Rows ours = ParseObjectsJson(run.out);
  {
    const auto live = nlohmann::json::parse(run.out);
    RunResult whole = RunCli({"objects", (dir / "core").string(), "--all", "--json"});
    REQUIRE_MESSAGE(whole.CleanExit(), "mortem objects --all: " << whole.Describe());
    const auto all = nlohmann::json::parse(whole.out);
    CHECK(!all.contains("unreachable"));
    REQUIRE(live.contains("unreachable"));
    CHECK(all["total"]["count"].get<uint64_t>() ==
          live["total"]["count"].get<uint64_t>() + live["unreachable"]["count"].get<uint64_t>());
    CHECK(all["total"]["self_size"].get<uint64_t>() ==
          live["total"]["self_size"].get<uint64_t>() +
              live["unreachable"]["self_size"].get<uint64_t>());
    const Rows whole_rows = ParseObjectsJson(whole.out);
    for (const auto& [key, row] : ours) {
      auto it = whole_rows.find(key);
      CHECK_MESSAGE((it != whole_rows.end() && it->second.count >= row.count),
                    label << " " << key.name << ": " << row.count << " live, fewer with --all");
    }
  }
  size_t compared = 0, within = 0;
  for (const auto& [key, snap] : snapshot.rows) {
    if ((key.kind != "object" && !IsInternalKind(key.kind)) || snap.count < 50) continue;
    ++compared;
    auto it = ours.find(key);
    const uint64_t count = it == ours.end() ? 0 : it->second.count;
    const double diff = std::fabs(static_cast<double>(count) - static_cast<double>(snap.count));
    within += diff <= 0.02 * static_cast<double>(snap.count);
    CHECK_MESSAGE(diff <= 0.02 * static_cast<double>(snap.count),
                  label << " " << key.name << ": mortem " << count << ", snapshot " << snap.count);
  }
  std::cout << "[e2e] " << label << " objects (live): " << within << "/" << compared
            << " JS object and internal rows (50+ in the snapshot) within 2%\n";
  CHECK(compared > 0);
}

TEST_CASE("mortem objects: live JS object and internal rows as V8's snapshot counts them") {
  fs::path root = Require("MORTEM_E2E_DIR");
  for (const auto& scenario : SplitList(Require("MORTEM_E2E_SCENARIOS"))) {
    CAPTURE(scenario);
    CompareReachableObjectRows(root / scenario);
  }
}

TEST_CASE("mortem objects --json agrees with V8's heap snapshot") {
  fs::path root = Require("MORTEM_E2E_DIR");
  for (const auto& scenario : SplitList(Require("MORTEM_E2E_SCENARIOS"))) {
    CAPTURE(scenario);
    CompareScenario(root / scenario);
  }
}

int main(int argc, char** argv) {
  // Skip (not fail) when the scenario cores could not be made on this machine.
  if (auto root = Env("MORTEM_E2E_DIR"); root && Env("MORTEM_E2E_SCENARIOS")) {
    for (const auto& scenario : SplitList(*Env("MORTEM_E2E_SCENARIOS"))) {
      for (const char* file : {"core", "heap.heapsnapshot", "scenario.json"}) {
        fs::path p = fs::path(*root) / scenario / file;
        if (!fs::exists(p)) {
          std::cout << "[e2e] " << Label() << " " << scenario << ": SKIPPED, no " << p.string()
                    << " (the e2e_cores fixture could not make it; see its output)\n";
          return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
        }
      }
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

// End-to-end test of `mortem snapshot` per Node version, against the .heapsnapshot V8 itself
// wrote of the same heap (classes and strings: just before the core; busy: just after a gcore
// core taken with no GC before it). Both files are summarised the same way:
//  - the format: meta (fields and types) and top-level sections equal V8's, in V8's order;
//    node_count and edge_count equal what the arrays hold; every edge points at a node; every
//    name is in the strings table; node ids are unique, and the same for two runs;
//  - per row (kind, class with mortem's naming rule): every object row V8 has 50+ instances of
//    within 2% in count; the scenario's classes exact in count and self size;
//  - the node count within 5%;
//  - the scenario's classes' retained sizes (from each file's own dominator tree) within 10%.
// Environment: MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_SCENARIOS, MORTEM_E2E_LABEL,
// MORTEM_E2E_SCRATCH (where the snapshots are written).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <set>

#include "snapshot_graph.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

std::string Label() {
  return Env("MORTEM_E2E_LABEL").value_or("?");
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return json::parse(in);
}

// The snapshot's header and section names in file order, without the arrays.
struct Shape {
  std::vector<std::string> sections;
  nlohmann::ordered_json meta;
};
Shape ReadShape(const fs::path& path) {
  std::ifstream in(path);
  Shape s;
  // The header is the first line; the sections are the keys of the top-level object.
  std::string header;
  std::getline(in, header);
  const auto meta_at = header.find("\"meta\":");
  const auto meta_end = header.find("},\"node_count\"");
  REQUIRE_MESSAGE((meta_at != std::string::npos && meta_end != std::string::npos),
                  path << ": no meta in the first line");
  s.meta = nlohmann::ordered_json::parse(header.substr(meta_at + 7, meta_end + 1 - meta_at - 7));
  in.seekg(0);
  json::parser_callback_t keys = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key) s.sections.push_back(parsed);
    return depth <= 1 || event != json::parse_event_t::value;
  };
  const json skeleton = json::parse(in, keys);  // the arrays left out
  CHECK(skeleton.is_object());
  return s;
}

Rows SummaryRows(const SnapshotGraph& g) {
  Rows rows;
  for (size_t i = 0; i < g.n; ++i) {
    const std::string kind = g.Type(i);
    if (!IsComparedKind(kind)) continue;
    auto& row = rows[RowKey{kind, RowName(kind, g.Name(i))}];
    row.count++;
    row.self_size += g.nodes[i * g.k + g.si];
  }
  return rows;
}

// The file's own consistency: counts, edge targets, string indices, unique ids.
void CheckWellFormed(const fs::path& path, const SnapshotGraph& g) {
  const json header = ReadJson(path)["snapshot"];
  CHECK(header["node_count"].get<uint64_t>() == g.n);
  CHECK(header["edge_count"].get<uint64_t>() * g.ke == g.edges.size());
  uint64_t edges = 0;
  std::set<uint64_t> ids;
  for (size_t i = 0; i < g.n; ++i) {
    edges += g.nodes[i * g.k + g.eci];
    ids.insert(g.nodes[i * g.k + g.ii]);
    REQUIRE(g.nodes[i * g.k + g.ni] < g.strings.size());
  }
  CHECK(edges * g.ke == g.edges.size());
  CHECK_MESSAGE(ids.size() == g.n, "node ids repeat");
  size_t bad_targets = 0, bad_names = 0;
  for (size_t e = 0; e < g.edges.size(); e += g.ke) {
    const uint64_t to = g.edges[e + g.eto];
    bad_targets += to % g.k != 0 || to / g.k >= g.n;
    const std::string type = g.et.at(g.edges[e + g.ett]);
    bad_names += type != "element" && type != "hidden" && g.edges[e + g.eni] >= g.strings.size();
  }
  CHECK_MESSAGE(bad_targets == 0, bad_targets << " edges point at no node");
  CHECK_MESSAGE(bad_names == 0, bad_names << " edge names are not in the strings table");
}

void CompareScenario(const fs::path& dir, const fs::path& scratch) {
  const std::string label = Label() + " " + dir.filename().string();
  INFO("scenario " << label);
  const fs::path ours_path = scratch / (dir.filename().string() + ".heapsnapshot");
  fs::create_directories(scratch);
  const json summary = RunCliJson({"snapshot", (dir / "core").string(), "-o", ours_path.string()});
  CHECK(summary["file"] == ours_path.string());
  CHECK(summary["bytes"].get<uint64_t>() == fs::file_size(ours_path));

  // The format V8 writes on this line.
  const Shape v8_shape = ReadShape(dir / "heap.heapsnapshot");
  const Shape our_shape = ReadShape(ours_path);
  CHECK(our_shape.sections == v8_shape.sections);
  CHECK_MESSAGE(
      our_shape.meta == v8_shape.meta,
      "meta differs:\nV8:     " << v8_shape.meta.dump() << "\nmortem: " << our_shape.meta.dump());

  const SnapshotGraph v8_graph = LoadSnapshotGraph(dir / "heap.heapsnapshot");
  const SnapshotGraph our_graph = LoadSnapshotGraph(ours_path);
  CheckWellFormed(ours_path, our_graph);
  CHECK(summary["nodes"].get<uint64_t>() == our_graph.n);
  CHECK(summary["edges"].get<uint64_t>() * our_graph.ke == our_graph.edges.size());

  // Node count within 5%.
  const double node_diff =
      std::fabs(static_cast<double>(our_graph.n) - static_cast<double>(v8_graph.n));
  CHECK_MESSAGE(node_diff <= 0.05 * static_cast<double>(v8_graph.n),
                "nodes: mortem " << our_graph.n << ", V8 " << v8_graph.n);

  // Object rows of 50+ instances within 2%.
  const Rows v8_rows = SummaryRows(v8_graph), our_rows = SummaryRows(our_graph);
  size_t compared = 0, within = 0;
  std::vector<std::vector<std::string>> off{{"row", "V8", "mortem"}};
  for (const auto& [key, snap] : v8_rows) {
    if (key.kind != "object" || snap.count < 50) continue;
    ++compared;
    auto it = our_rows.find(key);
    const uint64_t count = it == our_rows.end() ? 0 : it->second.count;
    const double diff = std::fabs(static_cast<double>(count) - static_cast<double>(snap.count));
    if (diff <= 0.02 * static_cast<double>(snap.count))
      ++within;
    else
      off.push_back({key.name, WithCommas(snap.count), WithCommas(count)});
  }
  CHECK_MESSAGE(within == compared, label << ": object rows beyond 2%:\n" << FormatTable(off));

  // The scenario's classes: exact, and their retained sizes within 10%.
  const json scenario = ReadJson(dir / "scenario.json");
  std::vector<std::string> classes;
  if (scenario.contains("counts"))
    for (const auto& [name, value] : scenario["counts"].items()) classes.push_back(name);
  const auto v8_retained = SnapshotRetained(v8_graph, classes);
  const auto our_retained = SnapshotRetained(our_graph, classes);
  for (const auto& c : classes) {
    const RowKey key{"object", c};
    const RowStats snap = v8_rows.contains(key) ? v8_rows.at(key) : RowStats{};
    const RowStats ours = our_rows.contains(key) ? our_rows.at(key) : RowStats{};
    CHECK_MESSAGE(ours.count == snap.count,
                  c << ": mortem " << ours.count << ", V8 " << snap.count);
    CHECK_MESSAGE(ours.self_size == snap.self_size,
                  c << ": self size mortem " << ours.self_size << ", V8 " << snap.self_size);
    const uint64_t want = v8_retained.contains(c) ? v8_retained.at(c) : 0;
    const uint64_t got = our_retained.contains(c) ? our_retained.at(c) : 0;
    std::cout << "[e2e] " << label << " " << c << ": count " << ours.count << " (V8 " << snap.count
              << "), retained " << got << " (V8 " << want << ")\n";
    CHECK_MESSAGE(std::fabs(static_cast<double>(got) - static_cast<double>(want)) <=
                      0.10 * static_cast<double>(want),
                  c << ": retained mortem " << got << ", V8 " << want);
  }
  std::cout << "[e2e] " << label << " snapshot: nodes " << our_graph.n << " (V8 " << v8_graph.n
            << "), edges " << our_graph.edges.size() / our_graph.ke << " (V8 "
            << v8_graph.edges.size() / v8_graph.ke << "), object rows of 50+ within 2%: " << within
            << "/" << compared << ", " << summary["seconds"] << " s\n";
  fs::remove(ours_path);
}

}  // namespace

TEST_CASE("mortem snapshot: V8's format, and the summary of V8's own snapshot") {
  const fs::path root = Require("MORTEM_E2E_DIR");
  const fs::path scratch = Require("MORTEM_E2E_SCRATCH");
  for (const auto& scenario : SplitList(Require("MORTEM_E2E_SCENARIOS"))) {
    CAPTURE(scenario);
    CompareScenario(root / scenario, scratch / "snapshot");
  }
}

TEST_CASE("mortem snapshot: the same core gives the same file") {
  const fs::path core = fs::path(Require("MORTEM_E2E_DIR")) / "classes" / "core";
  const fs::path scratch = fs::path(Require("MORTEM_E2E_SCRATCH")) / "snapshot";
  fs::create_directories(scratch);
  std::string files[2];
  for (int i = 0; i < 2; ++i) {
    const fs::path path = scratch / ("again-" + std::to_string(i) + ".heapsnapshot");
    RunCliJson({"snapshot", core.string(), "-o", path.string(), "--threads", i ? "1" : "2"});
    std::ifstream in(path, std::ios::binary);
    files[i].assign(std::istreambuf_iterator<char>(in), {});
    fs::remove(path);
  }
  CHECK_MESSAGE(files[0] == files[1], "two runs wrote different snapshots");
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR"); root && Env("MORTEM_E2E_SCENARIOS")) {
    for (const auto& scenario : SplitList(*Env("MORTEM_E2E_SCENARIOS")))
      for (const char* file : {"core", "heap.heapsnapshot", "scenario.json"})
        if (!fs::exists(fs::path(*root) / scenario / file)) {
          std::cout << "[e2e] " << Label() << " " << scenario << ": SKIPPED, no " << file << "\n";
          return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
        }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

// End-to-end test of `mortem refs` and `mortem retainers` on the classes scenario of one Node
// version, against V8's own heap snapshot of the same heap and what the scenario did:
//  - refs: a RequestRecord's holders are what the snapshot lists as its non-weak retainers,
//    leaving out V8's synthetic element shortcut from the JSArray: one "(object elements)" array;
//  - retainers: a path names the element index, the `records` property of the kept object and
//    the `__keep` global property the scenario assigned;
//  - refs --name records / --string "/api/items/7" find exactly the holders the scenario made.
// Environment: MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "snapshot_graph.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

fs::path Core() {
  return fs::path(Require("MORTEM_E2E_DIR")) / "classes" / "core";
}

// The snapshot's non-weak retainers of every node named `name`, as (edge type, holder name)
// sets with V8's element shortcut from JSArrays left out; returns the distinct sets.
std::set<std::multiset<std::string>> SnapshotRetainers(const fs::path& path,
                                                       const std::string& name) {
  std::ifstream in(path);
  json s = json::parse(in);
  const auto& meta = s["snapshot"]["meta"];
  std::vector<std::string> nf = meta["node_fields"], ef = meta["edge_fields"];
  std::vector<std::string> nt = meta["node_types"][0], et = meta["edge_types"][0];
  const auto& nodes = s["nodes"];
  const auto& edges = s["edges"];
  const auto& strings = s["strings"];
  auto col = [](const std::vector<std::string>& f, const char* n) {
    return static_cast<size_t>(std::find(f.begin(), f.end(), n) - f.begin());
  };
  size_t k = nf.size(), ke = ef.size(), ti = col(nf, "type"), ni = col(nf, "name"),
         eci = col(nf, "edge_count"), ett = col(ef, "type"), eto = col(ef, "to_node");
  std::map<size_t, std::multiset<std::string>> retainers;
  size_t e = 0;
  for (size_t i = 0; i < nodes.size(); i += k) {
    const std::string holder_type = nt[nodes[i + ti].get<size_t>()];
    const std::string holder = strings[nodes[i + ni].get<size_t>()];
    for (size_t j = 0; j < nodes[i + eci].get<size_t>(); ++j, e += ke) {
      const std::string type = et[edges[e + ett].get<size_t>()];
      if (type == "weak" || (type == "element" && holder_type == "object" && holder == "Array"))
        continue;
      retainers[edges[e + eto].get<size_t>()].insert(type + " from " + holder);
    }
  }
  std::set<std::multiset<std::string>> distinct;
  for (size_t i = 0; i < nodes.size(); i += k)
    if (nt[nodes[i + ti].get<size_t>()] == "object" && strings[nodes[i + ni].get<size_t>()] == name)
      distinct.insert(retainers[i]);
  return distinct;
}

// The retained sizes of the objects a property edge named `property` points to.
std::vector<uint64_t> SnapshotRetainedOfProperty(const SnapshotGraph& g,
                                                 const std::string& property) {
  std::vector<uint64_t> out;
  for (size_t i = 0, e = 0; i < g.n; ++i)
    for (uint64_t j = 0; j < g.nodes[i * g.k + g.eci]; ++j, ++e) {
      const uint64_t* edge = &g.edges[e * g.ke];
      if (g.et[edge[g.ett]] == "property" && g.strings[edge[g.eni]] == property)
        out.push_back(g.tree.retained[edge[g.eto] / g.k]);
    }
  return out;
}

// The names of the context edges leading to nodes named `name` (V8 names each by its variable).
std::multiset<std::string> SnapshotContextEdgesTo(const SnapshotGraph& g, const std::string& name) {
  std::multiset<std::string> out;
  for (size_t i = 0, e = 0; i < g.n; ++i)
    for (uint64_t j = 0; j < g.nodes[i * g.k + g.eci]; ++j, ++e) {
      const uint64_t* edge = &g.edges[e * g.ke];
      if (g.et[edge[g.ett]] == "context" && g.Name(edge[g.eto] / g.k) == name)
        out.insert(g.strings[edge[g.eni]].get<std::string>());
    }
  return out;
}

// "[123]": an element edge.
bool IsElementEdge(const std::string& edge) {
  return edge.size() > 2 && edge.front() == '[' && edge.back() == ']' &&
         std::all_of(edge.begin() + 1, edge.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
}

// "123": a slot of an (array), as V8's snapshot names it (an internal edge by index).
bool IsIndexEdge(const std::string& edge) {
  return !edge.empty() &&
         std::all_of(edge.begin(), edge.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

TEST_CASE("retained sizes per class agree with the snapshot's dominator tree within 10%") {
  const std::string core = Core().string();
  // SessionStore: its keys are internalized strings, not retained by it (V8's snapshot holds
  // them from "(Internalized strings)"): 2,000 strings, a third of its retained size otherwise.
  const std::vector<std::string> classes{"RequestRecord", "Dog", "Puppy", "LegacyPoint",
                                         "SessionStore"};
  auto expected =
      SnapshotRetained(LoadSnapshotGraph(Core().parent_path() / "heap.heapsnapshot"), classes);
  auto objects = RunCliJson({"objects", core, "--retained"});
  for (const auto& c : classes) {
    uint64_t ours = 0;
    for (const auto& row : objects["types"])
      if (row["kind"] == "object" && row["name"] == c) ours = row["retained_size"];
    const double want = static_cast<double>(expected[c]);
    std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " retained " << c
              << ": snapshot " << expected[c] << ", mortem " << ours << "\n";
    CHECK_MESSAGE(std::fabs(static_cast<double>(ours) - want) <= 0.10 * want,
                  c << ": mortem " << ours << " vs snapshot " << expected[c]);
  }
}

// Two ways to liveness: the heap graph's (objects --retained builds it first) and the marker's
// (objects alone: no edges). They follow the same references from the same roots, so every row
// and the total agree exactly.
TEST_CASE("live objects marked from the core are the heap graph's reachable ones") {
  const std::string core = Core().string();
  const json marked = RunCliJson({"objects", core});
  const json graph = RunCliJson({"objects", core, "--retained"});
  CHECK(marked["total"] == graph["total"]);
  CHECK(marked["unreachable"] == graph["unreachable"]);
  std::map<std::pair<std::string, std::string>, uint64_t> rows;
  for (const auto& row : graph["types"]) rows[{row["name"], row["kind"]}] = row["count"];
  size_t differ = 0;
  for (const auto& row : marked["types"])
    differ += rows[{row["name"], row["kind"]}] != row["count"];
  CHECK(differ == 0);
  // Markers hand work to each other: any number of them marks the same set.
  for (const char* threads : {"1", "7"})
    CHECK(RunCliJson({"objects", core, "--threads", threads})["total"] == marked["total"]);
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?")
            << " live objects: " << marked["total"]["count"] << " marked, "
            << graph["total"]["count"] << " by the graph; " << differ << " rows differ\n";
}

TEST_CASE("dominators: the scenario's records array, retained as in the snapshot's tree") {
  auto graph = LoadSnapshotGraph(Core().parent_path() / "heap.heapsnapshot");
  auto expected = SnapshotRetainedOfProperty(graph, "records");
  REQUIRE(expected.size() == 1);
  auto result = RunCliJson({"dominators", Core().string(), "--top", "50"});
  const json* records = nullptr;
  for (const auto& row : result["dominators"]) {
    const auto& steps = row["path"]["steps"];
    if (!steps.empty() && steps[0]["edge"] == "records") records = &row;
  }
  REQUIRE_MESSAGE(records, "no dominator held by `records` among the top 50");
  const double want = static_cast<double>(expected[0]);
  const uint64_t got = (*records)["retained_size"];
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?")
            << " dominators: records array retains " << got << " (snapshot " << expected[0]
            << ")\n";
  CHECK(std::fabs(static_cast<double>(got) - want) <= 0.10 * want);
  // Listed by retained size, biggest first.
  uint64_t previous = UINT64_MAX;
  for (const auto& row : result["dominators"]) {
    CHECK(row["retained_size"].get<uint64_t>() <= previous);
    previous = row["retained_size"];
  }
}

TEST_CASE("dominators: ArrayBuffers retain their backing stores, as in the snapshot's tree") {
  // The buffers scenario keeps 50 slabs of 256 KiB (each under a 16-byte view) in `keep.slabs`,
  // a 4 MiB ArrayBuffer under a Float32Array and a 1 MiB one under a 16-byte view.
  const fs::path dir = Core().parent_path().parent_path() / "buffers";
  auto graph = LoadSnapshotGraph(dir / "heap.heapsnapshot");
  auto expected = SnapshotRetainedOfProperty(graph, "slabs");
  REQUIRE(expected.size() == 1);
  auto result = RunCliJson({"dominators", (dir / "core").string(), "--top", "40"});
  const json* slabs = nullptr;
  for (const auto& r : result["dominators"]) {
    const auto& steps = r["path"]["steps"];
    if (!steps.empty() && steps[0]["edge"] == "slabs") slabs = &r;
  }
  REQUIRE_MESSAGE(slabs, "no dominator held by `slabs` among the top 40");
  const uint64_t got = (*slabs)["retained_size"];
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " dominators: slabs retains "
            << got << " (snapshot " << expected[0] << ")\n";
  CHECK(std::fabs(static_cast<double>(got) - static_cast<double>(expected[0])) <=
        0.10 * static_cast<double>(expected[0]));
  // The single big buffers retain at least their bytes. (Which object dominates them differs
  // from the snapshot when a stale stack slot points at the buffer: mortem scans stacks
  // conservatively, and the snapshot was taken at another point of the same stack.)
  std::ifstream scenario_file(dir / "scenario.json");
  const json scenario = json::parse(scenario_file);
  for (const char* name : {"floats", "big_view"}) {
    const uint64_t bytes = scenario["buffers"][name]["buffer_byte_length"];
    bool found = false;
    for (const auto& r : result["dominators"])
      found |= r["type"] == "ArrayBuffer" && r["retained_size"].get<uint64_t>() >= bytes &&
               r["retained_size"].get<uint64_t>() < bytes + 4096;
    CHECK_MESSAGE(found, "no ArrayBuffer retaining the " << bytes << " bytes of " << name);
  }
}

// Edges of the snapshot's synthetic root category named `name`, e.g. "(Eternal handles)".
size_t SnapshotRootEdges(const SnapshotGraph& g, const std::string& name) {
  for (size_t i = 0; i < g.n; ++i)
    if (g.Type(i) == "synthetic" && g.Name(i) == name) return g.nodes[i * g.k + g.eci];
  return 0;
}

// Distinct objects the root category `name` points at (its edges can name one object twice, as
// a builtin in both of V8's builtin tables).
size_t SnapshotRootTargets(const SnapshotGraph& g, const std::string& name) {
  size_t edge = 0;
  for (size_t i = 0; i < g.n; ++i) {
    const size_t count = g.nodes[i * g.k + g.eci];
    if (g.Type(i) == "synthetic" && g.Name(i) == name) {
      std::set<uint64_t> targets;
      for (size_t e = edge; e < edge + count; ++e) targets.insert(g.edges[e * g.ke + g.eto]);
      return targets.size();
    }
    edge += count;
  }
  return 0;
}

TEST_CASE(
    "roots: the builtins, object caches and external strings are the ones V8's snapshot lists") {
  auto graph = LoadSnapshotGraph(Core().parent_path() / "heap.heapsnapshot");
  const size_t builtins = SnapshotRootTargets(graph, "(Builtins)");
  const size_t startup = SnapshotRootEdges(graph, "(Startup object cache)");
  const size_t shareable = SnapshotRootEdges(graph, "(Shareable object cache)");
  const size_t external = SnapshotRootEdges(graph, "(External strings)");
  REQUIRE(builtins > 0);
  REQUIRE(startup > 0);
  REQUIRE(shareable > 0);
  auto dog = RunCliJson({"instances", Core().string(), "Dog", "--limit", "1"});
  REQUIRE(!dog["instances"].empty());
  auto r = RunCliJson({"retainers", Core().string(), dog["instances"][0]["address"]});
  const auto& roots = r["graph"]["roots"];
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " roots: builtins "
            << roots["builtins"] << " (snapshot " << builtins << " distinct), startup object cache "
            << roots["startup_object_cache"] << " (snapshot " << startup
            << "), shareable object cache " << roots["shared_heap_object_cache"] << " (snapshot "
            << shareable << "), external strings " << roots["external_strings"] << " (snapshot "
            << external << ")\n";
  CHECK(roots["builtins"].get<size_t>() == builtins);
  CHECK(roots["startup_object_cache"].get<size_t>() == startup);
  CHECK(roots["shared_heap_object_cache"].get<size_t>() == shareable);
  CHECK(roots["external_strings"].get<size_t>() == external);
}

TEST_CASE("roots: the eternal and global handles are the ones V8's snapshot lists") {
  auto graph = LoadSnapshotGraph(Core().parent_path() / "heap.heapsnapshot");
  const size_t eternal = SnapshotRootEdges(graph, "(Eternal handles)");
  const size_t global = SnapshotRootEdges(graph, "(Global handles)");
  REQUIRE(eternal > 0);
  REQUIRE(global > 0);
  auto dog = RunCliJson({"instances", Core().string(), "Dog", "--limit", "1"});
  REQUIRE(!dog["instances"].empty());
  auto r = RunCliJson({"retainers", Core().string(), dog["instances"][0]["address"]});
  const auto& roots = r["graph"]["roots"];
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " roots: eternal handles "
            << roots["eternal_handles"] << " (snapshot " << eternal << "), global handles "
            << roots["global_handles"] << " strong + " << roots["weak_global_handles"]
            << " weak (snapshot " << global << ")\n";
  CHECK(roots["eternal_handles"].get<size_t>() == eternal);
  CHECK(roots["global_handles"].get<size_t>() + roots["weak_global_handles"].get<size_t>() ==
        global);
}

TEST_CASE("refs and retainers name what holds the scenario's objects") {
  const std::string core = Core().string();
  const std::string label = Env("MORTEM_E2E_LABEL").value_or("?");
  auto oracle = SnapshotRetainers(Core().parent_path() / "heap.heapsnapshot", "RequestRecord");
  REQUIRE(oracle.size() == 1);  // every RequestRecord is held the same way
  const auto& expected = *oracle.begin();
  auto instances = RunCliJson({"instances", core, "RequestRecord", "--limit", "3"});
  REQUIRE(instances["instances"].size() == 3);
  for (const auto& i : instances["instances"]) {
    const std::string address = i["address"];
    CAPTURE(address);
    auto refs = RunCliJson({"refs", core, address});
    std::vector<json> strong;
    for (const auto& r : refs["references"])
      if (!r["weak"].get<bool>()) strong.push_back(r);
    CHECK(strong.size() == expected.size());
    for (const auto& r : strong) {
      CHECK(r["holder_type"] == "(array)");
      CHECK(IsIndexEdge(r["edge"].get<std::string>()));
    }
    auto retainers = RunCliJson({"retainers", core, address, "--paths", "5"});
    CHECK(retainers["reachable"] == true);
    REQUIRE(!retainers["paths"].empty());
    bool via_records = false, via_global = false;
    for (const auto& p : retainers["paths"]) {
      const auto& steps = p["steps"];
      if (steps.size() >= 3 && IsElementEdge(steps[0]["edge"].get<std::string>()) &&
          steps[1]["type"] == "Array" && steps[1]["edge"] == "records")
        via_records = true;
      for (const auto& s : steps) via_global |= s["edge"] == "__keep";
    }
    CHECK_MESSAGE(via_records, retainers["paths"].dump());
    CHECK_MESSAGE(via_global, retainers["paths"].dump());
    std::cout << "[e2e] " << label << " retainers " << address << ": " << retainers["paths"].size()
              << " paths, graph " << retainers["graph"].dump() << "\n";
  }
  auto by_name = RunCliJson({"refs", core, "records", "--name"});
  REQUIRE(by_name["references"].size() == 1);
  CHECK(by_name["references"][0]["holder_type"] == "Object");
  auto by_string = RunCliJson({"refs", core, "/api/items/7", "--string"});
  REQUIRE(by_string["references"].size() == 1);
  CHECK(by_string["references"][0]["holder_type"] == "RequestRecord");
  CHECK(by_string["references"][0]["edge"] == "url");
}

TEST_CASE("a context variable of a scope too big for inline names is named as V8 names it") {
  const std::string core = Core().string();
  const SnapshotGraph g = LoadSnapshotGraph(Core().parent_path() / "heap.heapsnapshot");
  const auto expected = SnapshotContextEdgesTo(g, "WideScopeHeld");
  REQUIRE(expected.size() == 1);  // the scenario's closure of 220 variables holds the only one
  auto instances = RunCliJson({"instances", core, "WideScopeHeld"});
  REQUIRE(instances["instances"].size() == 1);
  const std::string address = instances["instances"][0]["address"];
  auto refs = RunCliJson({"refs", core, address});
  std::multiset<std::string> got;
  for (const auto& r : refs["references"])
    if (r["holder_type"] == "system / Context") got.insert(r["edge"].get<std::string>());
  CHECK(got == expected);
  auto retainers = RunCliJson({"retainers", core, address, "--paths", "1"});
  REQUIRE(!retainers["paths"].empty());
  CHECK(retainers["paths"][0]["steps"][0]["edge"] == *expected.begin());
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR");
      root && !fs::exists(fs::path(*root) / "classes" / "core")) {
    std::cout << "[e2e] graph: SKIPPED, no core in " << *root << "/classes\n";
    return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
  }
  doctest::Context context(argc, argv);
  return context.run();
}

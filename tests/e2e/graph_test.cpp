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

#include "mortem/v8/dominators.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

fs::path Core() {
  return fs::path(Require("MORTEM_E2E_DIR")) / "classes" / "core";
}

json RunJson(std::vector<std::string> args) {
  args.push_back("--json");
  auto r = RunCli(args);
  INFO("mortem " << args[0] << ": " << r.Describe() << "\nstderr:\n" << r.err);
  REQUIRE(r.CleanExit());
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
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

// Retained size per class from V8's snapshot: its graph (weak edges left out) rooted at node 0,
// dominators by the same algorithm mortem uses (unit-tested on its own), summed with DevTools'
// rule: instances no other instance of the class dominates.
std::map<std::string, uint64_t> SnapshotRetained(const fs::path& path,
                                                 const std::vector<std::string>& classes) {
  std::ifstream in(path);
  json s = json::parse(in);
  const auto& meta = s["snapshot"]["meta"];
  std::vector<std::string> nf = meta["node_fields"], ef = meta["edge_fields"];
  std::vector<std::string> nt = meta["node_types"][0], et = meta["edge_types"][0];
  std::vector<uint64_t> nodes = s["nodes"].get<std::vector<uint64_t>>();
  std::vector<uint64_t> edges = s["edges"].get<std::vector<uint64_t>>();
  const auto& strings = s["strings"];
  auto col = [](const std::vector<std::string>& f, const char* n) {
    return static_cast<size_t>(std::find(f.begin(), f.end(), n) - f.begin());
  };
  const size_t k = nf.size(), ke = ef.size(), n = nodes.size() / k;
  const size_t ti = col(nf, "type"), ni = col(nf, "name"), si = col(nf, "self_size"),
               eci = col(nf, "edge_count"), ett = col(ef, "type"), eto = col(ef, "to_node");
  std::vector<std::vector<uint32_t>> adjacency(n);
  std::vector<uint32_t> sizes(n);
  for (size_t i = 0, e = 0; i < n; ++i) {
    sizes[i] = static_cast<uint32_t>(nodes[i * k + si]);
    for (uint64_t j = 0; j < nodes[i * k + eci]; ++j, ++e)
      if (et[edges[e * ke + ett]] != "weak")
        adjacency[i].push_back(static_cast<uint32_t>(edges[e * ke + eto] / k));
  }
  uint32_t roots[] = {0};
  auto csr = mortem::v8::MakeCsr(adjacency);
  auto tree = mortem::v8::ComputeDominators(csr.View(), roots, sizes);
  std::map<std::string, uint64_t> out;
  for (const auto& c : classes) {
    std::vector<bool> in_class(n);
    for (size_t i = 0; i < n; ++i)
      in_class[i] = nt[nodes[i * k + ti]] == "object" && strings[nodes[i * k + ni]] == c;
    for (size_t i = 0; i < n; ++i) {
      if (!in_class[i]) continue;
      bool dominated = false;
      for (uint32_t d = tree.idom[i];
           d != mortem::v8::DominatorTree::kNone && d != tree.virtual_root; d = tree.idom[d])
        if (in_class[d]) {
          dominated = true;
          break;
        }
      if (!dominated) out[c] += tree.retained[i];
    }
  }
  return out;
}

// "[123]": an element edge.
bool IsElementEdge(const std::string& edge) {
  return edge.size() > 2 && edge.front() == '[' && edge.back() == ']' &&
         std::all_of(edge.begin() + 1, edge.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

TEST_CASE("retained sizes per class agree with the snapshot's dominator tree within 10%") {
  const std::string core = Core().string();
  const std::vector<std::string> classes{"RequestRecord", "Dog", "Puppy", "LegacyPoint"};
  auto expected = SnapshotRetained(Core().parent_path() / "heap.heapsnapshot", classes);
  auto objects = RunJson({"objects", core, "--retained"});
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

TEST_CASE("refs and retainers name what holds the scenario's objects") {
  const std::string core = Core().string();
  const std::string label = Env("MORTEM_E2E_LABEL").value_or("?");
  auto oracle = SnapshotRetainers(Core().parent_path() / "heap.heapsnapshot", "RequestRecord");
  REQUIRE(oracle.size() == 1);  // every RequestRecord is held the same way
  const auto& expected = *oracle.begin();
  auto instances = RunJson({"instances", core, "RequestRecord", "--limit", "3"});
  REQUIRE(instances["instances"].size() == 3);
  for (const auto& i : instances["instances"]) {
    const std::string address = i["address"];
    CAPTURE(address);
    auto refs = RunJson({"refs", core, address});
    std::vector<json> strong;
    for (const auto& r : refs["references"])
      if (!r["weak"].get<bool>()) strong.push_back(r);
    CHECK(strong.size() == expected.size());
    for (const auto& r : strong) {
      CHECK(r["holder_type"] == "(array)");
      CHECK(IsElementEdge(r["edge"].get<std::string>()));
    }
    auto retainers = RunJson({"retainers", core, address, "--paths", "5"});
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
  auto by_name = RunJson({"refs", core, "records", "--name"});
  REQUIRE(by_name["references"].size() == 1);
  CHECK(by_name["references"][0]["holder_type"] == "Object");
  auto by_string = RunJson({"refs", core, "/api/items/7", "--string"});
  REQUIRE(by_string["references"].size() == 1);
  CHECK(by_string["references"][0]["holder_type"] == "RequestRecord");
  CHECK(by_string["references"][0]["edge"] == "url");
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

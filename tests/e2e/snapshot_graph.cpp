// The e2e tests' view of a .heapsnapshot as a graph with its dominator tree.
#include "snapshot_graph.h"

#include <algorithm>
#include <fstream>

namespace mortem::e2e {

namespace fs = std::filesystem;
using nlohmann::json;

SnapshotGraph LoadSnapshotGraph(const fs::path& path) {
  std::ifstream in(path);
  json s = json::parse(in);
  SnapshotGraph g;
  const auto& meta = s["snapshot"]["meta"];
  std::vector<std::string> nf = meta["node_fields"], ef = meta["edge_fields"];
  g.nt = meta["node_types"][0].get<std::vector<std::string>>();
  g.et = meta["edge_types"][0].get<std::vector<std::string>>();
  g.nodes = s["nodes"].get<std::vector<uint64_t>>();
  g.edges = s["edges"].get<std::vector<uint64_t>>();
  g.strings = std::move(s["strings"]);
  auto col = [](const std::vector<std::string>& f, const char* n) {
    return static_cast<size_t>(std::find(f.begin(), f.end(), n) - f.begin());
  };
  g.k = nf.size(), g.ke = ef.size(), g.n = g.nodes.size() / g.k;
  g.ti = col(nf, "type"), g.ni = col(nf, "name"), g.eci = col(nf, "edge_count");
  g.ett = col(ef, "type"), g.eto = col(ef, "to_node"), g.eni = col(ef, "name_or_index");
  g.si = col(nf, "self_size"), g.ii = col(nf, "id");
  const size_t si = g.si;
  std::vector<std::vector<uint32_t>> adjacency(g.n);
  std::vector<uint32_t> sizes(g.n);
  for (size_t i = 0, e = 0; i < g.n; ++i) {
    sizes[i] = static_cast<uint32_t>(g.nodes[i * g.k + si]);
    for (uint64_t j = 0; j < g.nodes[i * g.k + g.eci]; ++j, ++e)
      if (g.et[g.edges[e * g.ke + g.ett]] != "weak")
        adjacency[i].push_back(static_cast<uint32_t>(g.edges[e * g.ke + g.eto] / g.k));
  }
  uint32_t roots[] = {0};
  auto csr = mortem::v8::MakeCsr(adjacency);
  g.tree = mortem::v8::ComputeDominators(csr.View(), roots, sizes);
  return g;
}

std::map<std::string, uint64_t> SnapshotRetained(const SnapshotGraph& g,
                                                 const std::vector<std::string>& classes) {
  std::map<std::string, uint64_t> out;
  for (const auto& c : classes) {
    std::vector<bool> in_class(g.n);
    for (size_t i = 0; i < g.n; ++i) in_class[i] = g.Type(i) == "object" && g.Name(i) == c;
    for (size_t i = 0; i < g.n; ++i) {
      if (!in_class[i]) continue;
      bool dominated = false;
      for (uint32_t d = g.tree.idom[i];
           d != mortem::v8::DominatorTree::kNone && d != g.tree.virtual_root; d = g.tree.idom[d])
        if (in_class[d]) {
          dominated = true;
          break;
        }
      if (!dominated) out[c] += g.tree.retained[i];
    }
  }
  return out;
}

}  // namespace mortem::e2e

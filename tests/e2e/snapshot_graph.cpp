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

std::map<std::string, uint64_t> SnapshotRetainedByClass(const SnapshotGraph& g) {
  using mortem::v8::DominatorTree;
  // Children per node in the dominator tree, as offsets into one array (counting sort by idom).
  std::vector<uint32_t> first(g.n + 2, 0), children(g.n);
  for (size_t i = 0; i < g.n; ++i)
    if (g.tree.idom[i] != DominatorTree::kNone) ++first[g.tree.idom[i] + 1];
  for (size_t i = 1; i < first.size(); ++i) first[i] += first[i - 1];
  std::vector<uint32_t> fill(first.begin(), first.end() - 1);
  for (size_t i = 0; i < g.n; ++i)
    if (g.tree.idom[i] != DominatorTree::kNone) children[fill[g.tree.idom[i]]++] = uint32_t(i);
  // Depth-first from the virtual root, counting per class name the instances above a node: a
  // node adds its retained size when none of its dominators is of its class.
  std::vector<uint32_t> above(g.strings.size(), 0);
  std::vector<uint64_t> by_name(g.strings.size(), 0);
  auto is_object = [&](uint32_t v) { return v < g.n && g.Type(v) == "object"; };
  auto name_of = [&](uint32_t v) { return g.nodes[v * g.k + g.ni]; };
  struct Frame {
    uint32_t node, next_child;
  };
  std::vector<Frame> stack{{g.tree.virtual_root, first[g.tree.virtual_root]}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next_child == first[top.node + 1]) {
      if (is_object(top.node)) --above[name_of(top.node)];
      stack.pop_back();
      continue;
    }
    const uint32_t child = children[top.next_child++];
    if (is_object(child)) {
      if (above[name_of(child)] == 0) by_name[name_of(child)] += g.tree.retained[child];
      ++above[name_of(child)];
    }
    stack.push_back({child, first[child]});
  }
  std::map<std::string, uint64_t> out;
  for (size_t s = 0; s < by_name.size(); ++s)
    if (by_name[s]) out[g.strings[s].get<std::string>()] += by_name[s];
  return out;
}

}  // namespace mortem::e2e

// Lengauer and Tarjan, "A fast algorithm for finding dominators in a flowgraph" (1979), the
// simple version with path compression, written with explicit stacks so that deep heaps cannot
// overflow the call stack.
#include "mortem/v8/dominators.h"

#include <algorithm>

namespace mortem::v8 {

OwnedCsr MakeCsr(const std::vector<std::vector<uint32_t>>& adjacency, uint32_t id_mask) {
  OwnedCsr g;
  const size_t n = adjacency.size();
  g.out_offsets.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) g.out_offsets[i + 1] = g.out_offsets[i] + adjacency[i].size();
  for (const auto& list : adjacency)
    g.out_targets.insert(g.out_targets.end(), list.begin(), list.end());
  g.in_offsets.assign(n + 1, 0);
  for (uint32_t t : g.out_targets) g.in_offsets[(t & id_mask) + 1]++;
  for (size_t i = 0; i < n; ++i) g.in_offsets[i + 1] += g.in_offsets[i];
  g.in_sources.resize(g.out_targets.size());
  std::vector<uint32_t> fill(g.in_offsets.begin(), g.in_offsets.end() - 1);
  for (uint32_t s = 0; s < n; ++s)
    for (uint32_t e = g.out_offsets[s]; e < g.out_offsets[s + 1]; ++e)
      g.in_sources[fill[g.out_targets[e] & id_mask]++] = s | (g.out_targets[e] & ~id_mask);
  return g;
}

DominatorTree ComputeDominators(const CsrGraph& g, std::span<const uint32_t> roots,
                                std::span<const uint32_t> self_sizes) {
  constexpr uint32_t none = DominatorTree::kNone;
  const size_t nodes = g.out_offsets.size() - 1;
  const uint32_t vroot = static_cast<uint32_t>(nodes);
  const size_t n = nodes + 1;
  const uint32_t id_mask = ~g.skip_bits;
  std::vector<uint32_t> dfnum(n, none), parent(n, none), vertex;
  vertex.reserve(n);
  {
    // Depth-first numbering from the virtual root, whose successors are the roots. The stack
    // holds (node, next edge to look at): its size is the depth of the walk, not the edge count.
    std::vector<std::pair<uint32_t, uint32_t>> stack;
    dfnum[vroot] = 0;
    vertex.push_back(vroot);
    auto visit = [&](uint32_t v, uint32_t p) {
      dfnum[v] = static_cast<uint32_t>(vertex.size());
      vertex.push_back(v);
      parent[v] = p;
      stack.emplace_back(v, g.out_offsets[v]);
    };
    for (uint32_t r : roots) {
      if (r >= nodes || dfnum[r] != none) continue;
      visit(r, vroot);
      while (!stack.empty()) {
        auto& [v, e] = stack.back();
        if (e == g.out_offsets[v + 1]) {
          stack.pop_back();
          continue;
        }
        uint32_t w = g.out_targets[e++];
        if (w & g.skip_bits) continue;
        if (dfnum[w] == none) visit(w, v);  // may reallocate the stack: v, e not used after
      }
    }
  }
  std::vector<uint32_t> semi(n), idom(n, none), ancestor(n, none), label(n), samedom(n, none);
  std::vector<uint32_t> bucket_head(n, none), bucket_next(n, none);
  for (size_t i = 0; i < n; ++i) semi[i] = dfnum[i], label[i] = static_cast<uint32_t>(i);
  std::vector<uint32_t> path;
  auto eval = [&](uint32_t v) {
    if (ancestor[v] == none) return v;
    path.clear();
    for (uint32_t u = v; ancestor[ancestor[u]] != none; u = ancestor[u]) path.push_back(u);
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      uint32_t u = *it, a = ancestor[u];
      if (semi[label[a]] < semi[label[u]]) label[u] = label[a];
      ancestor[u] = ancestor[a];
    }
    return label[v];
  };
  std::vector<bool> is_root(n, false);
  for (uint32_t r : roots) is_root[r] = true;
  for (size_t i = vertex.size(); i-- > 1;) {
    uint32_t w = vertex[i], p = parent[w];
    auto consider = [&](uint32_t v) {
      if (dfnum[v] == none) return;
      uint32_t u = eval(v);
      if (semi[u] < semi[w]) semi[w] = semi[u];
    };
    if (is_root[w]) consider(vroot);
    for (uint32_t e = g.in_offsets[w]; e < g.in_offsets[w + 1]; ++e) {
      uint32_t v = g.in_sources[e];
      if (v & g.skip_bits) continue;
      consider(v & id_mask);
    }
    uint32_t s = vertex[semi[w]];
    bucket_next[w] = bucket_head[s];
    bucket_head[s] = w;
    ancestor[w] = p;
    for (uint32_t v = bucket_head[p]; v != none; v = bucket_next[v]) {
      uint32_t u = eval(v);
      if (semi[u] < semi[v])
        samedom[v] = u;
      else
        idom[v] = p;
    }
    bucket_head[p] = none;
  }
  for (size_t i = 1; i < vertex.size(); ++i) {
    uint32_t w = vertex[i];
    if (samedom[w] != none) idom[w] = idom[samedom[w]];
  }
  DominatorTree t;
  t.virtual_root = vroot;
  t.retained.assign(n, 0);
  for (size_t v = 0; v < nodes; ++v) t.retained[v] = self_sizes[v];
  // Dominators precede what they dominate in DFS preorder: accumulate backwards.
  for (size_t i = vertex.size(); i-- > 1;) {
    uint32_t v = vertex[i];
    t.retained[idom[v]] += t.retained[v];
  }
  idom.resize(nodes);
  t.idom = std::move(idom);
  return t;
}

}  // namespace mortem::v8

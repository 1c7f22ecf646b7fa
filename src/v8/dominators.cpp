// Lengauer and Tarjan, "A fast algorithm for finding dominators in a flowgraph" (1979), the
// simple version with path compression, written with explicit stacks so that deep heaps cannot
// overflow the call stack.
#include "mortem/v8/dominators.h"

namespace mortem::v8 {

DominatorTree ComputeDominators(
    size_t nodes, std::span<const uint32_t> roots,
    const std::function<void(uint32_t, const std::function<void(uint32_t)>&)>& successors,
    const std::function<uint64_t(uint32_t)>& self_size) {
  const uint32_t none = DominatorTree::kNone;
  const uint32_t vroot = static_cast<uint32_t>(nodes);
  const size_t n = nodes + 1;
  std::vector<uint32_t> dfnum(n, none), parent(n, none), vertex;
  vertex.reserve(n);
  // Depth-first numbering from the virtual root (whose successors are the roots).
  {
    std::vector<std::pair<uint32_t, uint32_t>> stack{{vroot, none}};
    std::vector<uint32_t> children;
    while (!stack.empty()) {
      auto [v, p] = stack.back();
      stack.pop_back();
      if (dfnum[v] != none) continue;
      dfnum[v] = static_cast<uint32_t>(vertex.size());
      vertex.push_back(v);
      parent[v] = p;
      children.clear();
      if (v == vroot)
        children.assign(roots.begin(), roots.end());
      else
        successors(v, [&](uint32_t w) { children.push_back(w); });
      for (auto it = children.rbegin(); it != children.rend(); ++it)
        if (dfnum[*it] == none) stack.emplace_back(*it, v);
    }
  }
  // Predecessors among reached nodes, as CSR.
  std::vector<uint32_t> pred_offsets(n + 1, 0), preds;
  for (uint32_t v : vertex) {
    if (v == vroot) {
      for (uint32_t r : roots) pred_offsets[r + 1]++;
      continue;
    }
    successors(v, [&](uint32_t w) { pred_offsets[w + 1]++; });
  }
  for (size_t i = 0; i < n; ++i) pred_offsets[i + 1] += pred_offsets[i];
  preds.resize(pred_offsets[n]);
  {
    std::vector<uint32_t> fill(pred_offsets.begin(), pred_offsets.end() - 1);
    for (uint32_t v : vertex) {
      if (v == vroot) {
        for (uint32_t r : roots) preds[fill[r]++] = vroot;
        continue;
      }
      successors(v, [&](uint32_t w) { preds[fill[w]++] = v; });
    }
  }
  std::vector<uint32_t> semi(n), idom(n, none), ancestor(n, none), label(n), samedom(n, none);
  std::vector<uint32_t> bucket_head(n, none), bucket_next(n, none);
  for (size_t i = 0; i < n; ++i) semi[i] = dfnum[i], label[i] = static_cast<uint32_t>(i);
  std::vector<uint32_t> path;
  auto eval = [&](uint32_t v) {
    // Path compression, iteratively.
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
  for (size_t i = vertex.size(); i-- > 1;) {
    uint32_t w = vertex[i], p = parent[w];
    for (uint32_t k = pred_offsets[w]; k < pred_offsets[w + 1]; ++k) {
      uint32_t v = preds[k];
      if (dfnum[v] == none) continue;
      uint32_t u = eval(v);
      if (semi[u] < semi[w]) semi[w] = semi[u];
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
  idom.resize(nodes);
  t.idom = std::move(idom);
  t.preorder = std::move(vertex);
  t.retained.assign(n, 0);
  for (size_t v = 0; v < nodes; ++v) t.retained[v] = self_size(static_cast<uint32_t>(v));
  // Children after parents in preorder: add each node's total to its dominator, backwards.
  for (size_t i = t.preorder.size(); i-- > 1;) {
    uint32_t v = t.preorder[i];
    uint32_t d = t.idom[v];
    t.retained[d == none ? vroot : d] += t.retained[v];
  }
  return t;
}

}  // namespace mortem::v8

// Semi-NCA: the semidominators of Lengauer and Tarjan, "A fast algorithm for finding dominators
// in a flowgraph" (1979), computed with path compression, then each immediate dominator as the
// nearest common ancestor of the node's semidominator and its depth-first parent (Georgiadis,
// "Linear-time algorithms for dominators and related problems", 2005). Explicit stacks
// throughout, so that deep heaps cannot overflow the call stack.
#include "mortem/v8/dominators.h"

#include <algorithm>

#include "mortem/core/progress.h"

namespace mortem::v8 {
namespace {

constexpr uint32_t kNone = DominatorTree::kNone;

}  // namespace

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

Preorder DepthFirst(std::span<const uint32_t> out_offsets, std::span<const uint32_t> out_targets,
                    uint32_t skip_bits, std::span<const uint32_t> roots) {
  const size_t nodes = out_offsets.size() - 1;
  Preorder order;
  order.vertex.reserve(nodes + 1);
  order.vertex.push_back(static_cast<uint32_t>(nodes));
  order.parent.push_back(kNone);
  std::vector<bool> visited(nodes, false);
  struct Entry {
    uint32_t node, next_edge, number;
  };
  // The stack's size is the depth of the walk, not the edge count.
  std::vector<Entry> stack;
  auto visit = [&](uint32_t v, uint32_t parent_number) {
    visited[v] = true;
    const auto number = static_cast<uint32_t>(order.vertex.size());
    order.vertex.push_back(v);
    order.parent.push_back(parent_number);
    stack.push_back({v, out_offsets[v], number});
  };
  for (uint32_t r : roots) {
    if (r >= nodes || visited[r]) continue;
    visit(r, 0);
    while (!stack.empty()) {
      Entry& top = stack.back();
      if (top.next_edge == out_offsets[top.node + 1]) {
        stack.pop_back();
        continue;
      }
      uint32_t w = out_targets[top.next_edge++];
      if (w & skip_bits) continue;
      if (w < nodes && !visited[w]) visit(w, top.number);  // `top` is not used after this
    }
  }
  order.reached = static_cast<uint32_t>(order.vertex.size() - 1);
  for (uint32_t v = 0; v < nodes; ++v)
    if (!visited[v]) order.vertex.push_back(v);
  return order;
}

std::vector<bool> Reach(std::span<const uint32_t> out_offsets,
                        std::span<const uint32_t> out_targets, uint32_t id_bits_mask,
                        std::span<const uint32_t> roots) {
  const size_t nodes = out_offsets.size() - 1;
  std::vector<bool> reached(nodes, false);
  std::vector<uint32_t> pending;
  auto visit = [&](uint32_t v) {
    if (v >= nodes || reached[v]) return;
    reached[v] = true;
    pending.push_back(v);
  };
  for (uint32_t r : roots) visit(r);
  while (!pending.empty()) {
    uint32_t v = pending.back();
    pending.pop_back();
    for (uint32_t e = out_offsets[v]; e < out_offsets[v + 1]; ++e)
      visit(out_targets[e] & id_bits_mask);
  }
  return reached;
}

namespace {

// Renumbers edge sources, keeping the flag bits: to[id] for every source id.
void Renumber(std::span<uint32_t> sources, uint32_t flag_bits, const std::vector<uint32_t>& to) {
  for (uint32_t& s : sources) {
    uint32_t id = s & ~flag_bits;
    if (id < to.size()) s = to[id] | (s & flag_bits);
  }
}

// Semidominator numbers of the reached nodes, by preorder number (sources already renumbered).
std::vector<uint32_t> Semidominators(const Preorder& order, std::span<const uint32_t> in_offsets,
                                     std::span<const uint32_t> in_sources, uint32_t skip_bits,
                                     const std::vector<bool>& is_root) {
  const uint32_t count = order.reached + 1;
  std::vector<uint32_t> semi(count), label(count), ancestor(order.parent);
  ancestor[0] = 0;
  for (uint32_t i = 0; i < count; ++i) semi[i] = label[i] = i;
  std::vector<uint32_t> path;
  // The node of least semidominator on the path from v up to (excluding) the first ancestor not
  // yet linked (numbered below `linked`), compressing that path.
  auto eval = [&](uint32_t v, uint32_t linked) {
    if (ancestor[v] < linked) return label[v];
    path.clear();
    do {
      path.push_back(v);
      v = ancestor[v];
    } while (ancestor[v] >= linked);
    uint32_t p = v;
    while (!path.empty()) {
      uint32_t x = path.back();
      path.pop_back();
      ancestor[x] = ancestor[p];
      if (semi[label[p]] < semi[label[x]]) label[x] = label[p];
      p = x;
    }
    return label[p];
  };
  for (uint32_t i = order.reached; i >= 1; --i) {
    if (is_root[i]) {
      semi[i] = 0;  // the virtual root is a predecessor
      continue;
    }
    uint32_t s = order.parent[i];
    const uint32_t node = order.vertex[i];
    for (uint32_t e = in_offsets[node]; e < in_offsets[node + 1]; ++e) {
      uint32_t v = in_sources[e];
      if ((v & skip_bits) || v > order.reached) continue;  // weak, or from an unreached node
      s = std::min(s, semi[eval(v, i + 1)]);
    }
    semi[i] = s;
  }
  return semi;
}

}  // namespace

DominatorTree ComputeDominators(Preorder order, std::span<const uint32_t> in_offsets,
                                std::span<uint32_t> in_sources, uint32_t skip_bits,
                                std::span<const uint32_t> roots,
                                const std::function<uint64_t(uint32_t node)>& self_size) {
  const size_t nodes = in_offsets.size() - 1;
  const uint32_t count = order.reached + 1;
  std::vector<bool> is_root(count, false);
  {
    std::vector<uint32_t> number(nodes + 1, kNone);
    for (uint32_t i = 0; i < order.vertex.size(); ++i) number[order.vertex[i]] = i;
    for (uint32_t r : roots)
      if (r < nodes && number[r] < count) is_root[number[r]] = true;
    Renumber(in_sources, skip_bits, number);
  }
  TracePhase("sources renumbered");
  std::vector<uint32_t> semi = Semidominators(order, in_offsets, in_sources, skip_bits, is_root);
  TracePhase("semidominators");
  Renumber(in_sources, skip_bits, order.vertex);
  // Immediate dominators, in preorder, in place of the parents: the nearest ancestor of the
  // parent in the dominator tree whose number is not above the semidominator's.
  std::vector<uint32_t>& idom = order.parent;
  for (uint32_t i = 1; i < count; ++i) {
    uint32_t c = idom[i];
    while (c > semi[i]) c = idom[c];
    idom[i] = c;
  }
  std::vector<uint32_t>().swap(semi);
  DominatorTree t;
  t.virtual_root = static_cast<uint32_t>(nodes);
  t.idom.assign(nodes, kNone);
  for (uint32_t i = 1; i < count; ++i) t.idom[order.vertex[i]] = order.vertex[idom[i]];
  std::vector<uint32_t>().swap(idom);
  t.retained.assign(nodes + 1, 0);
  for (uint32_t v = 0; v < nodes; ++v) t.retained[v] = self_size(v);
  // Dominators precede what they dominate in preorder: accumulate backwards.
  for (uint32_t i = count - 1; i >= 1; --i) {
    uint32_t v = order.vertex[i];
    t.retained[t.idom[v]] += t.retained[v];
  }
  return t;
}

DominatorTree ComputeDominators(const CsrGraph& g, std::span<const uint32_t> roots,
                                std::span<const uint32_t> self_sizes) {
  Preorder order = DepthFirst(g.out_offsets, g.out_targets, g.skip_bits, roots);
  std::vector<uint32_t> sources(g.in_sources.begin(), g.in_sources.end());
  return ComputeDominators(std::move(order), g.in_offsets, sources, g.skip_bits, roots,
                           [&](uint32_t v) { return uint64_t{self_sizes[v]}; });
}

}  // namespace mortem::v8

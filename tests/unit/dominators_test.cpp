// Unit tests of the dominator algorithm on small graphs with known dominator trees.
#include "mortem/v8/dominators.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

namespace {

using Graph = std::vector<std::vector<uint32_t>>;

mortem::v8::DominatorTree Run(const Graph& g, std::vector<uint32_t> roots,
                              std::vector<uint32_t> sizes = {}) {
  if (sizes.empty()) sizes.assign(g.size(), 1);
  auto csr = mortem::v8::MakeCsr(g);
  return mortem::v8::ComputeDominators(csr.View(), roots, sizes);
}

}  // namespace

TEST_CASE("dominators of the Lengauer-Tarjan paper's flowgraph") {
  // R=0 A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 I=9 J=10 K=11 L=12 (Lengauer & Tarjan 1979, fig. 1).
  Graph g(13);
  g[0] = {1, 2, 3};
  g[1] = {4};
  g[2] = {1, 4, 5};
  g[3] = {6, 7};
  g[4] = {12};
  g[5] = {8};
  g[6] = {9};
  g[7] = {9, 10};
  g[8] = {5, 11};
  g[9] = {11};
  g[10] = {9};
  g[11] = {9, 0};
  g[12] = {8};
  auto t = Run(g, {0});
  const uint32_t R = t.virtual_root;
  std::vector<uint32_t> expected = {R, 0, 0, 0, 0, 0, 3, 3, 0, 0, 7, 0, 4};
  CHECK(t.idom == expected);
}

TEST_CASE("retained sizes add up the dominated subtree; shared objects stay with the dominator") {
  // 0 -> 1 -> 2, 0 -> 3 -> 2 (2 is shared: dominated by 0 only), 1 -> 4 (private to 1).
  Graph g(5);
  g[0] = {1, 3};
  g[1] = {2, 4};
  g[3] = {2};
  auto t = Run(g, {0}, {10, 20, 30, 40, 50});
  CHECK(t.idom[2] == 0);
  CHECK(t.idom[4] == 1);
  CHECK(t.retained[1] == 20 + 50);
  CHECK(t.retained[3] == 40);
  CHECK(t.retained[0] == 10 + 20 + 30 + 40 + 50);
}

TEST_CASE("several roots, cycles and unreached nodes") {
  // Roots 0 and 1 both reach 2; 2 <-> 3 form a cycle; 4 is unreached.
  Graph g(5);
  g[0] = {2};
  g[1] = {2};
  g[2] = {3};
  g[3] = {2};
  g[4] = {3};
  auto t = Run(g, {0, 1});
  CHECK(t.idom[0] == t.virtual_root);
  CHECK(t.idom[1] == t.virtual_root);
  CHECK(t.idom[2] == t.virtual_root);  // reached from two roots: only the virtual root dominates
  CHECK(t.idom[3] == 2);
  CHECK(t.idom[4] == mortem::v8::DominatorTree::kNone);
  CHECK(t.retained[4] == 1);
  CHECK(t.retained[2] == 2);
}

namespace {

// Nodes reached from the roots over edges (the weak bit skipped), without passing `removed`.
std::vector<bool> ReachedWithout(const Graph& g, const std::vector<uint32_t>& roots,
                                 uint32_t weak_bit, uint32_t removed) {
  std::vector<bool> seen(g.size(), false);
  std::vector<uint32_t> pending;
  for (uint32_t r : roots)
    if (r != removed && !seen[r]) seen[r] = true, pending.push_back(r);
  while (!pending.empty()) {
    uint32_t v = pending.back();
    pending.pop_back();
    for (uint32_t t : g[v]) {
      if ((t & weak_bit) || t == removed || seen[t]) continue;
      seen[t] = true;
      pending.push_back(t);
    }
  }
  return seen;
}

}  // namespace

TEST_CASE("random graphs: immediate dominators and retained sizes equal the definition's") {
  // d dominates v when no path from the roots reaches v without passing d; the immediate
  // dominator is the strict dominator that all the others dominate.
  constexpr uint32_t kWeakBit = 1u << 31;
  uint64_t seed = 12345;
  auto next = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(seed >> 33);
  };
  for (int round = 0; round < 300; ++round) {
    const uint32_t n = 1 + next() % 40;
    Graph g(n);
    const uint32_t edges = next() % (3 * n + 1);
    for (uint32_t e = 0; e < edges; ++e)
      g[next() % n].push_back((next() % n) | (next() % 5 == 0 ? kWeakBit : 0));
    std::vector<uint32_t> roots;
    for (uint32_t r = 0, count = 1 + next() % 3; r < count; ++r) roots.push_back(next() % n);
    std::sort(roots.begin(), roots.end());
    roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
    std::vector<uint32_t> sizes(n);
    for (auto& s : sizes) s = 1 + next() % 100;
    auto csr = mortem::v8::MakeCsr(g, ~kWeakBit);
    auto t = mortem::v8::ComputeDominators(csr.View(kWeakBit), roots, sizes);
    const auto reached = ReachedWithout(g, roots, kWeakBit, UINT32_MAX);
    // dominated_by[v]: the strict dominators of v.
    std::vector<std::vector<uint32_t>> dominated_by(n);
    for (uint32_t d = 0; d < n; ++d) {
      const auto without = ReachedWithout(g, roots, kWeakBit, d);
      for (uint32_t v = 0; v < n; ++v)
        if (v != d && reached[v] && reached[d] && !without[v]) dominated_by[v].push_back(d);
    }
    for (uint32_t v = 0; v < n; ++v) {
      CAPTURE(round);
      CAPTURE(v);
      if (!reached[v]) {
        CHECK(t.idom[v] == mortem::v8::DominatorTree::kNone);
        CHECK(t.retained[v] == sizes[v]);
        continue;
      }
      uint32_t expected = t.virtual_root;
      for (uint32_t d : dominated_by[v])
        if (dominated_by[d].size() + 1 == dominated_by[v].size()) expected = d;
      CHECK(t.idom[v] == expected);
      uint64_t retained = 0;
      for (uint32_t w = 0; w < n; ++w)
        if (w == v ||
            std::find(dominated_by[w].begin(), dominated_by[w].end(), v) != dominated_by[w].end())
          retained += sizes[w];
      CHECK(t.retained[v] == retained);
    }
  }
}

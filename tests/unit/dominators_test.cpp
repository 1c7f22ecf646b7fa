// Unit tests of the dominator algorithm on small graphs with known dominator trees.
#include "mortem/v8/dominators.h"

#include <doctest/doctest.h>

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

// Purpose: the dominator tree of the heap graph from a set of roots (Lengauer-Tarjan, iterative,
// arrays of 4-byte ids) and every object's retained size: its own size plus that of all objects
// it dominates. Objects the roots do not reach have no dominator and retain only themselves.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace mortem::v8 {

struct DominatorTree {
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t virtual_root = 0;       // id of the synthetic root above all roots (== node count)
  std::vector<uint32_t> idom;      // immediate dominator per node (virtual_root, or kNone)
  std::vector<uint32_t> preorder;  // reached nodes in DFS preorder, virtual root first
  std::vector<uint64_t> retained;  // retained size per node
};

// successors(n, visit) calls visit(m) for every edge n -> m to follow.
DominatorTree ComputeDominators(
    size_t nodes, std::span<const uint32_t> roots,
    const std::function<void(uint32_t, const std::function<void(uint32_t)>&)>& successors,
    const std::function<uint64_t(uint32_t)>& self_size);

}  // namespace mortem::v8

// Purpose: the dominator tree of the heap graph from a set of roots (Lengauer-Tarjan, iterative,
// arrays of 4-byte ids) and every object's retained size: its own size plus that of all objects
// it dominates. Objects the roots do not reach have no dominator and retain only themselves.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace mortem::v8 {

// A graph in compressed sparse rows: node n's edges are targets[offsets[n] .. offsets[n+1]).
// Edges whose target has any of skip_bits set are not followed; those bits are not part of ids.
struct CsrGraph {
  std::span<const uint32_t> out_offsets, out_targets;  // successors
  std::span<const uint32_t> in_offsets, in_sources;    // predecessors (the same edges reversed)
  uint32_t skip_bits = 0;
};

struct DominatorTree {
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t virtual_root = 0;       // id of the synthetic root above all roots (== node count)
  std::vector<uint32_t> idom;      // immediate dominator per node (virtual_root, or kNone)
  std::vector<uint64_t> retained;  // retained size per node (and the virtual root's, last)
};

DominatorTree ComputeDominators(const CsrGraph& graph, std::span<const uint32_t> roots,
                                std::span<const uint32_t> self_sizes);

// Builds both directions of a CSR graph from adjacency lists (tests, small graphs).
struct OwnedCsr {
  std::vector<uint32_t> out_offsets, out_targets, in_offsets, in_sources;
  CsrGraph View(uint32_t skip_bits = 0) const {
    return {out_offsets, out_targets, in_offsets, in_sources, skip_bits};
  }
};
OwnedCsr MakeCsr(const std::vector<std::vector<uint32_t>>& adjacency, uint32_t id_mask = ~0u);

}  // namespace mortem::v8

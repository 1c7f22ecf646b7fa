// Purpose: the dominator tree of the heap graph from a set of roots, with every object's retained
// size (its own size plus that of all objects it dominates). Objects the roots do not reach have
// no dominator and retain only themselves. Semi-NCA (Lengauer-Tarjan's semidominators, then
// nearest common ancestors) in preorder numbering, over arrays of 4-byte ids: the depth-first
// numbering needs the forward edges, the rest only the reverse ones, so the two never have to be
// held at once.
#pragma once
#include <cstdint>
#include <functional>
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

// A depth-first numbering from a virtual root above the roots.
struct Preorder {
  std::vector<uint32_t> vertex;  // number -> node: [0] the virtual root (id = node count), then
                                 // the reached nodes in depth-first order, then the others by id
  std::vector<uint32_t> parent;  // number -> its depth-first parent's number (reached ones only)
  uint32_t reached = 0;          // nodes numbered 1 .. reached
};

// Numbers the nodes reached from `roots` over edges without skip_bits.
Preorder DepthFirst(std::span<const uint32_t> out_offsets, std::span<const uint32_t> out_targets,
                    uint32_t skip_bits, std::span<const uint32_t> roots);
// Nodes reached from `roots` over every edge (the bits outside id_bits_mask masked off).
std::vector<bool> Reach(std::span<const uint32_t> out_offsets,
                        std::span<const uint32_t> out_targets, uint32_t id_bits_mask,
                        std::span<const uint32_t> roots);

struct DominatorTree {
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t virtual_root = 0;       // id of the synthetic root above all roots (== node count)
  std::vector<uint32_t> idom;      // immediate dominator per node (virtual_root, or kNone)
  std::vector<uint64_t> retained;  // retained size per node (and the virtual root's, last)
};

// From a numbering of DepthFirst (consumed) and the reverse edges. in_sources is renumbered in
// place while the tree is computed and given back unchanged.
DominatorTree ComputeDominators(Preorder order, std::span<const uint32_t> in_offsets,
                                std::span<uint32_t> in_sources, uint32_t skip_bits,
                                std::span<const uint32_t> roots,
                                const std::function<uint64_t(uint32_t node)>& self_size);
// Both steps on a graph held in both directions (tests, small graphs).
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

// Purpose: the heap graph of a session, built once and kept: the object index, the edges, the
// roots, and a breadth-first search from the roots over strong edges (distance and parent of
// every reached object), which retainer paths and reachability counts read.
#pragma once
#include <limits>
#include <vector>

#include "mortem/analysis/roots.h"
#include "mortem/v8/dominators.h"
#include "mortem/v8/graph.h"

namespace mortem {

struct GraphState {
  static constexpr uint32_t kUnreached = std::numeric_limits<uint32_t>::max();
  v8::ObjectIndex index;
  v8::HeapGraph graph;
  RootSet roots;
  std::vector<uint32_t> distance;  // edges from the nearest root; kUnreached if none
  uint64_t reached = 0;            // over strong edges
  uint64_t reached_with_weak = 0;  // counting weak edges as strong, as V8's snapshot does
  double build_seconds = 0;
};

GraphState BuildGraphState(Session& session);

// The dominator tree over strong edges from the strong roots, with retained sizes.
v8::DominatorTree BuildDominators(const GraphState& state);

}  // namespace mortem

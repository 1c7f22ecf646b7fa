// Purpose: the heap graph of a session, built once and kept: the object index, the reverse edges,
// the roots, and which objects the roots reach (over strong edges; and how many counting weak
// edges too). The depth-first numbering the dominator tree starts from is made while the forward
// edges exist and kept until the dominators are computed, so forward edges are never kept.
#pragma once
#include <optional>
#include <vector>

#include "mortem/analysis/roots.h"
#include "mortem/v8/dominators.h"
#include "mortem/v8/graph.h"

namespace mortem {

struct GraphState {
  v8::ObjectIndex index;
  v8::HeapGraph graph;
  RootSet roots;
  std::vector<bool> reachable;            // per node, over strong edges from the strong roots
  std::vector<bool> reachable_with_weak;  // over every edge from every root (V8's own filter)
  uint64_t reached = 0;                   // over strong edges
  uint64_t reached_with_weak = 0;         // counting weak edges as strong, as V8's snapshot does
  // Slots pointing into the heap's objects but at no object start, in live objects (left out of
  // the graph: the result is partial) and in unreachable ones (stale garbage, harmless).
  uint64_t dangling = 0, dangling_from_garbage = 0;
  double build_seconds = 0;
  std::optional<v8::Preorder> preorder;  // over strong edges; taken by BuildDominators
  std::vector<uint32_t> strong_roots;    // node ids, sorted, unique

  // Objects or references were left out (unparsable pages, dangling pointers).
  bool Partial() const { return dangling > 0 || index.skipped_bytes() > 0; }
  bool Reachable(v8::NodeId id) const { return id < reachable.size() && reachable[id]; }
  bool ReachableWithWeak(v8::NodeId id) const {
    return id < reachable_with_weak.size() && reachable_with_weak[id];
  }
};

GraphState BuildGraphState(Session& session);

// The dominator tree over strong edges from the strong roots, with retained sizes. Consumes the
// state's depth-first numbering.
v8::DominatorTree BuildDominators(GraphState& state);

}  // namespace mortem

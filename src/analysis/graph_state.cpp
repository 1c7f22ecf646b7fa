#include "mortem/analysis/graph_state.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "mortem/core/error.h"
#include "mortem/core/progress.h"

namespace mortem {
namespace {

// Each node's own size for retained sizes: the object and the bytes it owns outside the heap.
// Asked in node order, so the owners are walked with a cursor.
std::function<uint64_t(uint32_t)> SelfSizes(const v8::ObjectIndex& index) {
  return [&index, cursor = size_t{0}](uint32_t v) mutable {
    const auto owners = index.external();
    if (cursor > 0 && owners[cursor - 1].first >= v) cursor = 0;
    while (cursor < owners.size() && owners[cursor].first < v) ++cursor;
    uint64_t bytes = index.self_size(v);
    if (cursor < owners.size() && owners[cursor].first == v) bytes += owners[cursor].second;
    return bytes;
  };
}

// A dangling reference loses something only when its holder is alive: dead objects that the
// sweeper has not reached yet still point at memory it has freed (and reused) elsewhere. When
// there are too many to attribute, all count.
void CountDangling(const v8::ForwardEdges& forward, GraphState& s) {
  if (forward.dangling_holders.size() < forward.dangling) {
    s.dangling = forward.dangling;
    return;
  }
  for (v8::NodeId holder : forward.dangling_holders) {
    if (s.ReachableWithWeak(holder))
      ++s.dangling;
    else
      ++s.dangling_from_garbage;
  }
}

// V8's snapshot holds every string of the string table from "(Internalized strings)" with strong
// edges, so DevTools counts none of them as retained by the objects that use them. The table
// is weak for the GC: of its strings, those that something else keeps alive are roots here.
// They are already reached, so the depth-first numbering stays one of the graph with them
// (their edges from the virtual root come last, to nodes already numbered).
void AddInternalizedStrings(const std::vector<v8::NodeId>& strings, GraphState& s) {
  for (v8::NodeId id : strings)
    if (s.Reachable(id)) s.roots.roots.push_back(Root{id, RootKind::kInternalizedString, 0});
  s.roots.internalized_strings =
      std::count_if(s.roots.roots.begin(), s.roots.roots.end(),
                    [](const Root& r) { return r.kind == RootKind::kInternalizedString; });
  s.strong_roots = RootNodes(s.roots, false);
}

}  // namespace

GraphState BuildGraphState(Session& session) {
  auto start = std::chrono::steady_clock::now();
  const auto& layout = session.layout();
  const auto& heap = session.heap();
  GraphState s{v8::ObjectIndex::Build(session.memory(), layout, heap, session.threads())};
  TracePhase("object index");
  s.roots = FindRoots(session, s.index);
  s.index.SetHollow(s.roots.hollow);
  TracePhase("roots");
  s.strong_roots = RootNodes(s.roots, false);
  std::vector<uint32_t> in_counts;
  {
    v8::ForwardEdges forward = v8::HeapGraph::BuildForward(session.memory(), layout, heap, s.index,
                                                           session.threads(), in_counts);
    TracePhase("forward edges");
    s.reachable_with_weak = v8::Reach(forward.offsets, forward.targets, ~v8::HeapGraph::kWeak,
                                      RootNodes(s.roots, true));
    CountDangling(forward, s);
    s.reached_with_weak =
        std::count(s.reachable_with_weak.begin(), s.reachable_with_weak.end(), true);
    s.preorder =
        v8::DepthFirst(forward.offsets, forward.targets, v8::HeapGraph::kWeak, s.strong_roots);
    TracePhase("depth-first numbering");
    s.reached = s.preorder->reached;
    s.reachable.assign(s.index.size(), false);
    for (uint32_t i = 1; i <= s.preorder->reached; ++i) s.reachable[s.preorder->vertex[i]] = true;
    AddInternalizedStrings(forward.internalized_strings, s);
  }
  s.graph = v8::HeapGraph::BuildReverse(session.memory(), layout, heap, s.index, session.threads(),
                                        std::move(in_counts));
  TracePhase("reverse edges");
  s.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

v8::DominatorTree BuildDominators(GraphState& s) {
  if (!s.preorder) throw Error("internal: the depth-first numbering was already used");
  v8::Preorder order = std::move(*s.preorder);
  s.preorder.reset();
  return v8::ComputeDominators(std::move(order), s.graph.in_offsets(), s.graph.mutable_sources(),
                               v8::HeapGraph::kWeak, s.strong_roots, SelfSizes(s.index));
}

}  // namespace mortem

#include "mortem/analysis/graph_state.h"

#include <algorithm>
#include <chrono>
#include <deque>

namespace mortem {
namespace {

// Breadth-first from the roots; returns how many nodes were reached.
uint64_t Search(const v8::HeapGraph& graph, const RootSet& roots, bool follow_weak,
                std::vector<uint32_t>& distance) {
  std::vector<v8::NodeId> frontier, next;
  uint64_t reached = 0;
  for (const auto& r : roots.roots) {
    if (r.kind == RootKind::kWeakGlobalHandle && !follow_weak) continue;
    if (distance[r.node] != GraphState::kUnreached) continue;
    distance[r.node] = 0;
    frontier.push_back(r.node);
    ++reached;
  }
  for (uint32_t depth = 1; !frontier.empty(); ++depth) {
    next.clear();
    for (v8::NodeId n : frontier)
      for (uint32_t e : graph.Out(n)) {
        if ((e & v8::HeapGraph::kWeak) && !follow_weak) continue;
        v8::NodeId t = e & ~v8::HeapGraph::kWeak;
        if (distance[t] != GraphState::kUnreached) continue;
        distance[t] = depth;
        next.push_back(t);
        ++reached;
      }
    frontier.swap(next);
  }
  return reached;
}

}  // namespace

GraphState BuildGraphState(Session& session) {
  auto start = std::chrono::steady_clock::now();
  const auto& layout = session.layout();
  const auto& heap = session.heap();
  GraphState s{v8::ObjectIndex::Build(session.memory(), layout, heap, session.threads()),
               {},
               {},
               {},
               0,
               0,
               0};
  s.graph = v8::HeapGraph::Build(session.memory(), layout, heap, s.index, session.threads());
  s.roots = FindRoots(session, s.index);
  std::vector<uint32_t> with_weak(s.index.size(), GraphState::kUnreached);
  s.reached_with_weak = Search(s.graph, s.roots, true, with_weak);
  std::vector<uint32_t>().swap(with_weak);
  s.distance.assign(s.index.size(), GraphState::kUnreached);
  s.reached = Search(s.graph, s.roots, false, s.distance);
  s.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

v8::DominatorTree BuildDominators(const GraphState& s) {
  std::vector<uint32_t> roots;
  for (const auto& r : s.roots.roots)
    if (r.kind != RootKind::kWeakGlobalHandle) roots.push_back(r.node);
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  return v8::ComputeDominators(s.graph.Csr(), roots, s.index.sizes());
}

}  // namespace mortem

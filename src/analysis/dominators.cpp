#include "mortem/analysis/dominators.h"

#include <algorithm>

#include "mortem/analysis/graph_state.h"
#include "mortem/v8/names.h"

namespace mortem {

DominatorsResult RunDominators(Session& session, size_t top, size_t paths) {
  constexpr uint32_t kPathDepth = 32;
  DominatorsResult result;
  const auto& state = session.graph();
  const auto& dom = session.dominators();
  result.warnings = session.Warnings();
  result.partial = state.Partial();
  result.heap_objects = state.index.size();
  result.reached = state.reached;
  result.total_retained = dom.retained.empty() ? 0 : dom.retained.back();
  // The `top` biggest, kept in a min-heap of that size (no array over all nodes).
  auto bigger = [&](uint32_t a, uint32_t b) {
    return dom.retained[a] != dom.retained[b] ? dom.retained[a] > dom.retained[b] : a < b;
  };
  std::vector<uint32_t> ids;
  for (uint32_t v = 0; v < state.index.size() && top > 0; ++v) {
    if (dom.idom[v] == v8::DominatorTree::kNone) continue;
    if (ids.size() < top) {
      ids.push_back(v);
      std::push_heap(ids.begin(), ids.end(), bigger);
    } else if (bigger(v, ids.front())) {
      std::pop_heap(ids.begin(), ids.end(), bigger);
      ids.back() = v;
      std::push_heap(ids.begin(), ids.end(), bigger);
    }
  }
  std::sort_heap(ids.begin(), ids.end(), bigger);
  const size_t n = ids.size();
  v8::Namer namer(session.memory(), session.layout(), session.heap());
  for (size_t i = 0; i < n; ++i) {
    DominatorRow row;
    row.object = state.index.address(ids[i]);
    const v8::MapInfo* map = namer.MapOf(row.object + 1);
    row.type = map ? namer.Label(row.object, *map, false).name : "?";
    row.self_size = state.index.self_size(ids[i]);
    row.retained_size = dom.retained[ids[i]];
    if (i < paths) {
      auto r = RunRetainers(session, row.object, 1, kPathDepth, false);
      if (!r.paths.empty()) row.path = r.paths.front();
    }
    result.rows.push_back(std::move(row));
  }
  return result;
}

}  // namespace mortem

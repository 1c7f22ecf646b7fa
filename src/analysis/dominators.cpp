#include "mortem/analysis/dominators.h"

#include <algorithm>

#include "mortem/analysis/graph_state.h"
#include "mortem/v8/names.h"

namespace mortem {

DominatorsResult RunDominators(Session& session, size_t top, size_t paths) {
  constexpr uint32_t kPathDepth = 32;
  DominatorsResult result;
  result.warnings = session.Warnings();
  const auto& state = session.graph();
  const auto& dom = session.dominators();
  result.heap_objects = state.index.size();
  result.reached = state.reached;
  result.total_retained = dom.retained.empty() ? 0 : dom.retained.back();
  std::vector<uint32_t> ids;
  for (uint32_t v = 0; v < state.index.size(); ++v)
    if (dom.idom[v] != v8::DominatorTree::kNone) ids.push_back(v);
  size_t n = std::min(top, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + n, ids.end(), [&](uint32_t a, uint32_t b) {
    return dom.retained[a] != dom.retained[b] ? dom.retained[a] > dom.retained[b] : a < b;
  });
  v8::Namer namer(session.memory(), session.layout(), session.heap());
  for (size_t i = 0; i < n; ++i) {
    DominatorRow row;
    row.object = state.index.address(ids[i]);
    const v8::MapInfo* map = namer.MapOf(row.object + 1);
    row.type = map ? namer.Label(row.object, *map, false).name : "?";
    row.self_size = state.index.object_size(ids[i]);
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

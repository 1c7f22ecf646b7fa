#include "mortem/analysis/objects.h"

#include <algorithm>
#include <map>
#include <optional>

#include "mortem/analysis/census.h"
#include "mortem/analysis/graph_state.h"

namespace mortem {
namespace {

// Retained size per row, DevTools' rule: the sum of the retained sizes of the row's instances
// that no other instance of the same row dominates. One walk maps nodes to rows; one depth-first
// pass over the dominator tree counts, per row, the instances open on the current branch.
void AddRetainedSizes(Session& session, const Census& census,
                      const std::unordered_map<ObjectKey, size_t, ObjectKeyHash>& key_row,
                      std::vector<TypeRow>& rows) {
  const GraphState& g = session.graph();
  const v8::DominatorTree& dom = session.dominators();
  const size_t nodes = g.index.size();
  constexpr uint32_t kNoRow = UINT32_MAX;
  std::vector<uint32_t> row_of(nodes, kNoRow);
  const auto& layout = session.layout();
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  walker.WalkAll(session.threads(), [&](unsigned, const v8::HeapObject& o) {
    auto id = g.index.Find(o.address);
    auto row = key_row.find(census.KeyOf(layout, o));
    if (id && row != key_row.end()) row_of[*id] = static_cast<uint32_t>(row->second);
  });
  // Children of each dominator-tree node (the virtual root has id `nodes`).
  std::vector<uint32_t> offsets(nodes + 2, 0), children;
  for (size_t v = 0; v < nodes; ++v)
    if (dom.idom[v] != v8::DominatorTree::kNone) offsets[dom.idom[v] + 1]++;
  for (size_t i = 0; i <= nodes; ++i) offsets[i + 1] += offsets[i];
  children.resize(offsets[nodes + 1]);
  {
    std::vector<uint32_t> fill(offsets.begin(), offsets.end() - 1);
    for (size_t v = 0; v < nodes; ++v)
      if (dom.idom[v] != v8::DominatorTree::kNone)
        children[fill[dom.idom[v]]++] = static_cast<uint32_t>(v);
  }
  std::vector<uint32_t> open(rows.size(), 0);
  std::vector<std::pair<uint32_t, bool>> stack{{static_cast<uint32_t>(nodes), false}};
  while (!stack.empty()) {
    auto [v, leaving] = stack.back();
    stack.pop_back();
    uint32_t row = v < nodes ? row_of[v] : kNoRow;
    if (leaving) {
      if (row != kNoRow) --open[row];
      continue;
    }
    if (row != kNoRow) {
      if (open[row] == 0) {
        TypeRow& r = rows[row];
        r.retained_size += dom.retained[v];
        if (dom.retained[v] > r.largest_instance_retained) {
          r.largest_instance_retained = dom.retained[v];
          r.largest_instance = g.index.address(v);
        }
      }
      ++open[row];
      stack.emplace_back(v, true);
    }
    for (uint32_t c = offsets[v]; c < offsets[v + 1]; ++c) stack.emplace_back(children[c], false);
  }
  // Objects the roots do not reach retain only themselves.
  for (size_t v = 0; v < nodes; ++v)
    if (dom.idom[v] == v8::DominatorTree::kNone && row_of[v] != kNoRow)
      rows[row_of[v]].retained_size += g.index.self_size(static_cast<uint32_t>(v)) +
                                       g.index.external_bytes(static_cast<uint32_t>(v));
}

}  // namespace

ObjectsResult RunObjects(Session& session, const ObjectsOptions& options) {
  // With retained sizes the graph is built anyway: liveness then comes from it.
  if (options.retained && !options.all) session.graph();
  const Census& census = options.all ? session.census() : session.live_census();
  std::map<std::pair<std::string, std::string>, TypeRow> rows;
  ObjectsResult r;
  r.total.name = "total";
  for (const auto& [key, stats] : census.keys) {
    auto it = census.labels.find(key);
    v8::TypeLabel label =
        it != census.labels.end() ? it->second : v8::TypeLabel{v8::NodeKind::kHidden, "(system)"};
    std::string kind = v8::KindName(label.kind);
    if (options.by_instance_type) {
      const v8::MapInfo* map = session.maps().Get(key.map);
      label.name = map ? session.layout().TypeName(map->instance_type) : "(unknown map)";
    }
    auto& row = rows[{label.name, kind}];
    row.name = label.name;
    row.kind = kind;
    row.count += stats.count;
    row.self_size += stats.bytes;
    r.total.count += stats.count;
    r.total.self_size += stats.bytes;
  }
  std::map<std::pair<std::string, std::string>, size_t> row_index;
  for (auto& [k, row] : rows) {
    row_index[k] = r.types.size();
    r.types.push_back(std::move(row));
  }
  if (options.retained) {
    std::unordered_map<ObjectKey, size_t, ObjectKeyHash> key_row;
    for (const auto& [key, stats] : census.keys) {
      auto it = census.labels.find(key);
      if (it == census.labels.end() || options.by_instance_type) continue;
      key_row[key] = row_index[{it->second.name, v8::KindName(it->second.kind)}];
    }
    AddRetainedSizes(session, census, key_row, r.types);
    r.has_retained = true;
  }
  auto by_size = [](const TypeRow& a, const TypeRow& b) {
    return a.self_size != b.self_size ? a.self_size > b.self_size : a.name < b.name;
  };
  auto by_count = [](const TypeRow& a, const TypeRow& b) {
    return a.count != b.count ? a.count > b.count : a.name < b.name;
  };
  auto by_retained = [](const TypeRow& a, const TypeRow& b) {
    return a.retained_size != b.retained_size ? a.retained_size > b.retained_size : a.name < b.name;
  };
  if (options.sort == ObjectsOptions::Sort::kRetained)
    std::sort(r.types.begin(), r.types.end(), by_retained);
  else if (options.sort == ObjectsOptions::Sort::kCount)
    std::sort(r.types.begin(), r.types.end(), by_count);
  else
    std::sort(r.types.begin(), r.types.end(), by_size);
  if (options.top > 0 && r.types.size() > options.top) {
    r.rows_omitted = r.types.size() - options.top;
    r.types.resize(options.top);
  }
  r.walk = SummariseWalk(session, census.walk);
  if (!options.all) {
    r.reachable_only = true;
    r.unreachable_objects = census.walk.total.objects - r.total.count;
    // Self sizes as the rows count them (external strings' characters included from 13.6).
    const uint64_t walked = census.walk.total.object_bytes + census.walked_outside_heap_bytes;
    r.unreachable_bytes = walked - std::min(walked, r.total.self_size);
  }
  r.warnings = session.Warnings();
  return r;
}

}  // namespace mortem

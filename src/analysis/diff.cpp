#include "mortem/analysis/diff.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "mortem/analysis/census.h"
#include "mortem/analysis/graph_state.h"
#include "mortem/analysis/liveness.h"
#include "mortem/analysis/objects.h"
#include "mortem/core/error.h"

namespace mortem {
namespace {

using RowId = std::pair<std::string, std::string>;  // (name, kind), as `objects` names rows

constexpr size_t kPathTries = 8;  // instances tried per row until one has a retainer path

// The two cores must come from one binary: the build-ids their executables' first pages hold.
void CheckSameBinary(const Session& old_s, const Session& new_s, bool force,
                     std::vector<std::string>& warnings) {
  const std::string& a = old_s.facts().core_build_id;
  const std::string& b = new_s.facts().core_build_id;
  if (a.empty() || b.empty()) {
    warnings.push_back("cannot verify that both cores ran the same binary: " +
                       std::string(a.empty() ? "the old" : "the new") +
                       " core holds no build-id of its executable");
    return;
  }
  if (a == b) return;
  std::string message =
      "the cores ran different binaries: old core build-id " + a + ", new core build-id " + b;
  if (!force)
    throw Error(message + " (use --force to compare them anyway)", ExitCode::kWrongBinary);
  warnings.push_back(message + "; rows are matched by name only");
}

int64_t SortDelta(const DiffRow& row, DiffOptions::Sort sort) {
  switch (sort) {
    case DiffOptions::Sort::kCount:
      return row.count.delta();
    case DiffOptions::Sort::kRetained:
      return row.retained_size.delta();
    case DiffOptions::Sort::kSize:
      break;
  }
  return row.self_size.delta();
}

// The addresses (ascending) of the instances of each wanted row in one session: one heap walk.
std::vector<std::vector<Address>> InstancesOf(Session& session, const std::vector<RowId>& wanted,
                                              bool all) {
  std::vector<std::vector<Address>> out(wanted.size());
  const Census& census = all ? session.census() : session.live_census();
  const Liveness* live = all ? nullptr : &session.liveness();
  std::unordered_map<ObjectKey, uint32_t, ObjectKeyHash> key_row;
  for (const auto& [key, stats] : census.keys) {
    auto it = census.labels.find(key);
    // Unnamed keys are "(system)" rows in `objects` too.
    RowId id = it != census.labels.end() ? RowId{it->second.name, v8::KindName(it->second.kind)}
                                         : RowId{"(system)", v8::KindName(v8::NodeKind::kHidden)};
    auto row = std::find(wanted.begin(), wanted.end(), id);
    if (row != wanted.end()) key_row[key] = static_cast<uint32_t>(row - wanted.begin());
  }
  if (key_row.empty()) return out;
  const auto& layout = session.layout();
  std::vector<std::vector<std::vector<Address>>> found(
      session.threads(), std::vector<std::vector<Address>>(wanted.size()));
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  walker.WalkAll(session.threads(), [&](unsigned thread, const v8::HeapObject& o) {
    auto it = key_row.find(census.KeyOf(layout, o));
    if (it != key_row.end() && (!live || live->IsLive(o.address)))
      found[thread][it->second].push_back(o.address);
  });
  for (auto& part : found)
    for (size_t i = 0; i < wanted.size(); ++i)
      out[i].insert(out[i].end(), part[i].begin(), part[i].end());
  for (auto& addresses : out) std::sort(addresses.begin(), addresses.end());
  return out;
}

// A path's shape: its edges with element indices left out, and its root. Instances held the
// same way (elements of one array, say) have paths of one shape.
std::string PathShape(const RetainerPath& path) {
  std::string shape;
  for (const auto& step : path.steps) {
    bool index = step.edge.size() > 2 && step.edge.front() == '[' && step.edge.back() == ']';
    shape += (index ? "[]" : step.edge) + '\x1f';
  }
  return shape + path.root;
}

// Up to n entries spread evenly over v.
std::vector<Address> Spread(const std::vector<Address>& v, size_t n) {
  if (v.size() <= n) return v;
  std::vector<Address> out;
  for (size_t k = 0; k < n; ++k) out.push_back(v[(2 * k + 1) * v.size() / (2 * n)]);
  return out;
}

// A sample instance of each row in the new core, with its shortest retainer path. New instances
// are told from old ones by address: an instance of the row at an address where the old core had
// none. The GC moves objects between two cores, though, so old instances may sit at new
// addresses too. Hence several candidates spread over the new addresses (objects the roots reach
// first: a core holds garbage not yet collected), and the path shape most of them share wins.
void AddSamples(Session& old_s, Session& new_s, const DiffOptions& options,
                std::vector<DiffRow*>& rows, std::vector<std::string>& warnings) {
  if (rows.empty()) return;
  std::vector<RowId> ids;
  for (const DiffRow* row : rows) ids.emplace_back(row->name, row->kind);
  auto old_instances = InstancesOf(old_s, ids, options.all);
  auto new_instances = InstancesOf(new_s, ids, options.all);
  const GraphState& graph = new_s.graph();
  auto reached = [&](Address a) {
    auto id = graph.index.Find(a);
    return id && graph.Reachable(*id);
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& before = old_instances[i];
    // Groups in order of preference: (new, reached), (old, reached), (new), (old).
    std::vector<Address> groups[4];
    for (Address a : new_instances[i]) {
      const bool is_new = !std::binary_search(before.begin(), before.end(), a);
      groups[(is_new ? 0 : 1) + (reached(a) ? 0 : 2)].push_back(a);
    }
    size_t g = 0;
    while (g < 4 && groups[g].empty()) ++g;
    if (g == 4) continue;
    const bool is_new = g % 2 == 0;
    const auto candidates = Spread(groups[g], kPathTries);
    DiffSample sample{candidates.front(), is_new, std::nullopt, candidates.size(), 0};
    std::map<std::string, std::pair<size_t, size_t>> shapes;  // shape -> (count, first index)
    std::vector<std::optional<RetainerPath>> paths(candidates.size());
    for (size_t k = 0; k < candidates.size(); ++k) {
      try {
        auto found = RunRetainers(new_s, candidates[k], 1, options.path_depth, false);
        if (found.paths.empty()) continue;
        auto [it, added] = shapes.try_emplace(PathShape(found.paths.front()), 0, k);
        it->second.first += 1;
        paths[k] = std::move(found.paths.front());
      } catch (const Error&) {
        continue;  // not in the graph (e.g. an object the walk saw but the index did not)
      }
    }
    const std::pair<size_t, size_t>* best = nullptr;
    for (const auto& [shape, seen] : shapes)
      if (!best || seen.first > best->first ||
          (seen.first == best->first && seen.second < best->second))
        best = &seen;
    if (best) {
      sample.address = candidates[best->second];
      sample.path = std::move(paths[best->second]);
      sample.agreeing = best->first;
    } else {
      warnings.push_back(rows[i]->name + ": no retainer path found for " +
                         std::to_string(candidates.size()) + " sample instances");
    }
    rows[i]->sample = std::move(sample);
  }
}

void Prefixed(const std::string& prefix, const std::vector<std::string>& from,
              std::vector<std::string>& to) {
  for (const auto& w : from) to.push_back(prefix + w);
}

// What the result says of one of the two cores.
DiffCore CoreOf(Session& session, std::optional<uint64_t> thread_id, const ObjectsResult& objects) {
  return DiffCore{session.facts().pid,
                  session.selected_isolate(),
                  thread_id,
                  session.facts().core_build_id,
                  objects.walk,
                  objects.unreachable_objects,
                  objects.unreachable_bytes};
}

}  // namespace

DiffResult RunDiff(Session& old_s, Session& new_s, const DiffOptions& options) {
  DiffResult r;
  CheckSameBinary(old_s, new_s, options.force, r.warnings);
  const bool retained = options.retained || options.sort == DiffOptions::Sort::kRetained;
  r.has_retained = retained;
  r.sort = options.sort == DiffOptions::Sort::kCount      ? "count"
           : options.sort == DiffOptions::Sort::kRetained ? "retained"
                                                          : "size";
  ObjectsOptions objects;
  objects.retained = retained;
  objects.all = options.all;
  // Sample paths need the new core's graph: its liveness then comes from it (no second index).
  if (options.paths > 0 && !options.all) new_s.graph();
  ObjectsResult before = RunObjects(old_s, objects);
  ObjectsResult after = RunObjects(new_s, objects);

  std::map<RowId, DiffRow> rows;
  for (const auto& t : before.types) {
    DiffRow& row = rows[{t.name, t.kind}];
    row.count.old_value = t.count;
    row.self_size.old_value = t.self_size;
    row.retained_size.old_value = t.retained_size;
  }
  for (const auto& t : after.types) {
    DiffRow& row = rows[{t.name, t.kind}];
    row.count.new_value = t.count;
    row.self_size.new_value = t.self_size;
    row.retained_size.new_value = t.retained_size;
  }
  for (auto& [id, row] : rows) {
    row.name = id.first;
    row.kind = id.second;
    if (!options.grown_only || SortDelta(row, options.sort) > 0)
      r.rows.push_back(std::move(row));
    else
      ++r.rows_omitted;
  }
  r.total.name = "total";
  r.total.count = {before.total.count, after.total.count};
  r.total.self_size = {before.total.self_size, after.total.self_size};
  std::stable_sort(r.rows.begin(), r.rows.end(), [&](const DiffRow& a, const DiffRow& b) {
    return SortDelta(a, options.sort) > SortDelta(b, options.sort);
  });
  if (options.top > 0 && r.rows.size() > options.top) {
    r.rows_omitted += r.rows.size() - options.top;
    r.rows.resize(options.top);
  }

  std::vector<DiffRow*> growing;
  for (auto& row : r.rows)
    if (growing.size() < options.paths && SortDelta(row, options.sort) > 0 && row.count.new_value)
      growing.push_back(&row);
  AddSamples(old_s, new_s, options, growing, r.warnings);

  r.old_core = CoreOf(old_s, options.thread_id, before);
  r.new_core = CoreOf(new_s, options.thread_id, after);
  Prefixed("old core: ", before.warnings, r.warnings);
  Prefixed("new core: ", after.warnings, r.warnings);
  return r;
}

}  // namespace mortem

#include "mortem/analysis/census.h"

#include <algorithm>

#include "mortem/analysis/session.h"
#include "mortem/v8/object_fields.h"
#include "mortem/v8/tagged.h"

namespace mortem {
namespace {

using KeyMap = std::unordered_map<ObjectKey, KeyStats, ObjectKeyHash>;

void Count(KeyStats& stats, Address address, uint64_t count, uint64_t bytes) {
  if (stats.count == 0 || address < stats.sample) stats.sample = address;
  stats.count += count;
  stats.bytes += bytes;
}

ObjectKey RetypedKey(const v8::HeapObject& o, v8::NodeKind kind) {
  return {o.map->address, kRetyped + static_cast<uint64_t>(kind)};
}

// The indices of the walkable pages that hold at least one of the sorted tags.
std::vector<size_t> PagesHolding(const v8::Heap& heap, const std::vector<v8::TypeTag>& tags) {
  std::vector<size_t> out;
  const auto& pages = heap.pages();
  for (size_t i = 0; i < pages.size(); ++i) {
    const v8::Page& p = pages[i];
    if (p.read_only || p.from_space) continue;  // V8 never re-types read-only objects
    auto it = std::lower_bound(tags.begin(), tags.end(), v8::TypeTag{p.area_start});
    if (it != tags.end() && it->object < p.area_end) out.push_back(i);
  }
  return out;
}

// Moves the tagged objects the walk finds at their addresses (object starts only) from their own
// row to the re-typed one, and keeps the tags that were confirmed.
void ApplyTags(Session& session, const std::function<bool(Address)>& keep,
               std::vector<v8::TypeTag> tags, Census& census) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end(),
                         [](const auto& a, const auto& b) { return a.object == b.object; }),
             tags.end());
  if (tags.empty()) return;
  const auto& layout = session.layout();
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  struct Move {
    ObjectKey from, to;
    Address address;
    uint64_t size;
    v8::NodeKind kind;
    uint16_t type;
  };
  std::vector<std::vector<Move>> moves(session.threads());
  census.retyped_types.assign(size_t{1} << 16, false);
  auto pages = PagesHolding(session.heap(), tags);
  walker.WalkPages(pages, session.threads(), [&](unsigned thread, const v8::HeapObject& o) {
    auto it = std::lower_bound(tags.begin(), tags.end(), v8::TypeTag{o.address});
    if (it == tags.end() || it->object != o.address) return;
    if (keep && !keep(o.address)) return;
    // V8's TagObject names only entries that have no name yet: a JS object or a string keeps
    // its own (a constant an optimized function embeds among its deoptimization literals).
    const uint16_t type = o.map->instance_type;
    if (layout.IsJSReceiver(type) || layout.IsString(type)) return;
    ObjectKey from = KeyOf(layout, o);
    ObjectKey to = RetypedKey(o, it->kind);
    if (from != to)
      moves[thread].push_back({from, to, o.address, o.size, it->kind, o.map->instance_type});
  });
  for (const auto& part : moves) {
    for (const Move& m : part) {
      auto from = census.keys.find(m.from);
      if (from == census.keys.end() || from->second.count == 0) continue;
      from->second.count -= 1;
      from->second.bytes -= std::min(from->second.bytes, m.size);
      if (from->second.count == 0) census.keys.erase(from);
      Count(census.keys[m.to], m.address, 1, m.size);
      census.retyped.push_back({m.address, m.kind});
      census.retyped_types[m.type] = true;
    }
  }
  std::sort(census.retyped.begin(), census.retyped.end());
}

v8::TypeLabel RetypedLabel(v8::NodeKind kind) {
  return {kind, kind == v8::NodeKind::kCode ? "(compiled code)" : "(object shape)"};
}

}  // namespace

ObjectKey KeyOf(const v8::Layout& layout, const v8::HeapObject& object) {
  ObjectKey key{object.map->address, 0};
  const uint16_t type = object.map->instance_type;
  if (layout.IsJSFunction(type)) {
    key.extra = v8::FunctionSharedOf(layout, object);
  } else if (type == layout.types.symbol) {
    key.extra = v8::IsPrivateSymbol(layout, object);
  } else if (object.page && object.page->read_only) {
    key.extra = 1;  // read-only maps and descriptor arrays are not object shapes
  }
  return key;
}

ObjectKey Census::KeyOf(const v8::Layout& layout, const v8::HeapObject& object) const {
  if (!retyped_types.empty() && retyped_types[object.map->instance_type]) {
    auto it = std::lower_bound(retyped.begin(), retyped.end(), v8::TypeTag{object.address});
    if (it != retyped.end() && it->object == object.address) return RetypedKey(object, it->kind);
  }
  return mortem::KeyOf(layout, object);
}

Census TakeCensus(Session& session, const std::function<bool(Address)>& keep) {
  const auto& layout = session.layout();
  const auto& heap = session.heap();
  v8::HeapWalker walker(session.memory(), layout, heap);
  v8::TypeTagger tagger(session.memory(), layout);
  std::vector<KeyMap> per_thread(session.threads());
  std::vector<uint64_t> outside_heap(session.threads(), 0);
  std::vector<v8::TagSink> tags;
  for (unsigned i = 0; i < session.threads(); ++i) tags.emplace_back(session.memory(), layout);
  Census census;
  census.walk = walker.WalkAll(session.threads(), [&](unsigned thread, const v8::HeapObject& o) {
    const uint64_t self = v8::SnapshotSelfSize(layout, o);
    if (self != o.size) outside_heap[thread] += self - o.size;  // rare: no shared cache line
    if (keep && !keep(o.address)) return;
    Count(per_thread[thread][KeyOf(layout, o)], o.address, 1, self);
    tagger.Collect(o, tags[thread]);
  });
  for (uint64_t bytes : outside_heap) census.walked_outside_heap_bytes += bytes;
  for (auto& part : per_thread)
    for (auto& [key, stats] : part) {
      auto& merged = census.keys[key];
      Address sample = merged.count == 0 ? stats.sample : std::min(merged.sample, stats.sample);
      merged.count += stats.count;
      merged.bytes += stats.bytes;
      merged.sample = sample;
    }
  std::vector<v8::TypeTag> all;
  for (auto& part : tags) all.insert(all.end(), part.tags.begin(), part.tags.end());
  tags.clear();
  ApplyTags(session, keep, std::move(all), census);
  v8::Namer namer(session.memory(), layout, heap);
  for (const auto& [key, stats] : census.keys) {
    const v8::MapInfo* map = namer.maps().Get(key.map);
    if (!map) continue;
    if (key.extra >= kRetyped && key.extra < kRetyped + 0x100 &&
        !layout.IsJSFunction(map->instance_type)) {
      census.labels[key] = RetypedLabel(static_cast<v8::NodeKind>(key.extra - kRetyped));
      continue;
    }
    census.labels[key] =
        namer.Label(stats.sample, *map, key.extra == 1 && !layout.IsJSFunction(map->instance_type));
  }
  return census;
}

}  // namespace mortem

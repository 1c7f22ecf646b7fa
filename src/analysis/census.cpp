#include "mortem/analysis/census.h"

#include "mortem/analysis/session.h"
#include "mortem/v8/tagged.h"

namespace mortem {

ObjectKey KeyOf(const v8::Layout& layout, const v8::HeapObject& object) {
  ObjectKey key{object.map->address, 0};
  const uint16_t type = object.map->instance_type;
  auto word_at = [&](uint32_t offset) { return v8::BodyWord(object.body, offset); };
  if (layout.IsJSFunction(type)) {
    key.extra = word_at(layout.off.function_shared);
  } else if (type == layout.types.symbol) {
    uint32_t flags = static_cast<uint32_t>(word_at(layout.off.symbol_flags & ~7u) >>
                                           (8 * (layout.off.symbol_flags & 7)));
    key.extra = flags & 1;  // is_private
  } else if (object.page && object.page->read_only) {
    key.extra = 1;  // read-only maps and descriptor arrays are not object shapes
  }
  return key;
}

Census TakeCensus(Session& session, const std::function<bool(Address)>& keep) {
  const auto& layout = session.layout();
  const auto& heap = session.heap();
  v8::HeapWalker walker(session.memory(), layout, heap);
  std::vector<std::unordered_map<ObjectKey, KeyStats, ObjectKeyHash>> per_thread(session.threads());
  Census census;
  census.walk = walker.WalkAll(session.threads(), [&](unsigned thread, const v8::HeapObject& o) {
    if (keep && !keep(o.address)) return;
    auto& stats = per_thread[thread][KeyOf(layout, o)];
    if (stats.count == 0 || o.address < stats.sample) stats.sample = o.address;
    stats.count += 1;
    stats.bytes += o.size;
  });
  for (auto& part : per_thread) {
    for (auto& [key, stats] : part) {
      auto& merged = census.keys[key];
      if (merged.count == 0 || stats.sample < merged.sample) merged.sample = stats.sample;
      merged.count += stats.count;
      merged.bytes += stats.bytes;
    }
  }
  v8::Namer namer(session.memory(), layout, heap);
  for (const auto& [key, stats] : census.keys) {
    const v8::MapInfo* map = namer.maps().Get(key.map);
    if (!map) continue;
    census.labels[key] =
        namer.Label(stats.sample, *map, key.extra == 1 && !layout.IsJSFunction(map->instance_type));
  }
  return census;
}

}  // namespace mortem

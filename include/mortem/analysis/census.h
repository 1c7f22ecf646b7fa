// Purpose: one pass over the heap that groups every object by the row it belongs to in the type
// histogram. Objects are keyed cheaply per walk (map, plus the SharedFunctionInfo for closures and
// the private bit for symbols); keys are named once afterwards. Internal objects that V8's
// snapshot re-types by their holder (TagObject: constant pools, line ends, ...) are moved to the
// "code" or "object shape" row in a second walk of only the pages that hold them. Built once per
// session and kept.
#pragma once
#include <functional>
#include <unordered_map>
#include <vector>

#include "mortem/v8/names.h"
#include "mortem/v8/snapshot_tags.h"
#include "mortem/v8/walker.h"

namespace mortem {

class Session;

struct ObjectKey {
  Address map = 0;
  uint64_t extra = 0;
  bool operator==(const ObjectKey&) const = default;
};
struct ObjectKeyHash {
  size_t operator()(const ObjectKey& k) const { return k.map * 31 + k.extra * 1000003; }
};

struct KeyStats {
  uint64_t count = 0;
  uint64_t bytes = 0;
  Address sample = 0;  // one object of this key (the lowest address)
};

// ObjectKey::extra of a re-typed object: kRetyped + the NodeKind its holder gives it.
constexpr uint64_t kRetyped = 0x100;

struct Census {
  std::unordered_map<ObjectKey, KeyStats, ObjectKeyHash> keys;
  std::unordered_map<ObjectKey, v8::TypeLabel, ObjectKeyHash> labels;
  v8::WalkResult walk;
  // The keys' bytes are self sizes as the line's snapshot gives them (v8::SnapshotSelfSize), which
  // from V8 13.6 count external strings' characters outside the heap; these are those characters
  // of every object walked, counted or not (walk.total.object_bytes has heap bytes only).
  uint64_t walked_outside_heap_bytes = 0;
  std::vector<v8::TypeTag> retyped;  // by address: objects moved to another row by their holder
  std::vector<bool> retyped_types;   // by instance type: whether any object of it was moved
  // The key an object is counted under here (re-typing included).
  ObjectKey KeyOf(const v8::Layout& layout, const v8::HeapObject& object) const;
};

// The histogram key of an object by its own map (no re-typing).
ObjectKey KeyOf(const v8::Layout& layout, const v8::HeapObject& object);

// Walks the heap once and names every key; with `keep`, only the objects it accepts count.
Census TakeCensus(Session& session, const std::function<bool(Address)>& keep = {});

}  // namespace mortem

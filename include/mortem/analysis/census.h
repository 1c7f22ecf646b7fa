// Purpose: one pass over the heap that groups every object by the row it belongs to in the type
// histogram. Objects are keyed cheaply per walk (map, plus the SharedFunctionInfo for closures and
// the private bit for symbols); keys are named once afterwards. Built once per session and kept.
#pragma once
#include <functional>
#include <unordered_map>
#include <vector>

#include "mortem/v8/names.h"
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

struct Census {
  std::unordered_map<ObjectKey, KeyStats, ObjectKeyHash> keys;
  std::unordered_map<ObjectKey, v8::TypeLabel, ObjectKeyHash> labels;
  v8::WalkResult walk;
};

// The histogram key of an object.
ObjectKey KeyOf(const v8::Layout& layout, const v8::HeapObject& object);

// Walks the heap once and names every key; with `keep`, only the objects it accepts count.
Census TakeCensus(Session& session, const std::function<bool(Address)>& keep = {});

}  // namespace mortem

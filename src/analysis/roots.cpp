#include "mortem/analysis/roots.h"

#include <algorithm>
#include <cstring>

#include "mortem/analysis/handles.h"
#include "mortem/core/error.h"
#include "mortem/v8/strings.h"
#include "mortem/v8/tagged.h"

namespace mortem {
namespace {

// RootsTable entries read at most (13.6 has 1140; older versions fewer). Slots past the table
// (the external reference table) hold C++ addresses, which resolve to no object.
constexpr size_t kMaxRootSlots = 2048;
constexpr uint64_t kMaxBlocks = 1 << 20;  // global handle blocks followed at most
constexpr uint32_t kIsolateScanBytes = 1 << 17;
constexpr uint64_t kMaxStackBytes = 64 << 20;

void AddIfObject(const v8::ObjectIndex& index, uint64_t value, RootKind kind, uint32_t detail,
                 RootSet& set) {
  if ((value & 3) != 1 && (value & 3) != 3) return;
  if (auto id = index.Find(value & ~uint64_t{3})) set.roots.push_back(Root{*id, kind, detail});
}

void RootsTable(Session& session, const v8::ObjectIndex& index, RootSet& set) {
  const auto& heap = session.heap();
  std::vector<uint64_t> slots(kMaxRootSlots);
  size_t got = session.memory().Read(heap.roots_address(), slots.data(), slots.size() * 8) / 8;
  size_t before = set.roots.size();
  for (size_t i = 0; i < got; ++i)
    AddIfObject(index, slots[i], RootKind::kRootsTable, static_cast<uint32_t>(i), set);
  set.roots_table = set.roots.size() - before;
}

// The Isolate's first kIsolateScanBytes (IsolateData, the Heap and the Isolate's own members).
std::vector<uint64_t> IsolateWords(Session& session) {
  std::vector<uint64_t> words(kIsolateScanBytes / 8);
  size_t got =
      session.memory().Read(session.heap().isolate_address(), words.data(), kIsolateScanBytes) / 8;
  words.resize(got);
  return words;
}

// The first pointer P stored in the Isolate's first kIsolateScanBytes for which accept(P) holds.
template <typename Accept>
std::optional<Address> FindInIsolate(Session& session, Accept&& accept) {
  Address isolate = session.heap().isolate_address();
  for (uint64_t p : IsolateWords(session))
    if (p != 0 && (p & 7) == 0 && p != isolate && accept(p)) return p;
  return std::nullopt;
}

// The instance type of the object a strong tagged value points at, if the index knows it.
std::optional<uint16_t> InstanceTypeOf(Session& session, const v8::ObjectIndex& index,
                                       uint64_t value) {
  if ((value & 3) != 1 || !index.Find(value - 1)) return std::nullopt;
  auto map = session.memory().ReadWord(value - 1);
  const v8::MapInfo* info = map && v8::IsHeapObject(*map) ? session.maps().Get(*map - 1) : nullptr;
  if (!info) return std::nullopt;
  return info->instance_type;
}

// IsolateData::builtin_table_, one Code object per builtin, at an offset no constant gives: the
// longest run of Isolate words that all point at Code objects.
constexpr size_t kMinBuiltins = 256;

void Builtins(Session& session, const v8::ObjectIndex& index, const std::vector<uint64_t>& words,
              RootSet& set) {
  const uint16_t code = session.layout().types.code;
  size_t best = 0, best_length = 0;
  for (size_t i = 0; i < words.size();) {
    size_t j = i;
    while (j < words.size() && InstanceTypeOf(session, index, words[j]) == code) ++j;
    if (j - i > best_length) best = i, best_length = j - i;
    i = j + 1;
  }
  if (best_length < kMinBuiltins) {
    set.notes.push_back("the builtins table was not found: roots from it are missing");
    return;
  }
  for (size_t i = best; i < best + best_length; ++i)
    AddIfObject(index, words[i], RootKind::kBuiltins, 0, set);
  set.builtins = best_length;
}

// std::vector<Object> members of the Isolate and its Heap, found by shape (begin <= end <=
// capacity, every entry a Smi or an object of the index):
//  - Isolate::startup_object_cache_ then shared_heap_object_cache_ (declared in that order in
//    execution/isolate.h, 10.2 to 13.6), whose last entry is undefined, an Oddball, by
//    construction (SerializerDeserializer::IterateStartupObjectCache);
//  - Heap::external_string_table_'s young and old lists: only external strings. The GC clears
//    their dead entries, so they are weak roots.
constexpr uint64_t kMaxVectorEntries = 1 << 22;
constexpr size_t kMinCacheEntries = 16;

std::optional<std::vector<uint64_t>> ReadObjectVector(Session& session,
                                                      const v8::ObjectIndex& index,
                                                      const uint64_t* triple) {
  const uint64_t begin = triple[0], end = triple[1], capacity = triple[2];
  if (begin == 0 || (begin & 7) != 0 || begin >= end || end > capacity ||
      (end - begin) / 8 > kMaxVectorEntries || (end - begin) % 8 != 0)
    return std::nullopt;
  std::vector<uint64_t> entries((end - begin) / 8);
  if (session.memory().Read(begin, entries.data(), end - begin) != end - begin) return std::nullopt;
  for (uint64_t e : entries)
    if ((e & 1) != 0 && ((e & 3) != 1 || !index.Find(e - 1))) return std::nullopt;
  return entries;
}

void AddVector(const v8::ObjectIndex& index, const std::vector<uint64_t>& entries, RootKind kind,
               RootSet& set) {
  size_t before = set.roots.size();
  for (uint64_t e : entries) AddIfObject(index, e, kind, 0, set);
  const size_t added = set.roots.size() - before;
  if (kind == RootKind::kStartupObjectCache) set.startup_object_cache += added;
  if (kind == RootKind::kSharedHeapObjectCache) set.shared_heap_object_cache += added;
  if (kind == RootKind::kExternalString) set.external_strings += added;
}

// Isolate::startup_object_cache_ and shared_heap_object_cache_ are adjacent std::vector<Object>
// members, each terminated by undefined (the deserializer's end marker). Other vectors of the
// Isolate end in an oddball too, so the startup cache is the first such vector directly followed
// by another that ends in the same value. The external string table's vectors hold only external
// strings.
void IsolateVectors(Session& session, const v8::ObjectIndex& index,
                    const std::vector<uint64_t>& words, RootSet& set) {
  const auto& layout = session.layout();
  auto is_external_string = [&](uint64_t e) {
    auto type = InstanceTypeOf(session, index, e);
    return type && layout.IsString(*type) &&
           v8::ShapeOf(layout, *type).representation == v8::StringShape::Representation::kExternal;
  };
  auto ends_in_oddball = [&](const std::vector<uint64_t>& entries) {
    return !entries.empty() &&
           InstanceTypeOf(session, index, entries.back()) == layout.types.oddball;
  };
  bool caches = false;
  for (size_t i = 0; i + 3 <= words.size(); ++i) {
    auto entries = ReadObjectVector(session, index, &words[i]);
    if (!entries) continue;
    if (!caches && entries->size() >= kMinCacheEntries && ends_in_oddball(*entries)) {
      auto next =
          i + 6 <= words.size() ? ReadObjectVector(session, index, &words[i + 3]) : std::nullopt;
      if (!next || next->empty() || next->back() != entries->back()) continue;
      AddVector(index, *entries, RootKind::kStartupObjectCache, set);
      AddVector(index, *next, RootKind::kSharedHeapObjectCache, set);
      caches = true;
      i += 5;
    } else if (std::all_of(entries->begin(), entries->end(), is_external_string)) {
      AddVector(index, *entries, RootKind::kExternalString, set);
      i += 2;
    }
  }
  if (!caches)
    set.notes.push_back("the startup object cache was not found: roots from it are missing");
}

// Finds the GlobalHandles object: a pointer P in the Isolate with *P == isolate and whose
// regular_nodes_ NodeSpace points back to P.
std::optional<Address> FindGlobalHandles(Session& session) {
  const Memory& memory = session.memory();
  const Address isolate = session.heap().isolate_address();
  return FindInIsolate(session, [&](Address p) {
    auto back = memory.ReadWord(p);
    if (!back || *back != isolate) return false;
    auto space = memory.ReadWord(p + session.layout().isolate.global_handles_regular_nodes);
    if (!space || (*space & 7) != 0) return false;
    auto space_back = memory.ReadWord(*space);
    return space_back && *space_back == p;
  });
}

void GlobalHandles(Session& session, const v8::ObjectIndex& index, RootSet& set) {
  const Memory& memory = session.memory();
  auto handles = FindGlobalHandles(session);
  if (!handles) {
    set.notes.push_back("global handles not found: roots from them are missing");
    return;
  }
  const v8::IsolateFacts& f = session.layout().isolate;
  auto space = memory.ReadWord(*handles + f.global_handles_regular_nodes);
  auto block = space ? memory.ReadWord(*space + f.global_handles_first_block) : std::nullopt;
  const uint64_t block_bytes = uint64_t{f.global_handle_node_size} * f.global_handle_block_nodes;
  std::vector<std::byte> nodes(block_bytes);
  for (uint64_t count = 0; block && *block && count < kMaxBlocks; ++count) {
    auto owner = memory.ReadWord(*block + block_bytes + 8);  // after next_
    if (!owner || *owner != *handles) {
      set.notes.push_back("a global handle block does not point back to its GlobalHandles");
      break;
    }
    if (memory.Read(*block, nodes.data(), block_bytes) == block_bytes) {
      for (uint64_t n = 0; n < f.global_handle_block_nodes; ++n) {
        const std::byte* node = nodes.data() + n * f.global_handle_node_size;
        uint64_t object;
        std::memcpy(&object, node, 8);
        const uint8_t state =
            static_cast<uint8_t>(node[f.global_handle_state_byte]) & f.global_handle_state_mask;
        if (state == f.global_handle_strong)
          AddIfObject(index, object, RootKind::kGlobalHandle, 0, set), ++set.global_handles;
        else if (state == f.global_handle_weak)
          AddIfObject(index, object, RootKind::kWeakGlobalHandle, 0, set),
              ++set.weak_global_handles;
      }
    }
    block = memory.ReadWord(*block + block_bytes);
  }
}

// Isolate::eternal_handles_, found by its shape (no constant gives its place): a size, a vector of
// as many blocks as the size needs, a vector of young indices, and a first slot that holds a
// heap object.
constexpr int64_t kMaxEternalHandles = int64_t{1} << 24;

struct EternalHandlesShape {
  uint64_t size = 0;
  Address blocks = 0;  // Address* per block
};

std::optional<EternalHandlesShape> ReadEternalHandles(Session& session,
                                                      const v8::ObjectIndex& index, Address p) {
  const Memory& memory = session.memory();
  const auto& facts = session.layout().isolate;
  const uint64_t block_slots = facts.eternal_handles_block_slots;
  auto size_word = memory.ReadWord(p + facts.eternal_handles_size);
  uint64_t blocks[3], young[3];
  if (!size_word || block_slots == 0 ||
      memory.Read(p + facts.eternal_handles_blocks, blocks, sizeof blocks) != sizeof blocks ||
      memory.Read(p + facts.eternal_handles_young, young, sizeof young) != sizeof young)
    return std::nullopt;
  const auto size = static_cast<int32_t>(*size_word);
  const uint64_t begin = blocks[0], end = blocks[1], capacity = blocks[2];
  if (size <= 0 || size > kMaxEternalHandles || begin == 0 || (begin & 7) != 0) return std::nullopt;
  if (!(begin <= end && end <= capacity) ||
      (end - begin) / 8 != (static_cast<uint64_t>(size) + block_slots - 1) / block_slots)
    return std::nullopt;
  if (!(young[0] <= young[1] && young[1] <= young[2]) || (young[0] & 3) != 0) return std::nullopt;
  auto block = memory.ReadWord(begin);
  auto first = block ? memory.ReadWord(*block) : std::nullopt;
  if (!first || !v8::IsHeapObject(*first) || !index.Find(*first - 1)) return std::nullopt;
  return EternalHandlesShape{static_cast<uint64_t>(size), begin};
}

void EternalHandles(Session& session, const v8::ObjectIndex& index, RootSet& set) {
  const Memory& memory = session.memory();
  std::optional<EternalHandlesShape> shape;
  FindInIsolate(session, [&](Address p) {
    return (shape = ReadEternalHandles(session, index, p)).has_value();
  });
  if (!shape) {
    set.notes.push_back("eternal handles not found: roots from them are missing");
    return;
  }
  const uint64_t block_slots = session.layout().isolate.eternal_handles_block_slots;
  std::vector<uint64_t> slots(block_slots);
  size_t before = set.roots.size();
  for (uint64_t b = 0; b * block_slots < shape->size; ++b) {
    auto block = memory.ReadWord(shape->blocks + b * 8);
    if (!block) break;
    uint64_t count = std::min(block_slots, shape->size - b * block_slots);
    size_t got = memory.Read(*block, slots.data(), count * 8) / 8;
    for (size_t i = 0; i < got; ++i) AddIfObject(index, slots[i], RootKind::kEternalHandle, 0, set);
  }
  set.eternal_handles = set.roots.size() - before;
}

// The JS objects of Node's active handle and request wraps (the Environment queues).
void NodeWraps(Session& session, const v8::ObjectIndex& index, RootSet& set) {
  HandlesResult wraps;
  try {
    HandlesOptions options;
    options.timers = false;  // only the wraps are roots; the timers are on the JS heap
    wraps = RunHandles(session, options);
  } catch (const Error& e) {
    set.notes.push_back(std::string("Node's handle and request queues: ") + e.what());
    return;
  }
  auto add = [&](const ActiveWrap& w, const char* queue) {
    if (!w.object) return;
    set.labels.push_back(std::string("(Node ") + queue + ": " + w.type + ")");
    size_t before = set.roots.size();
    AddIfObject(index, w.object + 1, RootKind::kNodeWrap,
                static_cast<uint32_t>(set.labels.size() - 1), set);
    set.node_wraps += set.roots.size() - before;
  };
  for (const auto& w : wraps.handles) add(w, "handle");
  for (const auto& w : wraps.requests) add(w, "request");
}

void Stacks(Session& session, const v8::ObjectIndex& index, RootSet& set) {
  const Memory& memory = session.memory();
  auto regions = memory.Regions();
  size_t before = set.roots.size();
  for (const auto& thread : session.facts().threads) {
    auto region = std::find_if(regions.begin(), regions.end(),
                               [&](const Region& r) { return r.Contains(thread.sp); });
    if (region == regions.end()) continue;
    uint64_t length = std::min<uint64_t>(region->end - (thread.sp & ~uint64_t{7}), kMaxStackBytes);
    std::vector<uint64_t> words(length / 8);
    size_t got = memory.Read(thread.sp & ~uint64_t{7}, words.data(), words.size() * 8) / 8;
    for (size_t i = 0; i < got; ++i)
      AddIfObject(index, words[i], RootKind::kStack, static_cast<uint32_t>(thread.tid), set);
  }
  set.stack = set.roots.size() - before;
}

}  // namespace

const char* RootKindLabel(RootKind kind) {
  switch (kind) {
    case RootKind::kRootsTable:
      return "(GC roots)";
    case RootKind::kGlobalHandle:
      return "(Global handles)";
    case RootKind::kEternalHandle:
      return "(Eternal handles)";
    case RootKind::kWeakGlobalHandle:
      return "(Weak global handles)";
    case RootKind::kStack:
      return "(Stack roots)";
    case RootKind::kNodeWrap:
      return "(Node handles)";
    case RootKind::kBuiltins:
      return "(Builtins)";
    case RootKind::kStartupObjectCache:
      return "(Startup object cache)";
    case RootKind::kSharedHeapObjectCache:
      return "(Shareable object cache)";  // V8's name for it in snapshots
    case RootKind::kExternalString:
      return "(External strings)";
    case RootKind::kInternalizedString:
      return "(Internalized strings)";
  }
  return "(roots)";
}

RootSet FindRoots(Session& session, const v8::ObjectIndex& index) {
  RootSet set;
  RootsTable(session, index, set);
  const auto isolate_words = IsolateWords(session);
  Builtins(session, index, isolate_words, set);
  IsolateVectors(session, index, isolate_words, set);
  NodeWraps(session, index, set);  // before the global handles: their label wins
  GlobalHandles(session, index, set);
  EternalHandles(session, index, set);
  Stacks(session, index, set);
  return set;
}

}  // namespace mortem

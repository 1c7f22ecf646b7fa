#include "mortem/analysis/roots.h"

#include <algorithm>

#include "mortem/analysis/handles.h"
#include "mortem/core/error.h"
#include "mortem/v8/tagged.h"

namespace mortem {
namespace {

// RootsTable entries read at most (13.6 has 1140; older versions fewer). Slots past the table
// (the external reference table) hold C++ addresses, which resolve to no object.
constexpr size_t kMaxRootSlots = 2048;
// GlobalHandles {Isolate* isolate_; unique_ptr<NodeSpace> regular_nodes_;}, NodeSpace
// {GlobalHandles* global_handles_; NodeBlock* first_block_; ...}, NodeBlock {Node nodes_[256];
// NodeBlock* next_; GlobalHandles* global_handles_; ...}, Node {object_, class_id u16, index u8,
// flags u8, ...} of 32 bytes (handles/global-handles.cc, the same in 10.2 to 12.4).
constexpr uint64_t kNodeSize = 32, kBlockNodes = 256, kBlockNext = kNodeSize * kBlockNodes;
constexpr uint64_t kMaxBlocks = 1 << 20;
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

// The first pointer P stored in the Isolate's first kIsolateScanBytes for which accept(P) holds.
template <typename Accept>
std::optional<Address> FindInIsolate(Session& session, Accept&& accept) {
  Address isolate = session.heap().isolate_address();
  std::vector<uint64_t> words(kIsolateScanBytes / 8);
  size_t got = session.memory().Read(isolate, words.data(), kIsolateScanBytes) / 8;
  for (size_t i = 0; i < got; ++i) {
    uint64_t p = words[i];
    if (p != 0 && (p & 7) == 0 && p != isolate && accept(p)) return p;
  }
  return std::nullopt;
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
  auto space = memory.ReadWord(*handles + session.layout().isolate.global_handles_regular_nodes);
  auto block = space ? memory.ReadWord(*space + 8) : std::nullopt;
  const uint8_t state_mask = session.layout().v8.Key() <= 1002 ? 7 : 3;
  std::vector<uint64_t> nodes(kBlockNodes * kNodeSize / 8);
  for (uint64_t count = 0; block && *block && count < kMaxBlocks; ++count) {
    auto owner = memory.ReadWord(*block + kBlockNext + 8);
    if (!owner || *owner != *handles) {
      set.notes.push_back("a global handle block does not point back to its GlobalHandles");
      break;
    }
    if (memory.Read(*block, nodes.data(), kBlockNext) == kBlockNext) {
      for (uint64_t n = 0; n < kBlockNodes; ++n) {
        uint64_t object = nodes[n * 4];
        uint8_t state = static_cast<uint8_t>(nodes[n * 4 + 1] >> 24) & state_mask;
        if (state == 1)
          AddIfObject(index, object, RootKind::kGlobalHandle, 0, set), ++set.global_handles;
        else if (state == 2)
          AddIfObject(index, object, RootKind::kWeakGlobalHandle, 0, set),
              ++set.weak_global_handles;
      }
    }
    block = memory.ReadWord(*block + kBlockNext);
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
    wraps = RunHandles(session);
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
  }
  return "(roots)";
}

RootSet FindRoots(Session& session, const v8::ObjectIndex& index) {
  RootSet set;
  RootsTable(session, index, set);
  NodeWraps(session, index, set);  // before the global handles: their label wins
  GlobalHandles(session, index, set);
  EternalHandles(session, index, set);
  Stacks(session, index, set);
  return set;
}

}  // namespace mortem

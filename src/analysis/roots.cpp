#include "mortem/analysis/roots.h"

#include <algorithm>

#include "mortem/analysis/handles.h"
#include "mortem/core/error.h"

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

// Finds the GlobalHandles object: a pointer P in the Isolate with *P == isolate and whose
// regular_nodes_ NodeSpace points back to P.
std::optional<Address> FindGlobalHandles(Session& session) {
  const Memory& memory = session.memory();
  Address isolate = session.heap().isolate_address();
  std::vector<uint64_t> words(kIsolateScanBytes / 8);
  size_t got = memory.Read(isolate, words.data(), kIsolateScanBytes) / 8;
  for (size_t i = 0; i < got; ++i) {
    uint64_t p = words[i];
    if (p == 0 || (p & 7) != 0 || p == isolate) continue;
    auto back = memory.ReadWord(p);
    if (!back || *back != isolate) continue;
    auto space = memory.ReadWord(p + session.layout().isolate.global_handles_regular_nodes);
    if (!space || (*space & 7) != 0) continue;
    auto space_back = memory.ReadWord(*space);
    if (space_back && *space_back == p) return p;
  }
  return std::nullopt;
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

// EternalHandles {int size_; std::vector<Address*> blocks_; std::vector<int>
// young_node_indices_;}, blocks of 256 slots (handles/global-handles.h, the same from 10.2 to
// 13.6). Isolate::eternal_handles_ points to it; found as a pointer in the Isolate to such a shape
// whose first slot holds a heap object.
constexpr uint64_t kEternalBlock = 256;
constexpr int64_t kMaxEternalHandles = int64_t{1} << 24;

std::optional<Address> FindEternalHandles(Session& session, const v8::ObjectIndex& index) {
  const Memory& memory = session.memory();
  Address isolate = session.heap().isolate_address();
  std::vector<uint64_t> words(kIsolateScanBytes / 8);
  size_t got = memory.Read(isolate, words.data(), kIsolateScanBytes) / 8;
  for (size_t i = 0; i < got; ++i) {
    uint64_t p = words[i];
    if (p == 0 || (p & 7) != 0 || p == isolate) continue;
    uint64_t shape[7];
    if (memory.Read(p, shape, sizeof shape) != sizeof shape) continue;
    const auto size = static_cast<int32_t>(shape[0]);
    const uint64_t begin = shape[1], end = shape[2], capacity = shape[3];
    const uint64_t young_begin = shape[4], young_end = shape[5], young_capacity = shape[6];
    if (size <= 0 || size > kMaxEternalHandles || begin == 0 || (begin & 7) != 0) continue;
    if (!(begin <= end && end <= capacity) ||
        (end - begin) / 8 != (size + kEternalBlock - 1) / kEternalBlock)
      continue;
    if (!(young_begin <= young_end && young_end <= young_capacity) || (young_begin & 3) != 0)
      continue;
    auto block = memory.ReadWord(begin);
    auto first = block ? memory.ReadWord(*block) : std::nullopt;
    if (first && (*first & 3) == 1 && index.Find(*first - 1)) return p;
  }
  return std::nullopt;
}

void EternalHandles(Session& session, const v8::ObjectIndex& index, RootSet& set) {
  const Memory& memory = session.memory();
  auto handles = FindEternalHandles(session, index);
  if (!handles) {
    set.notes.push_back("eternal handles not found: roots from them are missing");
    return;
  }
  const auto size = static_cast<uint64_t>(static_cast<int32_t>(*memory.ReadWord(*handles)));
  const Address blocks = *memory.ReadWord(*handles + 8);
  std::vector<uint64_t> slots(kEternalBlock);
  size_t before = set.roots.size();
  for (uint64_t b = 0; b * kEternalBlock < size; ++b) {
    auto block = memory.ReadWord(blocks + b * 8);
    if (!block) break;
    uint64_t count = std::min(kEternalBlock, size - b * kEternalBlock);
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

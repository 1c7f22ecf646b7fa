#include "mortem/v8/isolate_tables.h"

#include <algorithm>
#include <cstring>

#include "mortem/v8/strings.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

// RootsTable entries read at most (13.6 has 1140; older versions fewer).
constexpr size_t kMaxRootSlots = 2048;
constexpr uint64_t kMaxBlocks = 1 << 20;  // global handle blocks followed at most
constexpr uint32_t kIsolateScanBytes = 1 << 17;
constexpr size_t kMinBuiltins = 256;
constexpr uint64_t kMaxVectorEntries = 1 << 22;
constexpr size_t kMinCacheEntries = 16;
constexpr int64_t kMaxEternalHandles = int64_t{1} << 24;

}  // namespace

IsolateTables::IsolateTables(const Memory& memory, const Layout& layout, const Heap& heap,
                             MapCache& maps, const ObjectIndex& index)
    : memory_(memory), layout_(layout), heap_(heap), maps_(maps), index_(index) {
  words_.resize(kIsolateScanBytes / 8);
  words_.resize(memory.Read(heap.isolate_address(), words_.data(), kIsolateScanBytes) / 8);
}

std::vector<uint64_t> IsolateTables::RootsTable() const {
  std::vector<uint64_t> slots(kMaxRootSlots);
  slots.resize(memory_.Read(heap_.roots_address(), slots.data(), slots.size() * 8) / 8);
  return slots;
}

// The instance type of the object a strong tagged value points at, if the index holds it.
std::optional<uint16_t> IsolateTables::InstanceTypeOf(uint64_t value) const {
  if (!IsHeapObject(value) || !index_.Find(value - 1)) return std::nullopt;
  auto map = memory_.ReadWord(value - 1);
  const MapInfo* info = map && IsHeapObject(*map) ? maps_.Get(*map - 1) : nullptr;
  if (!info) return std::nullopt;
  return info->instance_type;
}

std::optional<std::vector<uint64_t>> IsolateTables::Builtins() const {
  const uint16_t code = layout_.types.code;
  size_t best = 0, best_length = 0;
  for (size_t i = 0; i < words_.size();) {
    size_t j = i;
    while (j < words_.size() && InstanceTypeOf(words_[j]) == code) ++j;
    if (j - i > best_length) best = i, best_length = j - i;
    i = j + 1;
  }
  if (best_length < kMinBuiltins) return std::nullopt;
  return std::vector<uint64_t>(words_.begin() + static_cast<ptrdiff_t>(best),
                               words_.begin() + static_cast<ptrdiff_t>(best + best_length));
}

// A std::vector<Object> {begin, end, capacity} whose entries are each a Smi or an object of the
// index.
std::optional<std::vector<uint64_t>> IsolateTables::ReadObjectVector(const uint64_t* triple) const {
  const uint64_t begin = triple[0], end = triple[1], capacity = triple[2];
  if (begin == 0 || (begin & 7) != 0 || begin >= end || end > capacity ||
      (end - begin) / 8 > kMaxVectorEntries || (end - begin) % 8 != 0)
    return std::nullopt;
  std::vector<uint64_t> entries((end - begin) / 8);
  if (memory_.Read(begin, entries.data(), end - begin) != end - begin) return std::nullopt;
  for (uint64_t e : entries)
    if ((e & 1) != 0 && (!IsHeapObject(e) || !index_.Find(e - 1))) return std::nullopt;
  return entries;
}

// Isolate::startup_object_cache_ and shared_heap_object_cache_ are adjacent std::vector<Object>
// members (execution/isolate.h, 10.2 to 14.6), each ending in undefined, an Oddball, by
// construction (SerializerDeserializer::IterateStartupObjectCache). Other vectors of the Isolate
// end in an oddball too, so the startup cache is the first such vector directly followed by
// another that ends in the same value. Heap::external_string_table_'s young and old lists hold
// only external strings.
ObjectVectors IsolateTables::Vectors() const {
  ObjectVectors out;
  auto is_external_string = [&](uint64_t e) {
    auto type = InstanceTypeOf(e);
    return type && layout_.IsString(*type) &&
           ShapeOf(layout_, *type).representation == StringShape::Representation::kExternal;
  };
  auto ends_in_oddball = [&](const std::vector<uint64_t>& entries) {
    return !entries.empty() && InstanceTypeOf(entries.back()) == layout_.types.oddball;
  };
  for (size_t i = 0; i + 3 <= words_.size(); ++i) {
    auto entries = ReadObjectVector(&words_[i]);
    if (!entries) continue;
    if (!out.caches_found && entries->size() >= kMinCacheEntries && ends_in_oddball(*entries)) {
      auto next = i + 6 <= words_.size() ? ReadObjectVector(&words_[i + 3]) : std::nullopt;
      if (!next || next->empty() || next->back() != entries->back()) continue;
      out.startup_cache = std::move(*entries);
      out.shared_cache = std::move(*next);
      out.caches_found = true;
      i += 5;
    } else if (std::all_of(entries->begin(), entries->end(), is_external_string)) {
      out.external_strings.push_back(std::move(*entries));
      i += 2;
    }
  }
  return out;
}

// The GlobalHandles object: a pointer P in the Isolate with *P == isolate and whose
// regular_nodes_ NodeSpace points back to P.
std::optional<Address> IsolateTables::FindGlobalHandles() const {
  const Address isolate = heap_.isolate_address();
  for (uint64_t p : words_) {
    if (p == 0 || (p & 7) != 0 || p == isolate) continue;
    auto back = memory_.ReadWord(p);
    if (!back || *back != isolate) continue;
    auto space = memory_.ReadWord(p + layout_.isolate.global_handles_regular_nodes);
    if (!space || (*space & 7) != 0) continue;
    auto space_back = memory_.ReadWord(*space);
    if (space_back && *space_back == p) return p;
  }
  return std::nullopt;
}

std::optional<GlobalHandleValues> IsolateTables::GlobalHandles() const {
  auto handles = FindGlobalHandles();
  if (!handles) return std::nullopt;
  GlobalHandleValues out;
  const IsolateFacts& f = layout_.isolate;
  auto space = memory_.ReadWord(*handles + f.global_handles_regular_nodes);
  auto block = space ? memory_.ReadWord(*space + f.global_handles_first_block) : std::nullopt;
  const uint64_t block_bytes = uint64_t{f.global_handle_node_size} * f.global_handle_block_nodes;
  std::vector<std::byte> nodes(block_bytes);
  for (uint64_t count = 0; block && *block && count < kMaxBlocks; ++count) {
    auto owner = memory_.ReadWord(*block + block_bytes + 8);  // after next_
    if (!owner || *owner != *handles) {
      out.notes.push_back("a global handle block does not point back to its GlobalHandles");
      break;
    }
    if (memory_.Read(*block, nodes.data(), block_bytes) == block_bytes) {
      for (uint64_t n = 0; n < f.global_handle_block_nodes; ++n) {
        const std::byte* node = nodes.data() + n * f.global_handle_node_size;
        uint64_t object;
        std::memcpy(&object, node, 8);
        const uint8_t state =
            static_cast<uint8_t>(node[f.global_handle_state_byte]) & f.global_handle_state_mask;
        if (state == f.global_handle_strong) out.strong.push_back(object);
        if (state == f.global_handle_weak) out.weak.push_back(object);
      }
    }
    block = memory_.ReadWord(*block + block_bytes);
  }
  return out;
}

// Isolate::eternal_handles_, found by its shape: a size, a vector of as many blocks as the size
// needs, a vector of young indices, and a first slot that holds an object of the index.
std::optional<std::vector<uint64_t>> IsolateTables::EternalHandles() const {
  const auto& facts = layout_.isolate;
  const uint64_t block_slots = facts.eternal_handles_block_slots;
  if (block_slots == 0) return std::nullopt;
  auto shape = [&](Address p) -> std::optional<std::pair<uint64_t, Address>> {
    auto size_word = memory_.ReadWord(p + facts.eternal_handles_size);
    uint64_t blocks[3], young[3];
    if (!size_word ||
        memory_.Read(p + facts.eternal_handles_blocks, blocks, sizeof blocks) != sizeof blocks ||
        memory_.Read(p + facts.eternal_handles_young, young, sizeof young) != sizeof young)
      return std::nullopt;
    const auto size = static_cast<int32_t>(*size_word);
    const uint64_t begin = blocks[0], end = blocks[1], capacity = blocks[2];
    if (size <= 0 || size > kMaxEternalHandles || begin == 0 || (begin & 7) != 0)
      return std::nullopt;
    if (!(begin <= end && end <= capacity) ||
        (end - begin) / 8 != (static_cast<uint64_t>(size) + block_slots - 1) / block_slots)
      return std::nullopt;
    if (!(young[0] <= young[1] && young[1] <= young[2]) || (young[0] & 3) != 0) return std::nullopt;
    auto block = memory_.ReadWord(begin);
    auto first = block ? memory_.ReadWord(*block) : std::nullopt;
    if (!first || !IsHeapObject(*first) || !index_.Find(*first - 1)) return std::nullopt;
    return std::pair{static_cast<uint64_t>(size), begin};
  };
  std::optional<std::pair<uint64_t, Address>> found;
  const Address isolate = heap_.isolate_address();
  for (uint64_t p : words_)
    if (p != 0 && (p & 7) == 0 && p != isolate && (found = shape(p))) break;
  if (!found) return std::nullopt;
  const auto [size, blocks] = *found;
  std::vector<uint64_t> values, slots(block_slots);
  for (uint64_t b = 0; b * block_slots < size; ++b) {
    auto block = memory_.ReadWord(blocks + b * 8);
    if (!block) break;
    const uint64_t count = std::min(block_slots, size - b * block_slots);
    const size_t got = memory_.Read(*block, slots.data(), count * 8) / 8;
    values.insert(values.end(), slots.begin(), slots.begin() + static_cast<ptrdiff_t>(got));
  }
  return values;
}

}  // namespace mortem::v8

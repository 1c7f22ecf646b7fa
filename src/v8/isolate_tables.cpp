#include "mortem/v8/isolate_tables.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "mortem/v8/object_view.h"
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

// A std::vector's {begin, end, capacity} as it lies in the object that holds it.
using VectorWords = std::array<uint64_t, 3>;

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
  const Tagged tagged(value);
  if (!tagged.IsStrong() || !index_.Find(tagged.address())) return std::nullopt;
  auto map = ObjectView::At(memory_, tagged).Map();
  const MapInfo* info = map && map->IsStrong() ? maps_.Get(map->address()) : nullptr;
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
    const ObjectView handles(memory_, p);
    auto back = handles.Word(0);
    if (!back || *back != isolate) continue;
    auto space = handles.Pointee(layout_.isolate.global_handles_regular_nodes);
    if (!space || (space->address() & 7) != 0) continue;
    auto space_back = space->Word(0);
    if (space_back && *space_back == p) return p;
  }
  return std::nullopt;
}

std::optional<GlobalHandleValues> IsolateTables::GlobalHandles() const {
  auto handles = FindGlobalHandles();
  if (!handles) return std::nullopt;
  GlobalHandleValues out;
  const IsolateFacts& f = layout_.isolate;
  auto space = ObjectView(memory_, *handles).Pointee(f.global_handles_regular_nodes);
  auto block = space ? space->Word(f.global_handles_first_block) : std::nullopt;
  const uint64_t block_bytes = uint64_t{f.global_handle_node_size} * f.global_handle_block_nodes;
  std::vector<std::byte> nodes(block_bytes);
  for (uint64_t count = 0; block && *block && count < kMaxBlocks; ++count) {
    // NodeBlock: its nodes, then next_ and global_handles_.
    const ObjectView here(memory_, *block, block_bytes + 16);
    auto owner = here.Word(block_bytes + 8);
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
    block = here.Word(block_bytes);
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
    const ObjectView handles(memory_, p);
    auto size_word = handles.Word(facts.eternal_handles_size);
    auto blocks_vector = handles.Read<VectorWords>(facts.eternal_handles_blocks);
    auto young_vector = handles.Read<VectorWords>(facts.eternal_handles_young);
    if (!size_word || !blocks_vector || !young_vector) return std::nullopt;
    const VectorWords& young = *young_vector;
    const auto size = static_cast<int32_t>(*size_word);
    const auto [begin, end, capacity] = *blocks_vector;
    if (size <= 0 || size > kMaxEternalHandles || begin == 0 || (begin & 7) != 0)
      return std::nullopt;
    if (!(begin <= end && end <= capacity) ||
        (end - begin) / 8 != (static_cast<uint64_t>(size) + block_slots - 1) / block_slots)
      return std::nullopt;
    if (!(young[0] <= young[1] && young[1] <= young[2]) || (young[0] & 3) != 0) return std::nullopt;
    auto block = ObjectView(memory_, begin).Pointee(0);
    auto first = block ? block->Field(0) : std::nullopt;
    if (!first || !first->IsStrong() || !index_.Find(first->address())) return std::nullopt;
    return std::pair{static_cast<uint64_t>(size), begin};
  };
  std::optional<std::pair<uint64_t, Address>> found;
  const Address isolate = heap_.isolate_address();
  for (uint64_t p : words_)
    if (p != 0 && (p & 7) == 0 && p != isolate && (found = shape(p))) break;
  if (!found) return std::nullopt;
  const auto [size, blocks] = *found;
  std::vector<uint64_t> values, slots(block_slots);
  const ObjectView block_pointers(memory_, blocks, (size + block_slots - 1) / block_slots * 8);
  for (uint64_t b = 0; b * block_slots < size; ++b) {
    auto block = block_pointers.Word(b * 8);
    if (!block) break;
    const uint64_t count = std::min(block_slots, size - b * block_slots);
    const size_t got = memory_.Read(*block, slots.data(), count * 8) / 8;
    values.insert(values.end(), slots.begin(), slots.begin() + static_cast<ptrdiff_t>(got));
  }
  return values;
}

}  // namespace mortem::v8

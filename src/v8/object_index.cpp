#include "mortem/v8/object_index.h"

#include <algorithm>
#include <atomic>

#include "mortem/core/parallel.h"
#include "mortem/v8/object_fields.h"
#include "mortem/v8/snapshot_tags.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

// Larger than any ArrayBuffer V8 allows (2^53 - 1 bytes in theory, far less in practice): a
// corrupt length is not counted.
constexpr uint64_t kMaxBackingStore = uint64_t{1} << 44;

}  // namespace

ObjectIndex ObjectIndex::Build(const Memory& memory, const Layout& layout, const Heap& heap,
                               unsigned threads) {
  ObjectIndex index;
  const auto& heap_pages = heap.pages();
  for (size_t i = 0; i < heap_pages.size(); ++i) {
    const Page& p = heap_pages[i];
    if (p.from_space || p.area_end <= p.area_start) continue;
    PageSpan span;
    span.chunk = p.start;
    span.area_start = p.area_start;
    span.bits = (p.area_end - p.area_start) / 8;
    if (p.large) span.bits = std::min<uint64_t>(span.bits, 64);  // one object, at the start
    span.heap_page = i;
    index.pages_.push_back(span);
  }
  std::sort(index.pages_.begin(), index.pages_.end(),
            [](const PageSpan& a, const PageSpan& b) { return a.chunk < b.chunk; });
  uint64_t words = 0;
  for (auto& span : index.pages_) {
    span.first_bit_word = words;
    words += (span.bits + 63) / 64;
  }
  index.starts_.assign(words, 0);
  // Walk: set the start bits (pages own disjoint words) and collect sizes per page.
  std::vector<std::vector<uint32_t>> sizes(index.pages_.size());  // per page, in bytes
  struct Store {
    Address buffer, backing_store;
    uint64_t bytes;
  };
  std::vector<std::vector<Store>> stores(index.pages_.size());  // ArrayBuffers' backing stores
  // Objects whose snapshot self size is more than their heap size (external strings' characters).
  std::vector<std::vector<std::pair<Address, uint64_t>>> extras(index.pages_.size());
  HeapWalker walker(memory, layout, heap);
  std::atomic<uint64_t> skipped{0};
  ParallelFor(
      index.pages_.size(), threads, [&](unsigned) { return MapCache(memory, layout); },
      [&](MapCache& maps, size_t i) {
        const PageSpan& span = index.pages_[i];
        const Page& page = heap_pages[span.heap_page];
        auto stats = walker.WalkPage(page, maps, 0, [&](unsigned, const HeapObject& o) {
          // An object start is 8-aligned and new on its page; a corrupt page could say otherwise.
          uint64_t bit = (o.address - span.area_start) / 8;
          if (bit >= span.bits || (o.address & 7) != 0) return;
          uint64_t& word = index.starts_[span.first_bit_word + bit / 64];
          const uint64_t mask = uint64_t{1} << (bit % 64);
          if (word & mask) return;
          word |= mask;
          sizes[i].push_back(static_cast<uint32_t>(std::min<uint64_t>(o.size, UINT32_MAX)));
          if (const uint64_t self = SnapshotSelfSize(layout, o); self > o.size)
            extras[i].push_back({o.address, self - o.size});
          if (o.map->instance_type == layout.types.js_array_buffer) {
            const ArrayBufferFields buffer = ArrayBufferOf(layout, o);
            const uint64_t store = buffer.backing_store, bytes = buffer.byte_length;
            if (store != 0 && bytes > 0 && bytes <= kMaxBackingStore)
              stores[i].push_back({o.address, store, bytes});
          }
        });
        skipped += stats.skipped_bytes + stats.unreadable_bytes;
        memory.Release(page.area_start, page.area_end - page.area_start);
      });
  index.skipped_bytes_ = skipped;
  size_t total = 0;
  for (const auto& s : sizes) total += s.size();
  index.sizes_.reserve(total);
  index.rank_.resize(words);
  for (size_t i = 0; i < index.pages_.size(); ++i) {
    auto& span = index.pages_[i];
    span.first = static_cast<NodeId>(index.sizes_.size());
    for (uint32_t size : sizes[i]) index.AddSize(static_cast<NodeId>(index.sizes_.size()), size);
    span.end = static_cast<NodeId>(index.sizes_.size());
    if (heap_pages[span.heap_page].read_only && span.first < span.end) {
      auto& ranges = index.read_only_;
      if (!ranges.empty() && ranges.back().second == span.first)
        ranges.back().second = span.end;
      else
        ranges.emplace_back(span.first, span.end);
    }
    std::vector<uint32_t>().swap(sizes[i]);
    NodeId id = span.first;
    for (uint64_t w = span.first_bit_word; w < span.first_bit_word + (span.bits + 63) / 64; ++w) {
      index.rank_[w] = id;
      id += static_cast<NodeId>(std::popcount(index.starts_[w]));
    }
  }
  index.BuildTable();
  // A backing store shared by several ArrayBuffers counts once, with the first.
  std::vector<std::pair<Address, std::pair<NodeId, uint64_t>>> owned;
  for (const auto& page : stores)
    for (const Store& s : page)
      if (auto id = index.Find(s.buffer)) owned.push_back({s.backing_store, {*id, s.bytes}});
  std::sort(owned.begin(), owned.end());
  for (size_t k = 0; k < owned.size(); ++k)
    if (k == 0 || owned[k].first != owned[k - 1].first) index.external_.push_back(owned[k].second);
  std::sort(index.external_.begin(), index.external_.end());
  for (const auto& page : extras)
    for (const auto& [address, bytes] : page)
      if (auto id = index.Find(address)) index.self_extra_.push_back({*id, bytes});
  std::sort(index.self_extra_.begin(), index.self_extra_.end());
  return index;
}

uint64_t ObjectIndex::self_size(NodeId id) const {
  const uint64_t size = object_size(id);
  if (self_extra_.empty()) return size;
  auto it =
      std::lower_bound(self_extra_.begin(), self_extra_.end(), std::make_pair(id, uint64_t{0}));
  return it != self_extra_.end() && it->first == id ? size + it->second : size;
}

uint64_t ObjectIndex::external_bytes(NodeId id) const {
  auto it = std::lower_bound(external_.begin(), external_.end(), std::make_pair(id, uint64_t{0}));
  return it != external_.end() && it->first == id ? it->second : 0;
}

void ObjectIndex::AddSize(NodeId id, uint64_t size) {
  if (size % 8 == 0 && size / 8 < kBigSize) {
    sizes_.push_back(static_cast<uint16_t>(size / 8));
  } else {
    sizes_.push_back(kBigSize);
    big_sizes_.emplace_back(id, static_cast<uint32_t>(std::min<uint64_t>(size, UINT32_MAX)));
  }
}

uint32_t ObjectIndex::BigSize(NodeId id) const {
  auto it = std::lower_bound(big_sizes_.begin(), big_sizes_.end(), std::make_pair(id, 0u));
  return it != big_sizes_.end() && it->first == id ? it->second : 0;
}

void ObjectIndex::BuildTable() {
  size_t capacity = 16;
  while (capacity < pages_.size() * 2) capacity *= 2;
  table_.assign(capacity, kEmpty);
  for (uint32_t p = 0; p < pages_.size(); ++p) {
    size_t slot = Hash(pages_[p].chunk);
    while (table_[slot] != kEmpty) slot = (slot + 1) & (capacity - 1);
    table_[slot] = p;
  }
}

Address ObjectIndex::address(NodeId id) const {
  auto page = std::upper_bound(pages_.begin(), pages_.end(), id,
                               [](NodeId v, const PageSpan& s) { return v < s.end; });
  if (page == pages_.end() || id < page->first) return 0;
  const uint64_t first = page->first_bit_word, end = first + (page->bits + 63) / 64;
  if (first == end) return 0;
  // The last word whose first id is <= id holds it.
  auto word = std::upper_bound(rank_.begin() + first, rank_.begin() + end, id) - 1;
  uint64_t bits = starts_[word - rank_.begin()];
  for (NodeId k = *word; k < id; ++k) bits &= bits - 1;  // drop the lower starts
  uint64_t bit = (word - rank_.begin() - first) * 64 + std::countr_zero(bits);
  return page->area_start + bit * 8;
}

uint64_t ObjectIndex::memory_bytes() const {
  return pages_.capacity() * sizeof(PageSpan) + table_.capacity() * 4 + starts_.capacity() * 8 +
         rank_.capacity() * 4 + sizes_.capacity() * 2 + big_sizes_.capacity() * 8;
}

}  // namespace mortem::v8

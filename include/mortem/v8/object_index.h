// Purpose: numbers every object of the heap walk (node ids follow addresses) in about 6 bytes per
// object: a bitmap of object starts (one bit per 8-byte word of each page area) with a running
// count per bitmap word, so that an address resolves to its node id in constant time, and the
// objects' sizes in 8-byte units (2 bytes; the few objects of 512 KiB or more in a side table).
// The pages are found through a small open-addressing table keyed by chunk. Also the bytes an
// object owns outside the V8 heap: an ArrayBuffer's backing store (given to the first buffer of
// a shared one), which its retained size includes, as the snapshot's JSArrayBufferData nodes do;
// and, where the line's snapshot counts them in the self size, external strings' characters.
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mortem/v8/walker.h"

namespace mortem::v8 {

using NodeId = uint32_t;

class ObjectIndex {
 public:
  struct PageSpan {
    Address chunk = 0;            // the page's start (what Find keys on)
    Address area_start = 0;       // bit 0 of the page's first bitmap word
    uint64_t bits = 0;            // 8-byte words of the area indexed (a large page: its first 64)
    uint64_t first_bit_word = 0;  // index of the page's first word in the bitmap
    NodeId first = 0, end = 0;    // node ids of the page's objects
    size_t heap_page = 0;         // index in Heap::pages()
  };

  // Walks the heap once, on `threads` threads.
  static ObjectIndex Build(const Memory& memory, const Layout& layout, const Heap& heap,
                           unsigned threads);

  size_t size() const { return sizes_.size(); }
  uint32_t object_size(NodeId id) const {
    return sizes_[id] != kBigSize ? uint32_t{sizes_[id]} * 8 : BigSize(id);
  }
  // The node's self size as the line's heap snapshot gives it (SnapshotSelfSize: from V8 13.6 an
  // external string's characters count); object_size() is its size in the heap.
  uint64_t self_size(NodeId id) const;
  // Bytes outside the V8 heap that the node owns (0 for most).
  uint64_t external_bytes(NodeId id) const;
  // (node, bytes) for every node that owns some, by node id.
  std::span<const std::pair<NodeId, uint64_t>> external() const { return external_; }
  // Pages with objects, by address; node ids run through them in order.
  std::span<const PageSpan> pages() const { return pages_; }
  Address address(NodeId id) const;

  std::optional<NodeId> Find(Address object_start) const {
    const PageSpan* page = PageOf(object_start);
    if (!page || object_start < page->area_start || (object_start & 7) != 0) return std::nullopt;
    uint64_t bit = (object_start - page->area_start) >> 3;
    if (bit >= page->bits) return std::nullopt;
    uint64_t word = page->first_bit_word + (bit >> 6);
    uint64_t mask = uint64_t{1} << (bit & 63);
    if ((starts_[word] & mask) == 0) return std::nullopt;
    return rank_[word] + static_cast<NodeId>(std::popcount(starts_[word] & (mask - 1)));
  }

  // In read-only space: immortal, and holding references only to read-only objects.
  bool InReadOnlySpace(NodeId id) const {
    for (const auto& [first, end] : read_only_)
      if (id >= first && id < end) return true;
    return false;
  }

  // Hollow nodes are alive but hold nothing alive: the caches V8's next full GC empties
  // (Layout::gc_emptied_roots). The graph and the live marker follow no reference out of them.
  void SetHollow(std::vector<NodeId> ids) {
    std::sort(ids.begin(), ids.end());
    hollow_ = std::move(ids);
  }
  bool Hollow(NodeId id) const {
    return !hollow_.empty() && std::binary_search(hollow_.begin(), hollow_.end(), id);
  }

  // [first, end) node ids of each read-only page.
  std::span<const std::pair<NodeId, NodeId>> read_only_ranges() const { return read_only_; }

  // Inside the area of an indexed page (whether or not an object starts there).
  bool InPageArea(Address address) const {
    const PageSpan* page = PageOf(address);
    return page && address >= page->area_start && (address - page->area_start) / 8 < page->bits;
  }

  // Bytes of page areas the walk could not parse or read: objects there are not in the index.
  uint64_t skipped_bytes() const { return skipped_bytes_; }
  uint64_t memory_bytes() const;

 private:
  const PageSpan* PageOf(Address address) const {
    if (table_.empty()) return nullptr;
    const Address chunk = address & ~(kPageSize - 1);
    for (size_t slot = Hash(chunk);; slot = (slot + 1) & (table_.size() - 1)) {
      uint32_t p = table_[slot];
      if (p == kEmpty) return nullptr;
      if (pages_[p].chunk == chunk) return &pages_[p];
    }
  }
  size_t Hash(Address chunk) const {
    return static_cast<size_t>(((chunk / kPageSize) * 0x9E3779B97F4A7C15ull) >> 32) &
           (table_.size() - 1);
  }
  void BuildTable();
  uint32_t BigSize(NodeId id) const;
  void AddSize(NodeId id, uint64_t size);

  static constexpr uint32_t kEmpty = UINT32_MAX;
  static constexpr uint16_t kBigSize = UINT16_MAX;  // look in big_sizes_
  std::vector<PageSpan> pages_;
  std::vector<uint32_t> table_;   // chunk hash -> index in pages_ (kEmpty: free), power of two
  std::vector<uint64_t> starts_;  // one bit per 8-byte word of every page area
  std::vector<uint32_t> rank_;    // node id of the first object start in each bitmap word
  std::vector<uint16_t> sizes_;   // in 8-byte units, or kBigSize
  std::vector<std::pair<NodeId, uint32_t>> big_sizes_;   // by node id
  std::vector<std::pair<NodeId, uint64_t>> external_;    // by node id
  std::vector<std::pair<NodeId, uint64_t>> self_extra_;  // self_size - object_size, by node id
  std::vector<std::pair<NodeId, NodeId>> read_only_;     // [first, end) of read-only pages' ids
  std::vector<NodeId> hollow_;                           // sorted
  uint64_t skipped_bytes_ = 0;
};

}  // namespace mortem::v8

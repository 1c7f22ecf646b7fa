// Purpose: which objects of the heap are alive: marked from the roots over every reference
// (weak ones too, as V8's heap snapshot counts them) with one bit per object and a bounded work
// list, no edge arrays. Read-only space is alive whole. Each thread marks from its own stack and
// hands surplus work to the others; marking is idempotent, so the order never changes the set.
#pragma once
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "mortem/v8/object_index.h"

namespace mortem::v8 {

class LiveSet {
 public:
  LiveSet() = default;
  explicit LiveSet(size_t nodes) : bits_((nodes + 63) / 64, 0), nodes_(nodes) {}
  bool Contains(NodeId id) const { return id < nodes_ && (bits_[id >> 6] >> (id & 63) & 1) != 0; }
  // Sets the bit; whether it was clear (safe to call from several threads).
  bool Mark(NodeId id) {
    const uint64_t mask = uint64_t{1} << (id & 63);
    std::atomic_ref<uint64_t> word(bits_[id >> 6]);
    if ((word.load(std::memory_order_relaxed) & mask) != 0) return false;
    return (word.fetch_or(mask, std::memory_order_relaxed) & mask) == 0;
  }
  size_t nodes() const { return nodes_; }
  uint64_t objects = 0, bytes = 0;  // alive: count and self size
  uint64_t memory_bytes() const { return bits_.capacity() * 8; }

 private:
  std::vector<uint64_t> bits_;
  size_t nodes_ = 0;
};

// Marks everything `roots` (node ids of the index) reach, reading each object from the core once.
LiveSet MarkLive(const Memory& memory, const Layout& layout, const ObjectIndex& index,
                 std::span<const NodeId> roots, unsigned threads);

}  // namespace mortem::v8

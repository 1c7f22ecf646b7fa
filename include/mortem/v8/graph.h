// Purpose: the heap as a graph over the ObjectIndex's node ids, built from each object's tagged
// slots with V8's raw-body regions skipped; only slots that point exactly at an object start
// become edges (an EdgeEnd says whether the reference is weak). Both directions are compressed
// sparse rows of 4-byte ids, but only the reverse one is kept: the forward edges serve the
// depth-first passes and are dropped before the reverse edges are filled, in a separate walk of the
// core.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "mortem/v8/object_index.h"
#include "mortem/v8/strings.h"

namespace mortem::v8 {

// Bytes of the object, from its start, that hold tagged slots; the rest is raw data (V8's body
// descriptors: characters, bytes, doubles, instructions, packed metadata).
uint32_t TaggedEnd(const Layout& layout, const HeapObject& object);

// Calls visit(offset, value) for every slot of the object that V8 treats as tagged and that
// holds a heap reference (strong or weak).
template <typename Visit>
void ForEachTaggedSlot(const Layout& layout, const HeapObject& object, Visit&& visit) {
  const uint32_t end = std::min<uint32_t>(
      TaggedEnd(layout, object),
      static_cast<uint32_t>(std::min<uint64_t>(object.size, object.body.size())));
  for (uint32_t offset = 0; offset + 8 <= end; offset += 8) {  // the map word too
    uint64_t value;
    std::memcpy(&value, object.body.data() + offset, 8);
    if ((value & 1) != 0) visit(offset, value);  // else a Smi or raw
  }
}

// One end of a reference as the graph stores it (4 bytes): the node at that end, and whether
// the reference is weak (the top bit; node ids stay below it).
class EdgeEnd {
 public:
  static constexpr uint32_t kWeakBit = 1u << 31;
  constexpr explicit EdgeEnd(uint32_t bits) : bits_(bits) {}
  static constexpr EdgeEnd To(NodeId node, bool weak) {
    return EdgeEnd(node | (weak ? kWeakBit : 0));
  }
  constexpr NodeId node() const { return bits_ & ~kWeakBit; }
  constexpr bool weak() const { return (bits_ & kWeakBit) != 0; }
  constexpr uint32_t bits() const { return bits_; }

 private:
  uint32_t bits_;
};

// Stored edge ends, read as EdgeEnd values.
class EdgeEnds {
 public:
  class Iterator {
   public:
    explicit Iterator(const uint32_t* at) : at_(at) {}
    EdgeEnd operator*() const { return EdgeEnd(*at_); }
    Iterator& operator++() { return ++at_, *this; }
    bool operator==(const Iterator&) const = default;

   private:
    const uint32_t* at_;
  };
  explicit EdgeEnds(std::span<const uint32_t> bits) : bits_(bits) {}
  Iterator begin() const { return Iterator(bits_.data()); }
  Iterator end() const { return Iterator(bits_.data() + bits_.size()); }
  size_t size() const { return bits_.size(); }
  EdgeEnd operator[](size_t i) const { return EdgeEnd(bits_[i]); }

 private:
  std::span<const uint32_t> bits_;
};

// Every node's references (transient: the depth-first passes read it, then it is dropped).
struct ForwardEdges {
  // node n: targets[offsets[n] .. offsets[n + 1]), EdgeEnd bits
  std::vector<uint32_t> offsets, targets;
  uint64_t dangling = 0;  // slots pointing into a page's objects but not at an object start
  // The holder of each such slot (one entry per slot), the first kMaxDanglingHolders of them.
  static constexpr size_t kMaxDanglingHolders = 1 << 16;
  std::vector<NodeId> dangling_holders;
  // The internalized strings outside read-only space (the string table's), sorted.
  std::vector<NodeId> internalized_strings;
};

class HeapGraph {
 public:
  static constexpr uint32_t kWeak = EdgeEnd::kWeakBit;  // the stored bit of a weak reference

  // Walks the core twice: every node's out-degree, then its targets. Counts every node's
  // in-degree at the same time into `in_counts` (node count + 1 entries, node t at t + 1), for
  // BuildReverse.
  static ForwardEdges BuildForward(const Memory& memory, const Layout& layout, const Heap& heap,
                                   const ObjectIndex& index, unsigned threads,
                                   std::vector<uint32_t>& in_counts);
  // Walks the core once more and fills the reverse edges from those counts; every node's
  // sources come out sorted.
  static HeapGraph BuildReverse(const Memory& memory, const Layout& layout, const Heap& heap,
                                const ObjectIndex& index, unsigned threads,
                                std::vector<uint32_t> in_counts);

  // The sources of the references to the node, each weak or not.
  EdgeEnds In(NodeId id) const {
    return EdgeEnds({in_.data() + in_offsets_[id], in_.data() + in_offsets_[id + 1]});
  }
  std::span<const uint32_t> in_offsets() const { return in_offsets_; }
  std::span<uint32_t> mutable_sources() { return in_; }
  size_t edges() const { return in_.size(); }
  uint64_t memory_bytes() const;

 private:
  std::vector<uint32_t> in_offsets_;  // node -> first edge; node count + 1 entries
  std::vector<uint32_t> in_;          // sources, EdgeEnd bits
};

}  // namespace mortem::v8

// Purpose: the heap as a graph over the ObjectIndex's node ids, built from each object's tagged
// slots with V8's raw-body regions skipped; only slots that point exactly at an object start
// become edges (a weak reference keeps the kWeak bit). Both directions are compressed sparse
// rows of 4-byte ids, but only the reverse one is kept: the forward edges serve the depth-first
// passes and are dropped before the reverse edges are filled, in a separate walk of the core.
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

// Every node's references (transient: the depth-first passes read it, then it is dropped).
struct ForwardEdges {
  std::vector<uint32_t> offsets, targets;  // node n: targets[offsets[n] .. offsets[n + 1])
  uint64_t dangling = 0;  // slots pointing into a page's objects but not at an object start
  // The holder of each such slot (one entry per slot), the first kMaxDanglingHolders of them.
  static constexpr size_t kMaxDanglingHolders = 1 << 16;
  std::vector<NodeId> dangling_holders;
  // The internalized strings outside read-only space (the string table's), sorted.
  std::vector<NodeId> internalized_strings;
  std::span<const uint32_t> Out(NodeId id) const {
    return {targets.data() + offsets[id], targets.data() + offsets[id + 1]};
  }
};

class HeapGraph {
 public:
  static constexpr uint32_t kWeak = 1u << 31;  // set in an edge end for weak references

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

  // Sources (with kWeak possibly set) of the node's references.
  std::span<const uint32_t> In(NodeId id) const {
    return {in_.data() + in_offsets_[id], in_.data() + in_offsets_[id + 1]};
  }
  std::span<const uint32_t> in_offsets() const { return in_offsets_; }
  std::span<uint32_t> mutable_sources() { return in_; }
  size_t edges() const { return in_.size(); }
  uint64_t memory_bytes() const;

 private:
  std::vector<uint32_t> in_offsets_;  // node -> first edge; node count + 1 entries
  std::vector<uint32_t> in_;          // sources, with kWeak set for weak edges
};

}  // namespace mortem::v8

// Purpose: the heap as a graph. ObjectIndex numbers every object of the walk (sorted by address;
// an address resolves to its node through a per-page table) and HeapGraph holds the references
// between them in compact arrays (forward and reverse CSR, 4 bytes per edge and node, the weak
// bit in the edge), built from each object's tagged slots with V8's raw-body regions skipped.
// Only slots that point exactly at an object start become edges.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "mortem/v8/dominators.h"
#include "mortem/v8/walker.h"

namespace mortem::v8 {

using NodeId = uint32_t;

class ObjectIndex {
 public:
  // Records the objects of a walk (one call per object, any order, from any thread).
  static ObjectIndex Build(const Memory& memory, const Layout& layout, const Heap& heap,
                           unsigned threads);
  size_t size() const { return starts_.size(); }
  Address address(NodeId id) const { return starts_[id]; }
  uint32_t object_size(NodeId id) const { return sizes_[id]; }
  std::span<const uint32_t> sizes() const { return sizes_; }
  std::optional<NodeId> Find(Address object_start) const;

 private:
  std::vector<Address> starts_;
  std::vector<uint32_t> sizes_;
  std::unordered_map<Address, std::pair<NodeId, NodeId>> pages_;  // chunk -> [first, end)
};

// Calls visit(offset, value) for every slot of the object that V8 treats as tagged.
void ForEachTaggedSlot(const Layout& layout, const HeapObject& object,
                       const std::function<void(uint32_t offset, uint64_t value)>& visit);

class HeapGraph {
 public:
  static constexpr uint32_t kWeak = 1u << 31;  // set in an edge target for weak references

  static HeapGraph Build(const Memory& memory, const Layout& layout, const Heap& heap,
                         const ObjectIndex& index, unsigned threads);
  // Targets (with kWeak possibly set) of the node's references.
  std::span<const uint32_t> Out(NodeId id) const {
    return {out_.data() + out_offsets_[id], out_.data() + out_offsets_[id + 1]};
  }
  std::span<const uint32_t> In(NodeId id) const {
    return {in_.data() + in_offsets_[id], in_.data() + in_offsets_[id + 1]};
  }
  size_t edges() const { return out_.size(); }
  // Both directions as CSR, weak edges marked to be skipped.
  CsrGraph Csr() const { return {out_offsets_, out_, in_offsets_, in_, kWeak}; }
  uint64_t memory_bytes() const;

 private:
  std::vector<uint32_t> out_offsets_, in_offsets_;  // node -> first edge; size() + 1 entries
  std::vector<uint32_t> out_, in_;  // in_ holds sources, with kWeak set for weak edges
};

}  // namespace mortem::v8

// Purpose: V8's TagObject re-typing in heap snapshots (heap-snapshot-generator.cc): the snapshot
// types some internal objects as "code" or "object shape" because of the object that refers to
// them, not by their own instance type - a BytecodeArray's constant pool, handler table and
// source positions, a Script's line ends, a Code object's deoptimization data, a Map's prototype
// validity cell, an EnumCache's keys. The tagger lists the objects one holder re-types; the
// census moves them to the rows the snapshot shows them in. Also the snapshot's self size of an
// object, which from V8 13.6 counts an external string's characters outside the heap.
#pragma once
#include <optional>
#include <unordered_map>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/names.h"
#include "mortem/v8/object_size.h"
#include "mortem/v8/walker.h"

namespace mortem::v8 {

// An external string's characters outside the V8 heap (its length times 1 or 2 bytes), else 0.
uint64_t ExternalCharacterBytes(const Layout& layout, const HeapObject& object);
// The object's self size as this line's heap snapshot gives it: its heap size, plus an external
// string's characters from V8 13.6 on (SnapshotFacts::external_string_payload).
uint64_t SnapshotSelfSize(const Layout& layout, const HeapObject& object);

struct TypeTag {
  Address object = 0;  // untagged
  NodeKind kind = NodeKind::kCode;
  bool operator<(const TypeTag& o) const { return object < o.object; }
};

// One thread's tags; its maps (the targets' maps, validated and decoded once); and the constant
// pool arrays it has expanded (with the depth left), so that arrays shared by many holders - or a
// hostile core's - are read once per depth: the work stays proportional to the heap.
struct TagSink {
  TagSink(const Memory& memory, const Layout& layout) : maps(memory, layout) {}
  std::vector<TypeTag> tags;
  MapCache maps;
  std::unordered_map<Address, int> expanded;
};

class TypeTagger {
 public:
  TypeTagger(const Memory& memory, const Layout& layout);
  // Appends the objects `holder` re-types. Targets are not checked to be object starts here.
  void Collect(const HeapObject& holder, TagSink& sink) const;

 private:
  void Tag(uint64_t tagged, NodeKind kind, TagSink& sink) const;
  void TagCode(const HeapObject& code, TagSink& sink) const;
  void TagDeoptimizationData(uint64_t tagged, TagSink& sink) const;
  void TagConstantPool(uint64_t tagged, int depth, TagSink& sink) const;
  void TagFeedback(const HeapObject& vector, TagSink& sink) const;
  // The instance type of a tagged object whose map is a valid map.
  std::optional<uint16_t> TypeOf(uint64_t tagged, TagSink& sink) const;
  std::optional<uint64_t> LengthOf(uint64_t tagged) const;
  uint64_t Element(uint64_t tagged_array, uint64_t index) const;
  bool IsFixedArrayLike(uint16_t type) const;

  const Memory& memory_;
  const Layout& layout_;
  SizeRules sizes_;
  bool object_shapes_;  // "object shape" exists from V8 11.3
};

}  // namespace mortem::v8

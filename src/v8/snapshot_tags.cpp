// The TagObject calls with a type, read at V8 10.2, 11.3 and 12.4 (Node 18.20.4, 20.19.2,
// 22.22.2 deps/v8/src/profiler/heap-snapshot-generator.cc) and the 13.x line: the Extract*
// functions for Script, Code, InstructionStream, AllocationSite, Array/RegExpBoilerplate-
// Description, BytecodeArray (RecursivelyTagConstantPool, depth 3), FeedbackVector, and from
// 11.3 Map, PrototypeInfo, EnumCache and TransitionArray, and ScopeInfo's context local names
// hash table. Not done: dictionaries in constant pools (their types are not exported).
#include "mortem/v8/snapshot_tags.h"

#include <algorithm>
#include <cstring>

#include "mortem/v8/object_view.h"
#include "mortem/v8/strings.h"
#include "mortem/v8/tagged.h"
#include "scope_info.h"

namespace mortem::v8 {
namespace {
constexpr uint64_t kMaxScannedElements = 1 << 16;  // constant pools, feedback slots
}

TypeTagger::TypeTagger(const Memory& memory, const Layout& layout)
    : memory_(memory),
      layout_(layout),
      sizes_(layout, memory),
      object_shapes_(layout.line->snapshot.object_shape_rows) {}

std::optional<uint16_t> TypeTagger::TypeOf(uint64_t tagged, TagSink& sink) const {
  if (!IsHeapObject(tagged)) return std::nullopt;
  auto map = ObjectView::At(memory_, Tagged(tagged)).Map();
  const MapInfo* info = map && map->IsStrong() ? sink.maps.Get(map->address()) : nullptr;
  if (!info) return std::nullopt;
  return info->instance_type;
}

std::optional<uint64_t> TypeTagger::LengthOf(uint64_t tagged) const {
  auto length = ObjectView::At(memory_, Tagged(tagged)).Smi(layout_.off.fixed_array_length);
  if (!length || *length < 0) return std::nullopt;
  return static_cast<uint64_t>(*length);
}

uint64_t TypeTagger::Element(uint64_t tagged_array, uint64_t index) const {
  auto element =
      ObjectView::At(memory_, Tagged(tagged_array)).Field(layout_.off.fixed_array_data + 8 * index);
  return element ? element->raw() : 0;
}

bool TypeTagger::IsFixedArrayLike(uint16_t type) const {
  const Types& t = layout_.types;
  return type == t.fixed_array || type == t.trusted_fixed_array || type == t.protected_fixed_array;
}

void TypeTagger::Tag(uint64_t tagged, NodeKind kind, TagSink& sink) const {
  if (IsHeapObject(tagged)) sink.tags.push_back({tagged - 1, kind});
}

void TypeTagger::Collect(const HeapObject& holder, TagSink& sink) const {
  const Offsets& o = layout_.off;
  const Types& t = layout_.types;
  const uint16_t type = holder.map->instance_type;
  auto field = [&](uint32_t offset) { return holder.Word(offset); };
  if (type == t.script) {
    Tag(field(o.script_line_ends), NodeKind::kCode, sink);
    Tag(field(o.script_shared_function_infos), NodeKind::kCode, sink);
    Tag(field(o.script_host_defined_options), NodeKind::kCode, sink);
  } else if (type == t.code) {
    TagCode(holder, sink);
  } else if (t.instruction_stream && type == *t.instruction_stream && o.istream_relocation_info) {
    Tag(field(o.istream_relocation_info), NodeKind::kCode, sink);
  } else if (type == t.allocation_site) {
    Tag(field(o.allocation_site_dependent_code), NodeKind::kCode, sink);
  } else if (type == t.array_boilerplate_description) {
    Tag(field(o.array_boilerplate_constant_elements), NodeKind::kCode, sink);
  } else if (type == t.regexp_boilerplate_description) {
    Tag(field(o.regexp_boilerplate_data), NodeKind::kCode, sink);
  } else if (type == t.bytecode_array) {
    TagConstantPool(field(o.bytecode_array_constant_pool), 3, sink);
    Tag(field(o.bytecode_array_handler_table), NodeKind::kCode, sink);
    Tag(field(o.bytecode_array_source_positions), NodeKind::kCode, sink);
  } else if (type == t.feedback_vector) {
    TagFeedback(holder, sink);
  } else if (type == t.scope_info) {
    // Scopes of kScopeInfoMaxInlinedLocalNamesSize (75) or more context locals keep their names
    // in a NameToIndexHashTable.
    auto decoded = DecodeScopeInfo(layout_, holder.body);
    if (decoded && !decoded->inlined_local_names)
      Tag(field(decoded->local_names * 8), NodeKind::kCode, sink);
  } else if (!object_shapes_) {
    return;
  } else if (type == t.map) {
    Tag(field(o.map_prototype_validity_cell), NodeKind::kObjectShape, sink);
  } else if (type == t.prototype_info) {
    Tag(field(o.prototype_info_users), NodeKind::kObjectShape, sink);
    Tag(field(o.prototype_info_enum_cache), NodeKind::kObjectShape, sink);
  } else if (type == t.enum_cache) {
    Tag(field(o.enum_cache_keys), NodeKind::kObjectShape, sink);
    Tag(field(o.enum_cache_indices), NodeKind::kObjectShape, sink);
  } else if (type == t.transition_array) {
    // TransitionArray::kPrototypeTransitionsIndex = 0, a strong WeakFixedArray when present.
    uint64_t length = holder.Word(o.fixed_array_length);
    uint64_t first = holder.Word(o.fixed_array_data);
    if (IsSmi(length) && SmiValue(length) > 0) Tag(first, NodeKind::kObjectShape, sink);
  }
}

// ExtractCodeReferences: the relocation info (10.2/11.3), the position table, and the
// deoptimization data with three of its elements. 11.3 on skips Code without an instruction
// stream (embedded builtins); 12.4 on tags only baseline and optimized code, the kinds whose
// deoptimization_data_or_interpreter_data holds an object.
void TypeTagger::TagCode(const HeapObject& code, TagSink& sink) const {
  const Offsets& o = layout_.off;
  auto field = [&](uint32_t offset) { return code.Word(offset); };
  if (o.code_instruction_stream && !IsHeapObject(field(o.code_instruction_stream))) return;
  uint64_t deopt = field(o.code_deopt_data);
  if (!o.code_relocation_info && !IsHeapObject(deopt)) return;
  if (o.code_relocation_info) Tag(field(o.code_relocation_info), NodeKind::kCode, sink);
  Tag(deopt, NodeKind::kCode, sink);
  TagDeoptimizationData(deopt, sink);
  Tag(field(o.code_position_table), NodeKind::kCode, sink);
}

void TypeTagger::TagDeoptimizationData(uint64_t tagged, TagSink& sink) const {
  auto type = TypeOf(tagged, sink);
  if (!type || !IsFixedArrayLike(*type)) return;  // baseline code: bytecode or interpreter data
  auto length = LengthOf(tagged);
  const Offsets& o = layout_.off;
  if (!length || *length <= o.deopt_inlining_index) return;
  Tag(Element(tagged, o.deopt_translation_index), NodeKind::kCode, sink);
  Tag(Element(tagged, o.deopt_literal_index), NodeKind::kCode, sink);
  Tag(Element(tagged, o.deopt_inlining_index), NodeKind::kCode, sink);
}

// RecursivelyTagConstantPool: FixedArrays (exactly) and TrustedFixedArrays, and the arrays in
// them, down to three levels. An array already expanded with as much depth left adds nothing.
void TypeTagger::TagConstantPool(uint64_t tagged, int depth, TagSink& sink) const {
  --depth;
  auto type = TypeOf(tagged, sink);
  const Types& t = layout_.types;
  if (!type || (*type != t.fixed_array && *type != t.trusted_fixed_array)) return;
  Tag(tagged, NodeKind::kCode, sink);
  if (depth <= 0) return;
  auto [seen, fresh] = sink.expanded.try_emplace(tagged, depth);
  if (!fresh) {
    if (seen->second >= depth) return;
    seen->second = depth;
  }
  auto length = LengthOf(tagged);
  if (!length) return;
  for (uint64_t i = 0; i < std::min(*length, kMaxScannedElements); ++i)
    TagConstantPool(Element(tagged, i), depth, sink);
}

// ExtractFeedbackVectorReferences: strong slots holding a WeakFixedArray or an exact FixedArray
// (polymorphic and megamorphic feedback).
void TypeTagger::TagFeedback(const HeapObject& vector, TagSink& sink) const {
  const SizeRule& rule = sizes_.RuleFor(layout_.types.feedback_vector);
  if (rule.kind != SizeKind::kArray) return;
  int32_t count = 0;
  if (rule.count_offset + 4u > vector.body.size()) return;
  std::memcpy(&count, vector.body.data() + rule.count_offset, 4);
  if (count <= 0) return;
  const Types& t = layout_.types;
  for (uint64_t i = 0; i < std::min<uint64_t>(count, kMaxScannedElements); ++i) {
    uint64_t slot = vector.Word(rule.header + 8 * i);
    if (!IsHeapObject(slot)) continue;
    auto type = TypeOf(slot, sink);
    if (type && (*type == t.weak_fixed_array || *type == t.fixed_array))
      Tag(slot, NodeKind::kCode, sink);
  }
}

uint64_t ExternalCharacterBytes(const Layout& layout, const HeapObject& o) {
  const uint16_t type = o.map->instance_type;
  if (!layout.IsString(type)) return 0;
  const StringShape shape = ShapeOf(layout, type);
  if (shape.representation != StringShape::Representation::kExternal) return 0;
  int32_t length = 0;
  if (layout.off.string_length + 4 > o.body.size()) return 0;
  std::memcpy(&length, o.body.data() + layout.off.string_length, 4);
  // No longer than V8 makes a string (String::kMaxLength, 2^29 - 24 on 64-bit): a length read
  // from a damaged core adds nothing.
  constexpr int32_t kMaxStringLength = (1 << 29) - 24;
  if (length <= 0 || length > kMaxStringLength) return 0;
  return static_cast<uint64_t>(length) * (shape.one_byte ? 1 : 2);
}

uint64_t SnapshotSelfSize(const Layout& layout, const HeapObject& o) {
  if (!layout.line->snapshot.external_string_payload) return o.size;
  return o.size + ExternalCharacterBytes(layout, o);
}

}  // namespace mortem::v8

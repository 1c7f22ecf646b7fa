// Object sizes after HeapObject::SizeFromMap (objects/objects.cc) and the SizeFor/AllocatedSize
// of each type, read in the Node v18.20.4 (V8 10.2), v20.19.2 (11.3) and v22.22.2 (12.4) trees
// (generated Torque offsets included); 13.6 (Node 24) from the 13.x line, verified by walking
// every page of real cores back to back. A wrong rule cannot pass silently: the walker then meets
// a non-object and reports the page.
#include "mortem/v8/object_size.h"

#include <cstring>

#include "mortem/core/bytes.h"
#include "mortem/v8/object_view.h"
#include "mortem/v8/tagged.h"
#include "scope_info.h"

namespace mortem::v8 {
namespace {

constexpr uint64_t Align8(uint64_t n) {
  return (n + 7) & ~uint64_t{7};
}
constexpr uint64_t kMaxCount = uint64_t{1} << 31;

template <typename T>
std::optional<T> Field(std::span<const std::byte> body, size_t offset) {
  return LoadAt<T>(body, offset);
}

std::optional<int64_t> Count(std::span<const std::byte> body, uint16_t offset, CountType type) {
  switch (type) {
    case CountType::kSmi: {
      auto w = Field<uint64_t>(body, offset);
      if (!w || (*w & 1) != 0) return std::nullopt;
      return static_cast<int64_t>(*w) >> 32;
    }
    case CountType::kInt32:
      if (auto v = Field<int32_t>(body, offset)) return *v;
      return std::nullopt;
    case CountType::kUint16:
      if (auto v = Field<uint16_t>(body, offset)) return *v;
      return std::nullopt;
    case CountType::kUint8:
      if (auto v = Field<uint8_t>(body, offset)) return *v;
      return std::nullopt;
  }
  return std::nullopt;
}

SizeRule Array(uint16_t header, uint16_t unit, uint16_t count_offset = 8,
               CountType type = CountType::kSmi) {
  return SizeRule{SizeKind::kArray, header, unit, count_offset, type, 0};
}
SizeRule Bounded(SizeRule rule, uint16_t at_most_count) {
  rule.at_most_count = at_most_count;
  return rule;
}
SizeRule Fixed(uint16_t size) {
  return SizeRule{SizeKind::kArray, size, 0, 8, CountType::kUint8, 0};
}
SizeRule Special(SizeKind kind, uint16_t header = 0, uint16_t unit = 0, uint16_t count_offset = 8) {
  return SizeRule{kind, header, unit, count_offset, CountType::kSmi, 0};
}

std::optional<uint16_t> Named(const Layout& l, const char* name) {
  for (const auto& [type, n] : l.type_names)
    if (n == name) return type;
  return std::nullopt;
}

}  // namespace

void SizeRules::Set(std::optional<uint16_t> type, SizeRule rule) {
  if (type) rules_[*type] = rule;
}

SizeRules::SizeRules(const Layout& l, const Memory& memory)
    : layout_(l), memory_(memory), rules_(1 << 16) {
  const Types& t = l.types;
  const SizeFacts& facts = l.line->sizes;
  for (uint32_t type = 0; type < l.strings.first_nonstring_type; ++type)
    if ((type & l.strings.representation_mask) == l.strings.seq)
      rules_[type] = Special(SizeKind::kSeqString);
  // FixedArray and its subtypes that share its shape (hash tables; before 12.4 also
  // ClosureFeedbackCellArray, ObjectBoilerplateDescription, ScriptContextTable, ...).
  for (uint32_t type = t.first_fixed_array; type <= t.last_fixed_array; ++type)
    rules_[type] = Array(16, 8);
  for (uint32_t type = t.first_context; type <= t.last_context; ++type) rules_[type] = Array(16, 8);
  // NativeContext: NATIVE_CONTEXT_SLOTS tagged slots, then the raw microtask_queue pointer.
  rules_[t.native_context] = SizeRule{SizeKind::kArray, 16, 8, 8, CountType::kSmi, 8};
  Set(t.fixed_double_array, Array(16, 8));
  Set(t.byte_array, Array(16, 1));
  Set(t.trusted_byte_array, Array(16, 1));
  Set(t.bytecode_array, Array(static_cast<uint16_t>(l.off.bytecode_array_header), 1));
  Set(t.free_space, Special(SizeKind::kFreeSpace, 0, facts.free_space_size_unit));
  Set(t.weak_fixed_array, Array(16, 8));
  Set(static_cast<uint16_t>(t.weak_fixed_array + 1), Array(16, 8));  // TRANSITION_ARRAY_TYPE
  Set(t.embedder_data_array, Array(16, 8));
  Set(t.closure_feedback_cell_array, Array(16, 8));
  Set(t.trusted_fixed_array, Array(16, 8));
  Set(t.protected_fixed_array, Array(16, 8));
  Set(Named(l, "TRUSTED_WEAK_FIXED_ARRAY_TYPE"), Array(16, 8));
  Set(Named(l, "PROTECTED_WEAK_FIXED_ARRAY_TYPE"), Array(16, 8));
  Set(t.external_pointer_array, Array(16, 8));
  Set(t.array_list, Array(24, 8));
  Set(Named(l, "SCRIPT_CONTEXT_TABLE_TYPE"), Array(32, 8));
  Set(Named(l, "REG_EXP_MATCH_INFO_TYPE"), Array(40, 8));
  // DoubleStringCache (14.6): an int32 capacity at +8, then (double key, string value) entries
  // [obs 26.12.1: 16 + 16 * capacity ends at the next object's map].
  Set(Named(l, "DOUBLE_STRING_CACHE_TYPE"), Array(16, 16, 8, CountType::kInt32));
  // A FixedArray subtype up to 11.3; its own layout (flags, backing store size) from 12.4.
  if (t.object_boilerplate_description && !l.IsFixedArrayShaped(*t.object_boilerplate_description))
    Set(t.object_boilerplate_description, Array(32, 8));
  Set(t.sloppy_arguments_elements, Array(32, 8));
  // DescriptorArray: number_of_all_descriptors u16 at +8, entries of (key, details, value) after
  // the exported header size (24, 32 from 14.6).
  const auto descriptors = static_cast<uint16_t>(l.off.descriptor_header);
  const uint16_t all = DescriptorArrayShape::kNumberOfAll;
  Set(t.descriptor_array, Array(descriptors, 24, all, CountType::kUint16));
  Set(t.strong_descriptor_array, Array(descriptors, 24, all, CountType::kUint16));
  Set(t.weak_array_list, Array(24, 8));
  Set(t.property_array, Special(SizeKind::kPropertyArray));
  Set(t.big_int, Special(SizeKind::kBigInt));
  Set(t.scope_info, Special(SizeKind::kScopeInfo));
  Set(t.feedback_metadata,
      Special(SizeKind::kFeedbackMetadata, 16, facts.feedback_metadata_extra_words));
  // FeedbackVector: length i32 at +8, then the line's header fields and the slots.
  Set(t.feedback_vector, Array(facts.feedback_vector_header, 8, 8, CountType::kInt32));
  // SmallOrdered*: buckets u8 after the prefix; header/unit carry (prefix bytes, entry words).
  Set(t.small_ordered_hash_set, Special(SizeKind::kSmallOrdered, 16, 1, 10));
  Set(t.small_ordered_hash_map, Special(SizeKind::kSmallOrdered, 16, 2, 10));
  Set(t.small_ordered_name_dictionary, Special(SizeKind::kSmallOrdered, 24, 3, 18));
  Set(t.swiss_name_dictionary, Special(SizeKind::kSwissDictionary));
  Set(t.preparse_data, Special(SizeKind::kPreparseData));
  // Code objects. 10.2: Code holds the instructions after a 128-byte header; size =
  // roundup64(128 + instruction_size i32@40 + metadata_size i32@44) (objects/code.h).
  // 11.3: InstructionStream {map, code} sized from its Code's instruction_size@56 and
  // metadata_size@60. 12.4 and 13.6: body_size u32@24 after a 32-byte header
  // (objects/instruction-stream.h); Code itself is fixed-size from 11.3 on.
  switch (facts.code_shape) {
    case CodeShape::kCodeWithInstructions:
      Set(t.code, Special(SizeKind::kCode102, 128, 0, 40));
      break;
    case CodeShape::kStreamSizedByCode:
      Set(t.instruction_stream, Special(SizeKind::kInstructionStream113, 16, 0, 8));
      break;
    case CodeShape::kStreamWithBodySize:
      Set(t.instruction_stream, Special(SizeKind::kInstructionStream, 32, 0, 24));
      break;
  }
  Set(t.coverage_info, Array(12, 16, 8, CountType::kInt32));
  // WasmNull is a bare map word without static roots (wasm-objects.h WasmNull::kSize).
  Set(Named(l, "WASM_NULL_TYPE"), Fixed(8));
  if (facts.hole_size) Set(t.hole, Fixed(facts.hole_size));
  // WasmTypeInfo: variable from 11.3, {header, supertypes[]} with supertypes_length a Smi (the
  // line's facts).
  if (facts.wasm_type_info_header)
    Set(Named(l, "WASM_TYPE_INFO_TYPE"),
        Array(facts.wasm_type_info_header, 8, facts.wasm_type_info_count_offset));
  // The wasm dispatch tables, which the metadata does not export (the line's facts place them).
  for (const auto& placed : l.line->types.wasm_dispatch_tables)
    if (auto type = PlacedType(l, placed))
      Set(type, Bounded(Array(placed.header, placed.unit, placed.count_offset, CountType::kInt32),
                        placed.length_offset));
  // Turboshaft set types (compiler/turboshaft/types.tq): Word32 {map, set_size u32 @8,
  // elements[set_size] u32 @12}; Word64 {set_size @8, elements_high[] u32, elements_low[] u32};
  // Float64 {special_values u32 @8, set_size u32 @12, elements[] float64 @16}.
  Set(Named(l, "TURBOSHAFT_WORD32_SET_TYPE_TYPE"), Array(12, 4, 8, CountType::kInt32));
  Set(Named(l, "TURBOSHAFT_WORD64_SET_TYPE_TYPE"), Array(12, 8, 8, CountType::kInt32));
  Set(Named(l, "TURBOSHAFT_FLOAT64_SET_TYPE_TYPE"), Array(16, 8, 12, CountType::kInt32));
}

// The type a PlacedArrayType names, where its neighbours stand as the line says.
std::optional<uint16_t> SizeRules::PlacedType(const Layout& l, const PlacedArrayType& placed) {
  if (!placed.after || !placed.before) return std::nullopt;
  auto before = Named(l, placed.after);
  auto after = Named(l, placed.before);
  if (!before || !after || *after != *before + placed.gap || l.type_names.count(*before + 1))
    return std::nullopt;
  return static_cast<uint16_t>(*before + 1);
}

bool SizeRules::IsDeadCodeStream(const MapInfo& map, std::span<const std::byte> body,
                                 Address at) const {
  const SizeRule& r = rules_[map.instance_type];
  if (at == 0 || map.instance_size != 0 || r.kind != SizeKind::kInstructionStream113) return false;
  auto code = Field<uint64_t>(body, r.count_offset);
  if (!code || !Tagged(*code).IsStrong()) return false;
  const ObjectView code_object = ObjectView::At(memory_, Tagged(*code));
  auto code_map = code_object.Map();
  auto back = code_object.Field(layout_.off.code_instruction_stream);
  if (!code_map || !back) return false;  // not in the core: unknown, not dead
  auto code_map_object = ObjectView::Of(memory_, *code_map);
  auto type = code_map_object ? code_map_object->Read<uint16_t>(layout_.off.map_instance_type)
                              : std::nullopt;
  return !type || *type != layout_.types.code || *back != Tagged::To(at);
}

std::optional<uint64_t> SizeRules::SizeOf(const MapInfo& map, std::span<const std::byte> body,
                                          Address at) const {
  if (map.instance_size != 0) return map.instance_size;
  const SizeRule& r = rules_[map.instance_type];
  if (at != 0 && IsDeadCodeStream(map, body, at)) return std::nullopt;
  switch (r.kind) {
    case SizeKind::kUnknown:
      return std::nullopt;
    case SizeKind::kArray: {
      auto n = Count(body, r.count_offset, r.count_type);
      if (!n || *n < 0 || static_cast<uint64_t>(*n) > kMaxCount) return std::nullopt;
      if (r.at_most_count) {
        auto length = Field<uint32_t>(body, r.at_most_count);
        if (!length || *length > static_cast<uint64_t>(*n)) return std::nullopt;
      }
      return Align8(r.header + uint64_t{r.unit} * static_cast<uint64_t>(*n)) + r.extra;
    }
    case SizeKind::kSeqString: {
      auto n = Field<int32_t>(body, layout_.off.string_length);
      if (!n || *n < 0) return std::nullopt;
      bool one_byte =
          (map.instance_type & layout_.strings.encoding_mask) == layout_.strings.one_byte;
      return one_byte ? Align8(layout_.off.seq_one_byte_chars + uint64_t(*n))
                      : Align8(layout_.off.seq_two_byte_chars + 2 * uint64_t(*n));
    }
    case SizeKind::kFreeSpace: {
      auto n = Count(body, 8, CountType::kSmi);
      if (!n || *n <= 0 || static_cast<uint64_t>(*n) > kMaxCount) return std::nullopt;
      const uint64_t size = static_cast<uint64_t>(*n) * r.unit;
      if (size < 8) return std::nullopt;
      return size;
    }
    case SizeKind::kPropertyArray: {
      auto n = Count(body, PropertyArrayShape::kLengthAndHash, CountType::kSmi);
      if (!n) return std::nullopt;
      return PropertyArrayShape::kValues + 8 * PropertyArrayShape::Length(*n);
    }
    case SizeKind::kBigInt: {
      auto bits = Field<uint32_t>(body, BigIntShape::kBitfield);
      if (!bits) return std::nullopt;
      return BigIntShape::kDigits + 8 * uint64_t{BigIntShape::Length(*bits)};
    }
    case SizeKind::kScopeInfo: {
      auto d = DecodeScopeInfo(layout_, body);
      if (!d) return std::nullopt;
      return d->size;
    }
    case SizeKind::kFeedbackMetadata: {
      // slot_count i32 at +8; 5-bit slot kinds, 6 per 32-bit word (feedback-vector.h).
      auto slots = Field<int32_t>(body, 8);
      if (!slots || *slots < 0) return std::nullopt;
      uint64_t words = (uint64_t(*slots) + 5) / 6;
      uint64_t size = 16 + 4 * words;
      if (r.unit != 0) {
        // 13.6: create_closure_slot_count u32 at +12, then a u16 parameter count per closure
        // slot after the kinds [obs: Node 24.11.1, sizes end at the next object's map].
        auto closures = Field<int32_t>(body, 12);
        if (!closures || *closures < 0) return std::nullopt;
        size += uint64_t{r.unit} * uint64_t(*closures);
      }
      return Align8(size);
    }
    case SizeKind::kSmallOrdered: {
      // capacity = 2 * buckets; data table + hash table (1 byte/bucket) + chain table.
      auto buckets = Field<uint8_t>(body, r.count_offset);
      if (!buckets) return std::nullopt;
      uint64_t capacity = 2 * uint64_t(*buckets);
      return Align8(r.header + capacity * 8 * r.unit + capacity / 2 + capacity);
    }
    case SizeKind::kSwissDictionary: {
      auto capacity = Field<int32_t>(body, 12);
      if (!capacity || *capacity < 0) return std::nullopt;
      return 24 + 18 * uint64_t(*capacity) + 16;
    }
    case SizeKind::kPreparseData: {
      auto data = Field<int32_t>(body, 8);
      auto children = Field<int32_t>(body, 12);
      if (!data || !children || *data < 0 || *children < 0) return std::nullopt;
      return Align8(16 + uint64_t(*data)) + 8 * uint64_t(*children);
    }
    case SizeKind::kInstructionStream: {
      auto body_size = Field<uint32_t>(body, r.count_offset);
      if (!body_size) return std::nullopt;
      return (r.header + uint64_t(*body_size) + 63) & ~uint64_t{63};
    }
    case SizeKind::kCode102: {
      auto instructions = Field<int32_t>(body, r.count_offset);
      auto metadata = Field<int32_t>(body, r.count_offset + 4);
      if (!instructions || !metadata || *instructions < 0 || *metadata < 0) return std::nullopt;
      return (r.header + uint64_t(*instructions) + uint64_t(*metadata) + 63) & ~uint64_t{63};
    }
    case SizeKind::kInstructionStream113: {
      auto code = Field<uint64_t>(body, r.count_offset);
      if (!code || !Tagged(*code).IsStrong()) return std::nullopt;
      auto instructions = memory_.ReadValue<int32_t>(*code - 1 + 56);
      auto metadata = memory_.ReadValue<int32_t>(*code - 1 + 60);
      if (!instructions || !metadata || *instructions < 0 || *metadata < 0) return std::nullopt;
      return (r.header + uint64_t(*instructions) + uint64_t(*metadata) + 63) & ~uint64_t{63};
    }
  }
  return std::nullopt;
}

}  // namespace mortem::v8

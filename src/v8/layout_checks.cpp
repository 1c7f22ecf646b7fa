#include "layout_checks.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "mortem/core/error.h"
#include "mortem/v8/maps.h"

namespace mortem::v8 {
namespace {

// Bounds no V8 line comes near: the largest fixed field offset of an object mortem decodes is
// about 100 bytes, of a string header 24, of a frame slot 48; Node's offsets are into C++
// objects of a few KiB.
constexpr int64_t kMaxFieldOffset = 512;
constexpr int64_t kMaxStringHeader = 64;
constexpr int64_t kMaxFrameOffset = 1024;
constexpr int64_t kMaxNodeOffset = int64_t{1} << 20;
constexpr int64_t kInstanceTypes = 1 << 16;  // InstanceType is a uint16_t

// The constants arrive as int32 and are kept as uint32: a negative one shows as itself.
int64_t Signed(uint32_t value) {
  return static_cast<int32_t>(value);
}

class RangeCheck {
 public:
  // low <= value <= high.
  void In(std::string_view name, int64_t value, int64_t low, int64_t high, std::string_view what) {
    if (value >= low && value <= high) return;
    Fail(name, value,
         "must be " + std::to_string(low) + ".." + std::to_string(high) + ": " + std::string(what));
  }
  // An offset of a tagged field: within [8, bound) and word-aligned.
  void TaggedField(std::string_view name, uint32_t offset, int64_t bound) {
    const int64_t v = Signed(offset);
    if (v >= 8 && v < bound && v % 8 == 0) return;
    Fail(
        name, v,
        "a tagged field after the map word: 8.." + std::to_string(bound - 8) + ", a multiple of 8");
  }
  // A bit number or shift into a field of `width` bits.
  void Shift(std::string_view name, uint32_t shift, int width) {
    In(name, Signed(shift), 0, width - 1, "a bit of a " + std::to_string(width) + "-bit field");
  }
  // A non-empty mask of a `width`-bit field with no bit below its shift.
  void Mask(std::string_view name, uint32_t mask, uint32_t shift, int width) {
    const uint64_t bits = mask, room = width == 32 ? 0xFFFFFFFFu : (uint64_t{1} << width) - 1;
    const bool below = shift < 32 && (bits & ((uint64_t{1} << shift) - 1)) != 0;
    if (bits != 0 && (bits & ~room) == 0 && !below) return;
    Fail(name, Signed(mask),
         "a non-empty mask of a " + std::to_string(width) + "-bit field, none of it below bit " +
             std::to_string(shift));
  }
  // A value of the bit field that mask and shift select.
  void FieldValue(std::string_view name, uint32_t value, uint32_t mask, uint32_t shift) {
    const int64_t largest = shift < 32 ? int64_t{mask >> shift} : 0;
    In(name, Signed(value), 0, largest, "a value of its bit field");
  }
  void Fail(std::string_view name, int64_t value, const std::string& why) {
    problems_.push_back(std::string(name) + " = " + std::to_string(value) + " (" + why + ")");
  }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// MapCache::Decode reads these from its copy of the Map's first bytes.
void CheckMap(RangeCheck& c, const Offsets& o) {
  constexpr int64_t last = MapCache::kDecodedBytes - 1;
  const std::string what =
      "a byte of the " + std::to_string(MapCache::kDecodedBytes) + " Map bytes mortem decodes";
  c.In("class_Map__instance_size_in_words", Signed(o.map_instance_size_in_words), 8, last, what);
  c.In("class_Map__inobject_properties_start_or_constructor_function_index",
       Signed(o.map_inobject_start_or_ctor_index), 8, last, what);
  c.In("class_Map__instance_type", Signed(o.map_instance_type), 8, last - 1, what);
  c.In("class_Map__bit_field", Signed(o.map_bit_field), 8, last, what);
  c.In("class_Map__bit_field2", Signed(o.map_bit_field2), 8, last, what);
  c.In("class_Map__bit_field3", Signed(o.map_bit_field3), 8, last - 3, what);
  c.TaggedField("class_Map__prototype", o.map_prototype, kMaxFieldOffset);
  c.TaggedField("class_Map__constructor_or_back_pointer", o.map_constructor_or_back_pointer,
                kMaxFieldOffset);
  c.TaggedField("class_Map__instance_descriptors", o.map_instance_descriptors, kMaxFieldOffset);
}

// The length is read from every string's header, which is as long as the shortest string.
void CheckStrings(RangeCheck& c, const Offsets& o) {
  const std::string header = "within the string header of " + std::to_string(kMaxStringHeader);
  c.In("class_SeqOneByteString__chars", Signed(o.seq_one_byte_chars), 8, kMaxStringHeader, header);
  c.In("class_SeqTwoByteString__chars", Signed(o.seq_two_byte_chars), 8, kMaxStringHeader, header);
  const int64_t chars = std::min(Signed(o.seq_one_byte_chars), Signed(o.seq_two_byte_chars));
  c.In("class_String__length", Signed(o.string_length), 8, std::max<int64_t>(chars - 4, 8),
       "a 4-byte field before the characters of a sequential string");
  c.TaggedField("class_ConsString__first", o.cons_first, kMaxStringHeader);
  c.TaggedField("class_ConsString__second", o.cons_second, kMaxStringHeader);
  c.TaggedField("class_SlicedString__parent", o.sliced_parent, kMaxStringHeader);
  c.TaggedField("class_SlicedString__offset", o.sliced_offset, kMaxStringHeader);
  c.TaggedField("class_ThinString__actual", o.thin_actual, kMaxStringHeader);
  c.TaggedField("class_ExternalString__resource", o.external_resource, kMaxStringHeader);
}

void CheckObjectFields(RangeCheck& c, const Offsets& o) {
  const std::pair<std::string_view, uint32_t> tagged[] = {
      {"class_FixedArrayBase__length", o.fixed_array_length},
      {"class_FixedArray__data", o.fixed_array_data},
      {"class_JSReceiver__raw_properties_or_hash", o.receiver_properties},
      {"class_JSObject__elements", o.object_elements},
      {"class_JSObject__internal_fields", o.object_internal_fields},
      {"class_JSFunction__shared", o.function_shared},
      {"class_JSFunction__context", o.function_context},
      {"class_SharedFunctionInfo__name_or_scope_info", o.sfi_name_or_scope_info},
      {"class_SharedFunctionInfo__script", o.sfi_script},
      {"class_DescriptorArray__header_size", o.descriptor_header},
      {"class_HeapNumber__value", o.heap_number_value},
      {"class_JSDate__value", o.date_value},
      {"class_JSRegExp__source", o.regexp_source},
      {"class_JSArrayBuffer__byte_length", o.array_buffer_byte_length},
      {"class_JSArrayBuffer__backing_store", o.array_buffer_backing_store},
      {"class_JSArrayBufferView__byte_offset", o.view_byte_offset},
      {"class_JSArrayBufferView__byte_length", o.view_byte_length},
      {"class_JSTypedArray__length", o.typed_array_length},
      {"class_Script__source", o.script_source},
      {"class_Script__name", o.script_name},
      {"class_Script__line_ends", o.script_line_ends},
      {"class_Symbol__name", o.symbol_description},
      {"native_context_embedder_data_offset", o.native_context_embedder_data},
  };
  for (const auto& [name, offset] : tagged) c.TaggedField(name, offset, kMaxFieldOffset);
  const std::string within = "within " + std::to_string(kMaxFieldOffset) + " bytes of the object";
  c.In("class_Oddball__kind", Signed(o.oddball_kind), 8, kMaxFieldOffset - 4, within);
  c.In("class_BytecodeArray__data", Signed(o.bytecode_array_header), 8, kMaxFieldOffset, within);
}

// Shifts and masks of Map::bit_field2 (8 bits), Map::bit_field3 and PropertyDetails (32 bits).
void CheckBitFields(RangeCheck& c, const Offsets& o) {
  c.Shift("bit_field3_number_of_own_descriptors_shift", o.bit_field3_descriptors_shift, 32);
  c.Mask("bit_field3_number_of_own_descriptors_mask", o.bit_field3_descriptors_mask,
         o.bit_field3_descriptors_shift, 32);
  c.Shift("bit_field3_is_dictionary_map_shift", o.bit_field3_dictionary_map_shift, 32);
  c.Shift("bit_field2_elements_kind_shift", o.bit_field2_elements_kind_shift, 8);
  c.Mask("bit_field2_elements_kind_mask", o.bit_field2_elements_kind_mask,
         o.bit_field2_elements_kind_shift, 8);
  c.Shift("prop_index_shift", o.prop_index_shift, 32);
  c.Mask("prop_index_mask", o.prop_index_mask, o.prop_index_shift, 32);
  c.Shift("prop_location_shift", o.prop_location_shift, 32);
  c.Mask("prop_location_mask", o.prop_location_mask, o.prop_location_shift, 32);
  c.Shift("prop_representation_shift", o.prop_representation_shift, 32);
  c.Mask("prop_representation_mask", o.prop_representation_mask, o.prop_representation_shift, 32);
  c.Mask("prop_kind_mask", o.prop_kind_mask, 0, 32);
}

// The values decoders compare with what those bit fields hold.
void CheckFieldValues(RangeCheck& c, const Offsets& o) {
  const uint32_t kind_mask = o.bit_field2_elements_kind_mask,
                 kind_shift = o.bit_field2_elements_kind_shift;
  c.FieldValue("elements_dictionary_elements", o.elements_dictionary_kind, kind_mask, kind_shift);
  c.FieldValue("elements_fast_elements", o.elements_fast_kind, kind_mask, kind_shift);
  c.FieldValue("elements_fast_holey_elements", o.elements_fast_holey_kind, kind_mask, kind_shift);
  c.FieldValue("prop_location_Field", o.prop_location_field, o.prop_location_mask,
               o.prop_location_shift);
  c.FieldValue("prop_representation_double", o.prop_representation_double,
               o.prop_representation_mask, o.prop_representation_shift);
  c.FieldValue("prop_kind_Accessor", o.prop_kind_accessor, o.prop_kind_mask, 0);
}

// Bit numbers of the version facts, checked alike.
void CheckFactBits(RangeCheck& c, const Offsets& o) {
  c.Shift("bit_field2 new_target_is_base bit", o.bit_field2_new_target_is_base_bit, 8);
  c.Shift("bit_field3 is_prototype_map bit", o.bit_field3_is_prototype_map_bit, 32);
  c.Shift("JSArrayBuffer external bit", o.array_buffer_external_bit, 32);
  c.Shift("JSArrayBuffer detached bit", o.array_buffer_detached_bit, 32);
  c.Shift("JSArrayBuffer shared bit", o.array_buffer_shared_bit, 32);
  c.Shift("JSArrayBuffer resizable bit", o.array_buffer_resizable_bit, 32);
  c.Shift("CallSiteInfo position computed bit", o.call_site_position_computed_bit, 32);
  c.Shift("SourcePosition external bit", o.source_position_external_bit, 64);
  c.In("SourcePosition script offset bits",
       Signed(o.source_position_offset_shift) + Signed(o.source_position_offset_bits), 1, 63,
       "shift plus width within a 63-bit value");
}

// Descriptor entries, dictionary entries and context slots, in words.
void CheckSlots(RangeCheck& c, const Offsets& o) {
  c.In("prop_desc_size", Signed(o.descriptor_size), 1, 16, "words per descriptor");
  const int64_t last = Signed(o.descriptor_size) - 1;
  c.In("prop_desc_key", Signed(o.descriptor_key), 0, last, "a word of a descriptor");
  c.In("prop_desc_details", Signed(o.descriptor_details), 0, last, "a word of a descriptor");
  c.In("prop_desc_value", Signed(o.descriptor_value), 0, last, "a word of a descriptor");
  c.In("namedictionary_prefix_start_index", Signed(o.name_dictionary_prefix_start), 0, 16,
       "words before the prefix");
  c.In("namedictionaryshape_prefix_size", Signed(o.name_dictionary_prefix_size), 0, 16,
       "words of the prefix");
  c.In("namedictionaryshape_entry_size", Signed(o.name_dictionary_entry_size), 3, 16,
       "key, value and details words");
  c.In("context_min_slots", Signed(o.context_min_slots), 1, 64, "slots of every context");
  const int64_t slot = Signed(o.context_min_slots) - 1;
  c.In("context_idx_scope_info", Signed(o.context_scope_info_index), 0, slot, "a fixed slot");
  c.In("context_idx_prev", Signed(o.context_previous_index), 0, slot, "a fixed slot");
  c.In("scopeinfo_idx_first_vars", Signed(o.scopeinfo_first_vars), 0, 64, "a header word");
  c.In("scopeinfo_idx_ncontextlocals", Signed(o.scopeinfo_ncontextlocals), 0, 64, "a header word");
}

void CheckFrameSlot(RangeCheck& c, std::string_view name, int32_t offset) {
  if (offset % 8 != 0)
    c.Fail(name, offset, "a frame slot: a multiple of 8");
  else
    c.In(name, offset, -kMaxFrameOffset, kMaxFrameOffset, "a frame slot near the frame pointer");
}

void CheckFrames(RangeCheck& c, const Offsets& o) {
  CheckFrameSlot(c, "off_fp_context", o.fp_context);
  CheckFrameSlot(c, "off_fp_function", o.fp_function);
  CheckFrameSlot(c, "off_fp_bytecode_array", o.fp_bytecode_array);
  CheckFrameSlot(c, "off_fp_bytecode_offset", o.fp_bytecode_offset);
  CheckFrameSlot(c, "off_fp_args", o.fp_args);
}

// Every exported instance type, and the string tags against the string type range.
void CheckTypes(RangeCheck& c, const Layout& l) {
  for (const auto& [name, value] : l.constants)
    if (name.starts_with("type_") || name.ends_with("Type"))
      c.In(name, value, 0, kInstanceTypes - 1, "an instance type (16 bits)");
  const StringTags& s = l.strings;
  const int64_t first = Signed(s.first_nonstring_type);
  const Types& t = l.types;
  const int64_t lowest_other =
      std::min({t.map, t.symbol, t.heap_number, t.oddball, t.fixed_array, t.js_object});
  c.In("FirstNonstringType", first, 1, lowest_other,
       "above every string type, at most the first non-string type (" +
           std::to_string(lowest_other) + ")");
  c.In("StringRepresentationMask", Signed(s.representation_mask), 1, first - 1,
       "bits of the string types");
  c.In("StringEncodingMask", Signed(s.encoding_mask), 1, first - 1, "bits of the string types");
  auto tag = [&](std::string_view name, uint32_t value, uint32_t mask) {
    if ((value & ~mask) != 0) c.Fail(name, Signed(value), "bits outside its mask");
  };
  for (auto [name, value] : {std::pair<std::string_view, uint32_t>{"SeqStringTag", s.seq},
                             {"ConsStringTag", s.cons},
                             {"ExternalStringTag", s.external},
                             {"SlicedStringTag", s.sliced},
                             {"ThinStringTag", s.thin}})
    tag(name, value, s.representation_mask);
  tag("OneByteStringTag", s.one_byte, s.encoding_mask);
  tag("TwoByteStringTag", s.two_byte, s.encoding_mask);
  // The internalized string types V8 exports have the not-internalized bit clear; the other
  // sequential string types have it set.
  for (const auto& [name, value] : l.constants)
    if (name.starts_with("type_InternalizedString__") && (value & s.is_not_internalized_mask))
      c.Fail(name, value, "an internalized string type with kIsNotInternalizedMask set");
  if (first >= 1 && first < kInstanceTypes &&
      ((s.is_not_string_mask & (s.first_nonstring_type - 1)) != 0 ||
       (s.is_not_string_mask & s.first_nonstring_type) == 0))
    c.Fail("IsNotStringMask", Signed(s.is_not_string_mask),
           "must clear every string type and set FirstNonstringType");
}

void CheckNodeOffsets(RangeCheck& c, const NodeOffsets& n) {
  auto offset = [&](std::string_view name, const std::optional<uint64_t>& value, int64_t bound) {
    if (value && *value >= static_cast<uint64_t>(bound))
      c.Fail(name, static_cast<int64_t>(*value), "below " + std::to_string(bound));
  };
  offset("nodedbg Environment handle_wrap_queue_", n.environment_handle_wrap_queue, kMaxNodeOffset);
  offset("nodedbg Environment req_wrap_queue_", n.environment_req_wrap_queue, kMaxNodeOffset);
  offset("nodedbg HandleWrapQueue head_", n.handle_wrap_queue_head, kMaxNodeOffset);
  offset("nodedbg ReqWrapQueue head_", n.req_wrap_queue_head, kMaxNodeOffset);
  offset("nodedbg ListNode next_", n.list_node_next, kMaxNodeOffset);
  offset("nodedbg HandleWrap handle_wrap_queue_", n.handle_wrap_queue_node, kMaxNodeOffset);
  offset("nodedbg ReqWrap req_wrap_queue_", n.req_wrap_queue_node, kMaxNodeOffset);
  offset("nodedbg BaseObject persistent_handle_", n.base_object_persistent, kMaxNodeOffset);
  offset("nodedbg ContextEmbedderIndex::kEnvironment", n.environment_index, 1024);
}

}  // namespace

void CheckLayoutRanges(const Layout& layout) {
  RangeCheck c;
  CheckMap(c, layout.off);
  CheckStrings(c, layout.off);
  CheckObjectFields(c, layout.off);
  CheckBitFields(c, layout.off);
  CheckFieldValues(c, layout.off);
  CheckFactBits(c, layout.off);
  CheckSlots(c, layout.off);
  CheckFrames(c, layout.off);
  CheckTypes(c, layout);
  CheckNodeOffsets(c, layout.node);
  if (c.problems().empty()) return;
  std::string message = "V8 " + layout.v8.ToString() + ": layout constants out of range:";
  for (size_t i = 0; i < c.problems().size(); ++i) message += (i ? "; " : " ") + c.problems()[i];
  throw Error(message);
}

}  // namespace mortem::v8

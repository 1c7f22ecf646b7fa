// Applies the facts of the target's V8 line (line_facts.cpp, one row per line) and the facts
// shared by every line to the layout. Sources: nodejs/node deps/v8 at each line's tag, as named
// per block; [obs] marks what was checked on the official binaries (docs/v8-lines.md).
#include "version_facts.h"

namespace mortem::v8 {
namespace {

// Smaller per-type facts, the same in 10.2-13.6: OrderedHashTable's prefix {number_of_elements,
// number_of_deleted_elements, number_of_buckets} and entry sizes 3 (map: key, value, chain) and
// 2 (set: key, chain) (objects/ordered-hash-table.h); PropertyCell {map, name, ...}
// (objects/property-cell.tq); SourcePosition bit 0 is_external, bits 1-30 the script offset
// plus one (codegen/source-position.h).
void ApplySmallTypeFacts(Offsets& o) {
  o.ordered_table_prefix_words = 3;
  o.ordered_map_entry_words = 3;
  o.ordered_set_entry_words = 2;
  o.property_cell_name = 8;
  o.source_position_external_bit = 0;
  o.source_position_offset_shift = 1;
  o.source_position_offset_bits = 30;
}

// Fields the metadata does not export and that are the same on every supported line.
void ApplyCommonFieldFacts(Offsets& o) {
  // JSArray::length and JSCollection::table follow the JSObject header (map, properties,
  // elements) in every version (objects/js-array.tq, js-collection.tq).
  o.js_array_length = 24;
  o.collection_table = 24;
  // JSArrayBuffer: byte_length, max_byte_length, backing_store, extension, bit_field follow each
  // other in every version (js-array-buffer.tq); flag bits is_external 0, is_detachable 1,
  // was_detached 2, is_asm_js_memory 3, is_shared 4, is_resizable(_by_js) 5 (JSArrayBufferFlags,
  // the same order in 10.2 to 14.6).
  o.array_buffer_max_byte_length = o.array_buffer_byte_length + 8;
  o.array_buffer_extension = o.array_buffer_backing_store + 8;
  o.array_buffer_bit_field = o.array_buffer_backing_store + 16;
  o.array_buffer_external_bit = 0;
  o.array_buffer_detached_bit = 2;
  o.array_buffer_shared_bit = 4;
  o.array_buffer_resizable_bit = 5;
  // Byte arrays keep their bytes at +16 after the Smi length at +8 (ByteArray, TrustedByteArray).
  o.byte_array_data = 16;
  // JS frames (execution/frame-constants.h, the same in 10.2-14.6): the argument count including
  // the receiver at fp-24 (kArgCOffset), the receiver at fp+16, the arguments above it.
  o.fp_argc = -24;
  // CallSiteInfo {..., code_offset_or_source_position +32, flags +40} (call-site-info.tq);
  // ErrorStackData extends Struct: call_site_infos_or_formatted_stack first (debug-objects.tq).
  o.call_site_offset_or_position = 32;
  o.call_site_flags = 40;
  o.error_stack_data_call_sites = 8;
  // EmbedderDataArray: map, Smi length, then 8-byte slots (no pointer compression or sandbox in
  // Node's builds; objects/embedder-data-array.h, embedder-data-slot.h).
  o.embedder_data_array_header = 16;
  o.embedder_data_slot_size = 8;
  // WasmMemoryObject extends JSObject: array_buffer is its first field (wasm-objects.tq).
  o.wasm_memory_array_buffer = 24;
  // Symbol: map, raw_hash_field u32, flags u32 (the private bits are a line fact), description
  // (objects/name.tq).
  o.symbol_flags = 12;
  // ExternalString: resource, then the cached resource data pointer (objects/string.h).
  o.external_resource_data = 24;
  // Map bit_field2 bit 0 new_target_is_base; bit_field3: enum length (10 bits), own descriptors
  // (10 bits), then is_prototype_map (objects/map.h MAP_BIT_FIELD2/3_FIELDS; the dictionary-map
  // bit right after it is exported as bit_field3_is_dictionary_map_shift).
  o.bit_field2_new_target_is_base_bit = 0;
  o.bit_field3_is_prototype_map_bit = o.bit_field3_dictionary_map_shift - 1;
  // Script (objects/script.tq): shared_function_infos +88 on every line.
  o.script_shared_function_infos = 88;
  // ... type (Smi, Script::Type: kNative 0, kExtension 1, kNormal 2, kWasm 3, kInspector 4;
  // exported as +48 on 18 and 20) and id (Smi) +64, between line_ends (+56) and
  // eval_from_shared_or_wrapped_arguments (+72), both exported, on every line.
  o.script_type = 48;
  o.script_normal_type = 2;
  o.script_id = 64;
  // Structs (objects/allocation-site.tq, literal-objects.tq, regexp.tq's
  // RegExpBoilerplateDescription {data, source, flags}, prototype-info.tq {module_namespace,
  // prototype_users, prototype_chain_enum_cache, ...}, descriptor-array.tq EnumCache {keys,
  // indices}); AllocationSite::dependent_code is also v8dbg (+24 on 18-24).
  o.allocation_site_dependent_code = 24;
  o.array_boilerplate_constant_elements = 16;
  o.regexp_boilerplate_data = 8;
  o.prototype_info_users = 16;
  o.prototype_info_enum_cache = 24;
  o.enum_cache_keys = 8;
  o.enum_cache_indices = 16;
  o.deopt_translation_index = 0;
  // Map (objects/map.tq): prototype +24, constructor +32, descriptors +40, dependent_code +48,
  // prototype_validity_cell +56 (v8dbg on Node 18), transitions_or_prototype_info +64 (v8dbg).
  o.map_prototype_validity_cell = 56;
}

// The fields of the line's row.
void ApplyLineFieldFacts(const FieldFacts& f, Offsets& o) {
  o.view_buffer = f.view_buffer;
  o.bytecode_array_source_positions = f.bytecode_array_source_positions;
  o.bytecode_array_constant_pool = f.bytecode_array_constant_pool;
  o.bytecode_array_handler_table = f.bytecode_array_handler_table;
  o.call_site_function = f.call_site_function;
  o.call_site_code = f.call_site_code;
  o.call_site_position_computed_bit = f.call_site_position_computed_bit;
  o.script_host_defined_options = f.script_host_defined_options;
  o.code_relocation_info = f.code_relocation_info;
  o.code_deopt_data = f.code_deopt_data;
  o.code_position_table = f.code_position_table;
  o.code_instruction_stream = f.code_instruction_stream;
  o.istream_relocation_info = f.istream_relocation_info;
  o.deopt_literal_index = f.deopt_literal_index;
  o.deopt_inlining_index = f.deopt_inlining_index;
  o.symbol_private_mask = f.symbol_private_mask;
  o.source_position_flagged_code = f.source_position_flagged_code;
  o.flat_call_site_words = f.flat_call_sites.entry_words;
  o.flat_call_site_code = f.flat_call_sites.code;
  o.flat_call_site_function = f.flat_call_sites.function;
  o.flat_call_site_offset = f.flat_call_sites.offset;
  o.flat_call_site_flags = f.flat_call_sites.flags;
}

// Instance types that are not exported, derived from their neighbours.
void DeriveTypes(const TypeFacts& facts, Types& t) {
  // TRANSITION_ARRAY_TYPE follows WEAK_FIXED_ARRAY_TYPE (not exported; alphabetical Torque order
  // of the WeakFixedArray subtypes, the same in 10.2-14.6).
  t.transition_array = t.weak_fixed_array + 1;
  if (facts.code_arrays_below_byte_array) {
    if (!t.closure_feedback_cell_array) t.closure_feedback_cell_array = t.byte_array - 3;
    if (!t.object_boilerplate_description) t.object_boilerplate_description = t.byte_array - 2;
  }
  if (facts.free_space_after_feedback_vector && t.free_space == 0) {
    t.free_space = t.feedback_vector + facts.free_space_after_feedback_vector;
    if (!t.hole) t.hole = t.free_space + 1;
  }
  // LoadHandler and StoreHandler (DataHandler's subclasses, alphabetical Torque order) follow the
  // last Microtask type, PROMISE_RESOLVE_THENABLE_JOB_TASK_TYPE; not exported on any line [obs:
  // 136, then a gap of two before the next exported type on 18, 20, 22, 24 and 26; on 26.12.1's
  // express core type 137 counts the snapshot's "system / LoadHandler" nodes, 797 of 25,528
  // bytes, to within one].
  if (t.last_microtask && !t.load_handler) t.load_handler = *t.last_microtask + 1;
  if (t.last_microtask && !t.store_handler) t.store_handler = *t.last_microtask + 2;
  // FILLER_TYPE = FREE_SPACE_TYPE - 1 [obs: root 1's map on all five lines].
  t.filler = t.free_space - 1;
  // NativeContext is the 8th of the 10 context types (alphabetical Torque order), i.e.
  // LastContextType - 2 [obs 18, 22, 24, 26].
  t.native_context = t.last_context - 2;
  // BigInt (BIG_INT_BASE_TYPE) sits between SYMBOL_TYPE (128) and HEAP_NUMBER_TYPE (130).
  t.big_int = t.symbol + 1;
  // FeedbackMetadata sits between EmbedderDataArray and FeedbackVector (alphabetical).
  t.feedback_metadata = t.feedback_vector - 1;
  // FixedArray-shaped range: FIXED_ARRAY_TYPE up to the type before BYTE_ARRAY_TYPE.
  t.first_fixed_array = t.fixed_array;
  t.last_fixed_array = t.byte_array - 1;
  t.first_weak_fixed_array = t.weak_fixed_array;
  t.last_weak_fixed_array = t.weak_fixed_array + 1;  // + TransitionArray
  // JS function subtypes (class constructors etc.): exported from 12.4; before that 17 types
  // starting at JS_FUNCTION_TYPE [obs: class constructor 2080 on 18].
  if (t.first_js_function == 0) {
    t.first_js_function = t.js_function;
    t.last_js_function = t.js_function + 16;
  }
}

}  // namespace

std::vector<std::string> ApplyVersionFacts(Layout& layout) {
  const LineFacts* line = FindLineFacts(layout.v8.major, layout.v8.minor);
  if (!line)
    return {"version facts for V8 " + std::to_string(layout.v8.major) + "." +
            std::to_string(layout.v8.minor) + " (supported: " + SupportedLines() + ")"};
  layout.line = line;
  layout.page = line->page;
  layout.spaces = line->spaces;
  layout.isolate = line->isolate;
  layout.scope_info = line->scope_info;
  ApplyCommonFieldFacts(layout.off);
  ApplyLineFieldFacts(line->fields, layout.off);
  ApplySmallTypeFacts(layout.off);
  DeriveTypes(line->types, layout.types);
  if (layout.types.free_space == 0) return {"type_*__FREE_SPACE_TYPE"};
  return {};
}

std::string DerivedTypeName(const Layout& layout, uint16_t type) {
  const Types& t = layout.types;
  if (type == t.filler) return "FILLER_TYPE";
  if (type == t.native_context) return "NATIVE_CONTEXT_TYPE";
  if (type == t.big_int) return "BIGINT_TYPE";
  if (type == t.feedback_metadata) return "FEEDBACK_METADATA_TYPE";
  if (type == t.closure_feedback_cell_array) return "CLOSURE_FEEDBACK_CELL_ARRAY_TYPE";
  if (type == t.object_boilerplate_description) return "OBJECT_BOILERPLATE_DESCRIPTION_TYPE";
  if (layout.IsContext(type)) return "CONTEXT_TYPE(" + std::to_string(type) + ")";
  if (layout.IsFixedArrayShaped(type)) return "FIXED_ARRAY_SUBTYPE(" + std::to_string(type) + ")";
  if (layout.IsJSFunction(type)) return "JS_FUNCTION_SUBTYPE(" + std::to_string(type) + ")";
  return "type " + std::to_string(type);
}

}  // namespace mortem::v8

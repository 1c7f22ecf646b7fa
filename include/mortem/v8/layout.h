// Purpose: all V8 and Node layout knowledge for one target, in one table. Loaded once from the
// binary's v8dbg_* constants (read through the target's memory: the executable's data), the
// nodedbg_* values the process set at start-up (read from the core), and the facts the metadata
// lacks: one row per V8 line (line_facts.h), applied by src/v8/version_facts.cpp. Loading validates
// everything and reports every missing constant in one error.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/core/symbols.h"
#include "mortem/v8/line_facts.h"

namespace mortem::v8 {

struct Version {
  int major = 0, minor = 0, build = 0, patch = 0;
  std::string ToString() const;
};

struct StringTags {
  uint32_t is_not_string_mask = 0, representation_mask = 0, encoding_mask = 0;
  uint32_t seq = 0, cons = 0, external = 0, sliced = 0, thin = 0;
  uint32_t one_byte = 0, two_byte = 0;
  uint32_t first_nonstring_type = 0;
  // objects/instance-type.h kIsNotInternalizedMask: bit 5, set in the types of strings that are
  // not in the string table, on every line from 18 to 26 (no v8dbg symbol carries it).
  uint32_t is_not_internalized_mask = 1u << 5;
};

struct Offsets {
  // Map
  uint32_t map_instance_size_in_words, map_inobject_start_or_ctor_index, map_instance_type,
      map_bit_field, map_bit_field2, map_bit_field3, map_prototype, map_constructor_or_back_pointer,
      map_instance_descriptors;
  // FixedArray and friends
  uint32_t fixed_array_length, fixed_array_data;
  // Strings
  uint32_t string_length, seq_one_byte_chars, seq_two_byte_chars, cons_first, cons_second,
      sliced_parent, sliced_offset, thin_actual, external_resource;
  // Objects and functions
  uint32_t receiver_properties, object_elements, object_internal_fields;
  uint32_t function_shared, function_context;
  // JSFunction fields the snapshot names (feedback_cell, code, prototype_or_initial_map), where
  // the line exports them.
  std::optional<uint32_t> function_feedback_cell, function_code, function_prototype_or_initial_map;
  uint32_t sfi_name_or_scope_info, sfi_script;
  // UncompiledData::start_position (int32): where a not yet compiled function's source starts.
  std::optional<uint32_t> uncompiled_start_position;
  uint32_t oddball_kind;
  uint32_t bytecode_array_header;
  // Bit fields
  uint32_t bit_field3_descriptors_mask, bit_field3_descriptors_shift,
      bit_field3_dictionary_map_shift, bit_field2_elements_kind_mask,
      bit_field2_elements_kind_shift;
  // Descriptors
  uint32_t descriptor_header, descriptor_size, descriptor_key, descriptor_details, descriptor_value;
  uint32_t prop_index_mask, prop_index_shift, prop_location_mask, prop_location_shift,
      prop_location_field, prop_representation_mask, prop_representation_shift,
      prop_representation_double, prop_kind_mask, prop_kind_accessor;
  // Dictionaries: entries start at prefix_start + prefix_size, entry_size words each
  uint32_t name_dictionary_prefix_start, name_dictionary_prefix_size, name_dictionary_entry_size;
  uint32_t elements_dictionary_kind, elements_fast_kind, elements_fast_holey_kind;
  // Fields of objects that inspect decodes
  uint32_t heap_number_value, date_value, regexp_source, array_buffer_byte_length,
      array_buffer_backing_store, view_byte_offset, view_byte_length, typed_array_length,
      script_source, script_name, script_line_ends, symbol_description;
  // Not in the metadata (version facts): JSArray::length, JSCollection::table,
  // JSArrayBufferView::buffer.
  uint32_t js_array_length, collection_table, view_buffer;
  // JSArrayBuffer fields after the exported byte_length/backing_store, and its flag bits
  // (js-array-buffer.tq JSArrayBufferFlags); WasmMemoryObject::array_buffer.
  uint32_t array_buffer_max_byte_length, array_buffer_extension, array_buffer_bit_field;
  uint32_t array_buffer_external_bit, array_buffer_detached_bit, array_buffer_shared_bit,
      array_buffer_resizable_bit;
  uint32_t wasm_memory_array_buffer;
  // Symbol flags (u32; bit 0 is_private), ExternalString's cached data pointer, and the Map bits
  // GetConstructorName reads (new_target_is_base in bit_field2, is_prototype_map in bit_field3).
  uint32_t symbol_flags, external_resource_data, symbol_private_mask;
  uint32_t bit_field2_new_target_is_base_bit, bit_field3_is_prototype_map_bit;
  // Bytecode source positions (version facts) and JS frame slots (v8dbg_off_fp_*, version facts).
  uint32_t bytecode_array_source_positions, byte_array_data;
  // CallSiteInfo fields and CallSiteInfoFlags; ErrorStackData's first field; EmbedderDataArray
  // (header, slot size) where Node keeps the Environment (version facts).
  uint32_t call_site_function, call_site_code, call_site_offset_or_position, call_site_flags,
      call_site_position_computed_bit, error_stack_data_call_sites;
  uint32_t embedder_data_array_header, embedder_data_slot_size;
  int32_t fp_context, fp_function, fp_argc, fp_bytecode_array, fp_bytecode_offset, fp_args;
  // Scope info
  uint32_t scopeinfo_first_vars, scopeinfo_ncontextlocals;
  // Contexts
  uint32_t context_min_slots, context_scope_info_index, context_previous_index;
  uint32_t native_context_embedder_data;
  // Fields whose targets V8's heap snapshot re-types (TagObject, version facts). 0 where the
  // version has no such field.
  uint32_t script_shared_function_infos, script_host_defined_options, script_id, script_type,
      script_normal_type;
  uint32_t code_relocation_info, code_deopt_data, code_position_table, code_instruction_stream;
  uint32_t istream_relocation_info;
  uint32_t deopt_translation_index, deopt_literal_index, deopt_inlining_index;
  uint32_t allocation_site_dependent_code, array_boilerplate_constant_elements,
      regexp_boilerplate_data;
  uint32_t bytecode_array_constant_pool, bytecode_array_handler_table;
  uint32_t map_prototype_validity_cell, prototype_info_users, prototype_info_enum_cache;
  uint32_t enum_cache_keys, enum_cache_indices;
  // OrderedHashMap/Set (version facts): a prefix of words {elements, deleted, buckets} after the
  // FixedArray header, the buckets, then entries of (key, [value], chain).
  uint32_t ordered_table_prefix_words, ordered_map_entry_words, ordered_set_entry_words;
  // PropertyCell::name; SourcePosition's is_external bit and script offset (+1) bit field.
  uint32_t property_cell_name;
  uint32_t source_position_external_bit, source_position_offset_shift, source_position_offset_bits;
  bool source_position_flagged_code;
  uint32_t flat_call_site_words, flat_call_site_code, flat_call_site_function,
      flat_call_site_offset, flat_call_site_flags;
};

// Instance-type numbers the walker and namer need. Exported ones come from v8dbg_type_*;
// the rest are derived (see version_facts.cpp).
struct Types {
  uint16_t map, fixed_array, fixed_double_array, byte_array, bytecode_array, free_space,
      heap_number, oddball, symbol, js_object, js_api_object, js_special_api_object, js_function,
      js_array, js_array_buffer, js_typed_array, js_data_view, js_regexp, js_date, js_error,
      js_global_object, js_global_proxy, js_bound_function, js_map, js_set, js_promise, js_proxy,
      shared_function_info, script, scope_info, descriptor_array, strong_descriptor_array,
      weak_fixed_array, weak_array_list, property_array, feedback_vector, feedback_metadata,
      preparse_data, big_int, code, filler, first_context, last_context, native_context,
      first_js_receiver, first_js_function, last_js_function;
  std::optional<uint16_t> instruction_stream, trusted_byte_array, trusted_fixed_array, hole,
      swiss_name_dictionary, small_ordered_hash_map, small_ordered_hash_set,
      small_ordered_name_dictionary, embedder_data_array, sloppy_arguments_elements, coverage_info,
      object_boilerplate_description, closure_feedback_cell_array, array_list,
      external_pointer_array, protected_fixed_array, uncompiled_data_first, uncompiled_data_last,
      js_weak_map, js_weak_set, js_weak_ref, js_date_time_format, js_rab_gsab_data_view,
      wasm_memory_object, call_site_info, error_stack_data, code_wrapper, bytecode_wrapper,
      last_microtask, load_handler, store_handler;
  uint16_t allocation_site, array_boilerplate_description, regexp_boilerplate_description,
      prototype_info, enum_cache, transition_array;
  uint16_t first_fixed_array, last_fixed_array;  // FixedArray-shaped range
  uint16_t first_weak_fixed_array, last_weak_fixed_array;
};

// StackFrame::Type numbers (v8dbg_frametype_*), by name without the "Frame" suffix.
using FrameTypes = std::map<int, std::string>;

struct NodeOffsets {  // nodedbg_*, read from the core (set by a static initializer)
  std::optional<uint64_t> environment_handle_wrap_queue, environment_req_wrap_queue,
      handle_wrap_queue_head, req_wrap_queue_head, list_node_next, handle_wrap_queue_node,
      req_wrap_queue_node, base_object_persistent, environment_index;
};

struct Layout {
  Version v8;
  const LineFacts* line = nullptr;  // the row of this V8 line (never null once loaded)
  std::string node_version;         // e.g. "20.20.2", from node::per_process::metadata
  PageHeaderLayout page;
  SpaceIds spaces;
  IsolateFacts isolate;
  ScopeInfoFacts scope_info;
  StringTags strings;
  Offsets off{};
  Types types{};
  NodeOffsets node;
  FrameTypes frame_types;
  // RootsTable indices of the roots that keep nothing alive: the caches V8's every full GC
  // empties (Heap::MarkCompactPrologue: the number-to-string caches, the string-split and regexp
  // result caches), and script_list, the WeakArrayList of every Script, whose references are
  // weak (a Script only it holds dies at the next full GC: the scripts of dropped `new Function`s
  // and evals once V8's snapshot GC, Heap::CollectAllAvailableGarbage, has cleared the
  // compilation cache that held their functions). By their names in RootsTable::root_names_
  // (roots/roots.cc), read from the target. What only they hold is garbage awaiting collection,
  // and V8's heap snapshot, taken after that GC, has none of it. Empty if the binary lacks the
  // symbol.
  std::vector<uint32_t> gc_emptied_roots;
  // Every exported instance type: number -> name (e.g. 1057 -> "JS_OBJECT_TYPE").
  std::map<uint16_t, std::string> type_names;
  // Raw constants, for diagnostics and rare lookups.
  std::map<std::string, int64_t, std::less<>> constants;

  bool IsString(uint16_t type) const { return type < strings.first_nonstring_type; }
  bool IsInternalizedString(uint16_t type) const {
    return IsString(type) && (type & strings.is_not_internalized_mask) == 0;
  }
  bool IsJSReceiver(uint16_t type) const { return type >= types.first_js_receiver; }
  bool IsJSFunction(uint16_t type) const {
    return type >= types.first_js_function && type <= types.last_js_function;
  }
  bool IsContext(uint16_t type) const {
    return type >= types.first_context && type <= types.last_context;
  }
  bool IsFixedArrayShaped(uint16_t type) const {
    return type >= types.first_fixed_array && type <= types.last_fixed_array;
  }
  std::string TypeName(uint16_t type) const;
};

// Loads and validates the layout of the target. Throws Error naming every missing constant, or
// every constant out of range (src/v8/layout_checks.cpp).
Layout LoadLayout(const Memory& memory, const SymbolTable& symbols);

}  // namespace mortem::v8

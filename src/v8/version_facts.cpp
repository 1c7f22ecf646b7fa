// Per-version facts. Sources: nodejs/node deps/v8 at v18.20.4 (V8 10.2), v20.19.2 (11.3),
// v22.22.2 (12.4) and the v24.x line (13.6); observations on the official binaries are marked
// [obs] and come from ../shared/guides/v8-heap-brief.md. Each block names its source.
#include "version_facts.h"

namespace mortem::v8 {
namespace {

// Page headers. 10.2/11.3: BasicMemoryChunk at the page start (heap/basic-memory-chunk.h,
// MemoryChunkLayout::Header). 12.4: MemoryChunk {flags, metadata*} then MemoryChunkMetadata in the
// page (heap/memory-chunk.h, memory-chunk-metadata.h). 13.6: off-page metadata [obs].
PageHeaderLayout PageLayoutFor(int key) {
  PageHeaderLayout p;
  if (key <= 1103) {
    p.kind = PageHeaderKind::kBasicMemoryChunk;
    p.size = 0;
    p.flags = 8;
    p.heap = 16;
    p.area_start = 24;
    p.area_end = 32;
    p.owner = 64;
  } else if (key == 1204) {
    p.kind = PageHeaderKind::kInPageMetadata;
    p.flags = 0;
    p.size = 16;
    p.heap = 24;
    p.area_start = 32;
    p.area_end = 40;
    p.owner = 72;
  } else {
    p.kind = PageHeaderKind::kOffPageMetadata;
    p.flags = 0;  // in the page
    // In the metadata object, word indices [obs 24.11.1].
    p.metadata_chunk = 8;
    p.size = 48;
    p.area_end = 56;
    p.heap = 64;
    p.area_start = 72;
    p.owner = 80;
  }
  // Flag bits. 10.2: FROM_PAGE 1<<3, TO_PAGE 1<<4, LARGE_PAGE 1<<5, READ_ONLY_HEAP 1<<20
  // (N18 heap/basic-memory-chunk.h). 11.3/12.4: LARGE_PAGE 1<<7, READ_ONLY_HEAP 1<<6 (N20
  // basic-memory-chunk.h, N22 memory-chunk.h). 13.6: FROM/TO 3/4 [obs], large 0x400 [obs].
  p.flag_from_page = 1u << 3;
  p.flag_to_page = 1u << 4;
  if (key == 1002) {
    p.flag_large_page = 1u << 5;
    p.flag_read_only = 1u << 20;
  } else if (key <= 1204) {
    p.flag_large_page = 1u << 7;
    p.flag_read_only = 1u << 6;
  } else {
    p.flag_large_page = 1u << 10;
    p.flag_read_only = 1u << 6;
  }
  return p;
}

// AllocationSpace (common/globals.h at each tag; 13.6 from space statistics order [obs]).
SpaceIds SpacesFor(int key) {
  SpaceIds s;
  if (key == 1002) {
    s.names = {"read_only_space",
               "old_space",
               "code_space",
               "map_space",
               "large_object_space",
               "code_large_object_space",
               "new_large_object_space",
               "new_space"};
    s.read_only = 0;
    s.old_space = 1;
    s.code = 2;
    s.map = 3;
    s.large_object = 4;
    s.code_large_object = 5;
    s.new_large_object = 6;
    s.new_space = 7;
  } else if (key == 1103) {
    s.names = {"read_only_space",
               "new_space",
               "old_space",
               "code_space",
               "shared_space",
               "new_large_object_space",
               "large_object_space",
               "code_large_object_space",
               "shared_large_object_space"};
    s.read_only = 0;
    s.new_space = 1;
    s.old_space = 2;
    s.code = 3;
    s.new_large_object = 5;
    s.large_object = 6;
    s.code_large_object = 7;
  } else if (key == 1204) {
    s.names = {"read_only_space",
               "new_space",
               "old_space",
               "code_space",
               "shared_space",
               "trusted_space",
               "new_large_object_space",
               "large_object_space",
               "code_large_object_space",
               "shared_large_object_space",
               "trusted_large_object_space"};
    s.read_only = 0;
    s.new_space = 1;
    s.old_space = 2;
    s.code = 3;
    s.trusted = 5;
    s.new_large_object = 6;
    s.large_object = 7;
    s.code_large_object = 8;
    s.trusted_large_object = 10;
  } else {
    s.names = {"read_only_space",
               "new_space",
               "old_space",
               "code_space",
               "shared_space",
               "trusted_space",
               "shared_trusted_space",
               "new_large_object_space",
               "large_object_space",
               "code_large_object_space",
               "shared_large_object_space",
               "shared_trusted_large_object_space",
               "trusted_large_object_space"};
    s.read_only = 0;
    s.new_space = 1;
    s.old_space = 2;
    s.code = 3;
    s.trusted = 5;
    s.new_large_object = 7;
    s.large_object = 8;
    s.code_large_object = 9;
    s.trusted_large_object = 12;
  }
  return s;
}

// Internals::kIsolateRootsOffset and the IsolateData LABs, from each version's public
// include/v8-internal.h compiled without pointer compression; Heap::isolate_ [obs].
IsolateFacts IsolateFor(int key) {
  IsolateFacts f;
  switch (key) {
    case 1002:
      f.roots_offset = 288;
      f.heap_isolate_pointer = 0x50;
      break;
    case 1103:
      f.roots_offset = 496;
      f.heap_isolate_pointer = 0x50;
      f.new_lab_offset = 184;
      f.old_lab_offset = 208;
      break;
    case 1204:
      f.roots_offset = 592;
      f.heap_isolate_pointer = 0x18;
      f.new_lab_offset = 192;
      f.old_lab_offset = 216;
      break;
    default:
      f.roots_offset = 640;
      f.heap_isolate_pointer = 0x18;
      f.new_lab_offset = 200;
      f.old_lab_offset = 224;
      break;
  }
  return f;
}

// Fields of the holders whose targets V8's heap snapshot re-types (heap-snapshot-generator.cc
// TagObject calls; layouts from each tag's Torque files and field lists, offsets without pointer
// compression, the map at +0 and a Struct's fields from +8).
void ApplySnapshotTagFacts(int key, Offsets& o) {
  // Script (objects/script.tq): source, name, line_offset, column_offset, context_data,
  // script_type, line_ends (+56, also v8dbg), id, eval_from_shared..., eval_from_position,
  // shared_function_infos (+88), [11.3+: compiled_lazy_function_positions], flags, source_url,
  // source_mapping_url, host_defined_options.
  o.script_shared_function_infos = 88;
  o.script_host_defined_options = key == 1002 ? 120 : 128;
  // Code. 10.2 (objects/code.h CODE_FIELDS) and 11.3 (code.h CODE_DATA_FIELDS): relocation_info
  // +8, deoptimization_data_or_interpreter_data +16, position_table +24, then [11.3]
  // instruction_stream +32 (v8dbg on Node 20 agrees). 12.4/13.6 (code.h CODE_DATA_FIELDS):
  // deoptimization_data_or_interpreter_data +8, position_table +16, wrapper +24,
  // instruction_stream +32 (v8dbg: wrapper 24, instruction_stream 32 on Node 22 and 24), and
  // relocation_info moved to InstructionStream {code +8, relocation_info +16}
  // (instruction-stream.h ISTREAM_FIELDS).
  const bool split = key >= 1204;
  o.code_relocation_info = split ? 0 : 8;
  o.code_deopt_data = split ? 8 : 16;
  o.code_position_table = split ? 16 : 24;
  o.code_instruction_stream = key == 1002 ? 0 : 32;
  o.istream_relocation_info = split ? 16 : 0;
  // DeoptimizationData element indices: FrameTranslation 0, LiteralArray 2, InliningPositions 7
  // (10.2/11.3 code.h, 12.4 deoptimization-data.h); 13.x adds the protected literal array at 2
  // (LiteralArray 3, InliningPositions 8; deoptimization-data.h of the 13.x line).
  o.deopt_translation_index = 0;
  o.deopt_literal_index = key >= 1306 ? 3 : 2;
  o.deopt_inlining_index = key >= 1306 ? 8 : 7;
  // Structs (objects/allocation-site.tq, literal-objects.tq, regexp.tq's
  // RegExpBoilerplateDescription {data, source, flags}, prototype-info.tq {module_namespace,
  // prototype_users, prototype_chain_enum_cache, ...}, descriptor-array.tq EnumCache {keys,
  // indices}); AllocationSite::dependent_code is also v8dbg (+24 on all four).
  o.allocation_site_dependent_code = 24;
  o.array_boilerplate_constant_elements = 16;
  o.regexp_boilerplate_data = 8;
  o.prototype_info_users = 16;
  o.prototype_info_enum_cache = 24;
  o.enum_cache_keys = 8;
  o.enum_cache_indices = 16;
  // BytecodeArray: 10.2/11.3 {length, constant_pool +16, handler_table +24,
  // source_position_table +32} (objects/code.tq); 12.4/13.6 {length, wrapper +16,
  // source_position_table +24, handler_table +32, constant_pool +40} (bytecode-array.h).
  o.bytecode_array_constant_pool = split ? 40 : 16;
  o.bytecode_array_handler_table = split ? 32 : 24;
  // Map (objects/map.tq): prototype +24, constructor +32, descriptors +40, dependent_code +48,
  // prototype_validity_cell +56 (v8dbg on Node 18), transitions_or_prototype_info +64 (v8dbg).
  o.map_prototype_validity_cell = 56;
}

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

// ScopeInfo (objects/scope-info.tq `extern class ScopeInfo`, `bitfield struct ScopeFlags`,
// `ScopeType`, and common/globals.h kScopeInfoMaxInlinedLocalNamesSize = 75) at Node v18.20.4,
// v20.19.2 and v22.22.2: Smi flags, parameter_count and context_local_count, then optional
// sections chosen by the flags; 12.4 moved module_variable_count up behind context_local_count.
// ScopeFlags: scope_type 4 bits, sloppy_eval_can_extend_vars 4, ..., has_saved_class_variable 10,
// function_variable 12-13, has_inferred_function_name 14, ..., has_outer_scope_info 22, ...,
// has_context_extension_slot 26, ..., has_locals_block_list 28, is_empty 29. 13.6 (Node 24):
// flags became a raw uint32 (+4 bytes padding), position_info moved into the header
// (v8dbg_scopeinfo_idx_first_vars 5), REPL_MODE_SCOPE was inserted after SCRIPT_SCOPE at the
// front of ScopeType, locals_block_list is gone and dependent_code follows when
// sloppy_eval_can_extend_vars (scope-info.tq of the V8 13.x line; checked against every ScopeInfo
// of Node 24.11.1 cores, which the walker must parse back to back).
ScopeInfoFacts ScopeInfoFor(int key) {
  ScopeInfoFacts f;
  f.module_count_after_locals = key >= 1204;
  if (key >= 1306) {
    f.raw_flags = true;
    f.positions_in_header = true;
    f.header_words = 6;  // map, flags+padding, parameter_count, context_local_count, position x2
    f.dependent_code_bit = 4;
    f.script_scope = 0;  // SCRIPT, REPL_MODE, CLASS, EVAL, FUNCTION, MODULE, CATCH, BLOCK, ...
    f.class_scope = 2;
    f.eval_scope = 3;
    f.function_scope = 4;
    f.module_scope = 5;
    f.shadow_realm_scope = 9;
  } else {
    f.locals_block_list_bit = 28;  // CLASS, EVAL, FUNCTION, MODULE, SCRIPT, CATCH, BLOCK, WITH,
                                   // SHADOW_REALM: the defaults
  }
  return f;
}

}  // namespace

std::vector<std::string> ApplyVersionFacts(Layout& layout) {
  std::vector<std::string> problems;
  int key = layout.v8.Key();
  if (key != 1002 && key != 1103 && key != 1204 && key != 1306) {
    problems.push_back("version facts for V8 " + std::to_string(layout.v8.major) + "." +
                       std::to_string(layout.v8.minor) +
                       " (supported: 10.2, 11.3, 12.4, 13.6 = Node 18, 20, 22, 24)");
    return problems;
  }
  layout.page = PageLayoutFor(key);
  layout.spaces = SpacesFor(key);
  layout.isolate = IsolateFor(key);
  layout.scope_info = ScopeInfoFor(key);
  // GlobalHandles {Isolate* isolate_; [10.2: bool is_marking_;] unique_ptr<NodeSpace>
  // regular_nodes_; ...} (handles/global-handles.h at each tag). NodeSpace {GlobalHandles*
  // global_handles_; NodeBlock* first_block_; ...}, NodeBlock {Node nodes_[256]; NodeBlock* next_;
  // GlobalHandles* global_handles_; ...}, Node {object_, class_id u16, index u8, flags u8, ...} of
  // 32 bytes, NodeState in the flags byte's low bits: 3 bits in 10.2 (FREE, NORMAL, WEAK, PENDING,
  // NEAR_DEATH), 2 bits from 11.3 (FREE, NORMAL, WEAK) (handles/global-handles.cc at each tag;
  // 13.6 [obs: the snapshot's "(Global handles)" edges]).
  // LinearAllocationArea {Address start_, top_, limit_} (heap/linear-allocation-area.h at each
  // tag; kSize = 3 * kSystemPointerSize, static_assert'ed there because IsolateData embeds it).
  layout.isolate.lab_top = 8;
  layout.isolate.lab_limit = 16;
  layout.isolate.global_handles_regular_nodes = key == 1002 ? 16 : 8;
  layout.isolate.global_handles_first_block = 8;
  layout.isolate.global_handle_node_size = 32;
  layout.isolate.global_handle_block_nodes = 256;
  layout.isolate.global_handle_state_byte = 11;
  layout.isolate.global_handle_state_mask = key == 1002 ? 7 : 3;
  layout.isolate.global_handle_strong = 1;
  layout.isolate.global_handle_weak = 2;
  // EternalHandles {int size_; std::vector<Address*> blocks_; std::vector<int>
  // young_node_indices_;} with blocks of 1 << kShift = 256 slots, the same at every tag
  // (handles/global-handles.h).
  layout.isolate.eternal_handles_size = 0;
  layout.isolate.eternal_handles_blocks = 8;
  layout.isolate.eternal_handles_young = 32;
  layout.isolate.eternal_handles_block_slots = 256;
  // JSArray::length and JSCollection::table follow the JSObject header (map, properties,
  // elements) in every version (objects/js-array.tq, js-collection.tq). JSArrayBufferView::buffer
  // is the first field after the JSObject header: +24, and +32 on 13.6, where a CppHeap wrapper
  // slot precedes it [obs: Node 24.11.1, see v8-heap-brief.md 7.2].
  layout.off.js_array_length = 24;
  layout.off.collection_table = 24;
  layout.off.view_buffer = key >= 1306 ? 32 : 24;
  // JSArrayBuffer: byte_length, max_byte_length, backing_store, extension, bit_field follow each
  // other in every version (js-array-buffer.tq; 13.6 in the v8-13.6 notes 5.1); flag bits
  // is_external 0, is_detachable 1, was_detached 2, is_asm_js_memory 3, is_shared 4,
  // is_resizable(_by_js) 5 (JSArrayBufferFlags, the same order in 10.2 to 13.6).
  layout.off.array_buffer_max_byte_length = layout.off.array_buffer_byte_length + 8;
  layout.off.array_buffer_extension = layout.off.array_buffer_backing_store + 8;
  layout.off.array_buffer_bit_field = layout.off.array_buffer_backing_store + 16;
  layout.off.array_buffer_external_bit = 0;
  layout.off.array_buffer_detached_bit = 2;
  layout.off.array_buffer_shared_bit = 4;
  layout.off.array_buffer_resizable_bit = 5;
  // BytecodeArray::source_position_table: after length, constant_pool and handler_table in
  // 10.2/11.3 (objects/code.tq: +32); after length and wrapper in 12.4/13.6
  // (objects/bytecode-array.tq: +24, a TrustedByteArray). Byte arrays keep their bytes at +16
  // after the Smi length at +8 (ByteArray, TrustedByteArray).
  layout.off.bytecode_array_source_positions = key >= 1204 ? 24 : 32;
  layout.off.byte_array_data = 16;
  // JS frames (execution/frame-constants.h, the same in 10.2-13.6): the argument count including
  // the receiver at fp-24 (kArgCOffset), the receiver at fp+16, the arguments above it.
  layout.off.fp_argc = -24;
  // CallSiteInfo extends Struct (objects/call-site-info.tq): {receiver_or_instance, function,
  // code_object} in 10.2/11.3, {code_object (a trusted pointer), receiver_or_instance, function}
  // from 12.4 [obs: the function at +24 on 22 and 24], then code_offset_or_source_position and
  // flags. CallSiteInfoFlags: is_wasm, is_asm_js_wasm, is_strict, is_constructor,
  // is_asm_js_at_number_conversion, is_async, [12.4+: is_builtin], is_source_position_computed.
  layout.off.call_site_function = key >= 1204 ? 24 : 16;
  layout.off.call_site_code = key >= 1204 ? 8 : 24;
  layout.off.call_site_offset_or_position = 32;
  layout.off.call_site_flags = 40;
  layout.off.call_site_position_computed_bit = key >= 1204 ? 7 : 6;
  // ErrorStackData extends Struct: call_site_infos_or_formatted_stack first (debug-objects.tq).
  layout.off.error_stack_data_call_sites = 8;
  // EmbedderDataArray: map, Smi length, then 8-byte slots (no pointer compression or sandbox in
  // Node's builds; objects/embedder-data-array.h, embedder-data-slot.h).
  layout.off.embedder_data_array_header = 16;
  layout.off.embedder_data_slot_size = 8;
  // WasmMemoryObject extends JSObject: array_buffer is its first field (wasm-objects.tq).
  layout.off.wasm_memory_array_buffer = 24;
  // Symbol: map, raw_hash_field u32, flags u32 (bit 0 is_private), description (objects/name.tq).
  layout.off.symbol_flags = 12;
  // ExternalString: resource, then the cached resource data pointer (objects/string.h).
  layout.off.external_resource_data = 24;
  // Map bit_field2 bit 0 new_target_is_base; bit_field3: enum length (10 bits), own descriptors
  // (10 bits), then is_prototype_map (objects/map.h MAP_BIT_FIELD2/3_FIELDS; the dictionary-map
  // bit right after it is exported as bit_field3_is_dictionary_map_shift).
  layout.off.bit_field2_new_target_is_base_bit = 0;
  layout.off.bit_field3_is_prototype_map_bit = layout.off.bit_field3_dictionary_map_shift - 1;
  ApplySnapshotTagFacts(key, layout.off);
  ApplySmallTypeFacts(layout.off);
  Types& t = layout.types;
  // TRANSITION_ARRAY_TYPE follows WEAK_FIXED_ARRAY_TYPE (not exported; alphabetical Torque order
  // of the WeakFixedArray subtypes, the same in 10.2-13.6).
  t.transition_array = t.weak_fixed_array + 1;
  // 10.2/11.3 do not export two FixedArray subtypes the snapshot counts as code. FixedArray's
  // subtypes there are the HashTable family (HASH_TABLE_TYPE and its 10 subclasses), then
  // ClosureFeedbackCellArray, ObjectBoilerplateDescription and ScriptContextTable
  // (builtins/base.tq), the last three just below BYTE_ARRAY_TYPE [obs: 18 and 20, per-type counts
  // against the snapshot's code nodes].
  if (key <= 1103) {
    if (!t.closure_feedback_cell_array) t.closure_feedback_cell_array = t.byte_array - 3;
    if (!t.object_boilerplate_description) t.object_boilerplate_description = t.byte_array - 2;
  }
  // FILLER_TYPE = FREE_SPACE_TYPE - 1 [obs: root 1's map on all four].
  t.filler = t.free_space - 1;
  // NativeContext is the 8th of the 10 context types (alphabetical Torque order), i.e.
  // LastContextType - 2 [obs 18, 22, 24].
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
  return problems;
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

// The per-line facts table: one row per supported V8 line. Sources: nodejs/node deps/v8 at
// v18.20.4 (V8 10.2), v20.19.2 (11.3), v22.22.2 (12.4), the v24.x line (13.6) and the v26.x line
// (14.6); observations on the official binaries are marked [obs] with the release they were
// checked on (docs/v8-lines.md says how). Each group of fields names its source.
#include "mortem/v8/line_facts.h"

#include <array>

namespace mortem::v8 {
namespace {

// ---- Page headers ------------------------------------------------------------------------------
// 10.2/11.3: BasicMemoryChunk at the page start (heap/basic-memory-chunk.h,
// MemoryChunkLayout::Header). Flag bits: 10.2 FROM_PAGE 1<<3, TO_PAGE 1<<4, LARGE_PAGE 1<<5,
// READ_ONLY_HEAP 1<<20; 11.3 LARGE_PAGE 1<<7, READ_ONLY_HEAP 1<<6 (basic-memory-chunk.h).
PageHeaderLayout BasicMemoryChunk(uint64_t large, uint64_t read_only) {
  PageHeaderLayout p;
  p.kind = PageHeaderKind::kBasicMemoryChunk;
  p.size = 0;
  p.flags = 8;
  p.heap = 16;
  p.area_start = 24;
  p.area_end = 32;
  p.owner = 64;
  p.flag_from_page = 1u << 3;
  p.flag_to_page = 1u << 4;
  p.flag_large_page = large;
  p.flag_read_only = read_only;
  return p;
}

// 12.4: MemoryChunk {flags, metadata*} then MemoryChunkMetadata in the page (heap/memory-chunk.h,
// memory-chunk-metadata.h); LARGE_PAGE 1<<7, READ_ONLY_HEAP 1<<6 (memory-chunk.h).
PageHeaderLayout InPageMetadata() {
  PageHeaderLayout p;
  p.kind = PageHeaderKind::kInPageMetadata;
  p.flags = 0;
  p.size = 16;
  p.heap = 24;
  p.area_start = 32;
  p.area_end = 40;
  p.owner = 72;
  p.flag_from_page = 1u << 3;
  p.flag_to_page = 1u << 4;
  p.flag_large_page = 1u << 7;
  p.flag_read_only = 1u << 6;
  return p;
}

// 13.6: MemoryChunk {flags, metadata*} in the page, MemoryChunkMetadata off the page; field
// offsets inside the metadata object [obs 24.11.1]; FROM/TO 1<<3/1<<4, LARGE 1<<10 [obs].
PageHeaderLayout OffPageMetadata136() {
  PageHeaderLayout p;
  p.kind = PageHeaderKind::kOffPageMetadata;
  p.flags = 0;
  p.metadata_chunk = 8;
  p.size = 48;
  p.area_end = 56;
  p.heap = 64;
  p.area_start = 72;
  p.owner = 80;
  p.flag_from_page = 1u << 3;
  p.flag_to_page = 1u << 4;
  p.flag_large_page = 1u << 10;
  p.flag_read_only = 1u << 6;
  return p;
}

// 14.6: the same metadata object; the chunk flags were renumbered again: LARGE_PAGE 1<<7, and a
// read-only page carries 1<<10 alone [obs 26.12.1: the large-object page's 0x84, the sealed
// read-only page's 0x400; FROM/TO as before on the semispace pages].
PageHeaderLayout OffPageMetadata146() {
  PageHeaderLayout p = OffPageMetadata136();
  p.flag_large_page = 1u << 7;
  p.flag_read_only = 1u << 10;
  return p;
}

// ---- AllocationSpace ids (common/globals.h at each tag; 13.6 from space statistics order [obs])
SpaceIds Spaces102() {
  SpaceIds s;
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
  return s;
}

SpaceIds Spaces113() {
  SpaceIds s;
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
  return s;
}

SpaceIds Spaces124() {
  SpaceIds s;
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
  return s;
}

SpaceIds Spaces136() {
  SpaceIds s;
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
  return s;
}

// ---- Isolate -----------------------------------------------------------------------------------
// Internals::kIsolateRootsOffset and the IsolateData LABs, from each version's public
// include/v8-internal.h compiled without pointer compression; Heap::isolate_ [obs]. 10.2's LABs
// sit behind generated tables and are found by their shape (Heap::FindLabOffsetByScan).
// GlobalHandles {Isolate* isolate_; [10.2: bool is_marking_;] unique_ptr<NodeSpace>
// regular_nodes_; ...} (handles/global-handles.h); NodeState in the flags byte's low bits: 3 bits
// in 10.2 (FREE, NORMAL, WEAK, PENDING, NEAR_DEATH), 2 bits from 11.3 (FREE, NORMAL, WEAK)
// (handles/global-handles.cc; 13.6 [obs: the snapshot's "(Global handles)" edges]). NodeBlock,
// Node and EternalHandles (blocks of 1 << kShift = 256 slots) are the same at every tag: the
// IsolateFacts defaults. StackGuard::ThreadLocal::real_jslimit_ (the stack guard is among
// IsolateData's first fields, isolate-data.h ISOLATE_DATA_FIELDS) is the Isolate's third word on
// every line [obs on each line's cores of fixtures/scenarios/workers.js: the word and the next
// equal ones lie in, or for the main thread just below, the stack of the thread that runs the
// isolate, about --stack-size (984 KiB) below where it entered; the main thread's 969-978 KiB].
IsolateFacts Isolate(uint32_t roots, uint32_t heap_isolate, std::optional<uint32_t> new_lab,
                     uint32_t regular_nodes, uint8_t state_mask) {
  IsolateFacts f;
  f.roots_offset = roots;
  f.heap_isolate_pointer = heap_isolate;
  f.new_lab_offset = new_lab;
  if (new_lab) f.old_lab_offset = *new_lab + 24;
  f.stack_limit_offset = 16;
  f.global_handles_regular_nodes = regular_nodes;
  f.global_handle_state_mask = state_mask;
  return f;
}

// 14.6: IsolateData grew by six words before the roots table (688), Heap::isolate_ moved to the
// Heap's second word, and the read-only roots start with the oddballs (undefined, the_hole, null,
// true, false, empty_string), the meta map and the free-space and filler maps at 41-44 [obs
// 26.12.1: the roots' maps and instance types; LABs at 200/224 as in 13.6].
IsolateFacts Isolate146() {
  IsolateFacts f = Isolate(688, 0x8, 200, 8, 3);
  f.roots = RootIndices{.free_space_map = 42,
                        .one_pointer_filler_map = 43,
                        .two_pointer_filler_map = 44,
                        .undefined = 0,
                        .the_hole = 1,
                        .null = 2,
                        .true_value = 3,
                        .false_value = 4,
                        .empty_string = 5,
                        .meta_map = 41};
  return f;
}

// ---- ScopeInfo ---------------------------------------------------------------------------------
// objects/scope-info.tq (`extern class ScopeInfo`, `bitfield struct ScopeFlags`, `ScopeType`) and
// common/globals.h kScopeInfoMaxInlinedLocalNamesSize = 75 at v18.20.4, v20.19.2 and v22.22.2: Smi
// flags, parameter_count and context_local_count, then optional sections chosen by the flags;
// 12.4 moved module_variable_count up behind context_local_count. ScopeFlags: scope_type 4 bits,
// sloppy_eval_can_extend_vars 4, ..., has_saved_class_variable 10, function_variable 12-13,
// has_inferred_function_name 14, ..., has_outer_scope_info 22, ..., has_context_extension_slot
// 26, ..., has_locals_block_list 28, is_empty 29. ScopeType: CLASS, EVAL, FUNCTION, MODULE,
// SCRIPT, CATCH, BLOCK, WITH, SHADOW_REALM (the defaults).
ScopeInfoFacts ScopeInfoBefore136(bool module_count_after_locals) {
  ScopeInfoFacts f;
  f.module_count_after_locals = module_count_after_locals;
  f.locals_block_list_bit = 28;
  return f;
}

// 13.6 (Node 24): flags became a raw uint32 (+4 bytes padding), position_info moved into the
// header (v8dbg_scopeinfo_idx_first_vars 5), REPL_MODE_SCOPE was inserted after SCRIPT_SCOPE at the
// front of ScopeType, locals_block_list is gone and dependent_code follows when
// sloppy_eval_can_extend_vars (scope-info.tq of the 13.x line; checked against every ScopeInfo of
// Node 24.11.1 cores, which the walker must parse back to back).
ScopeInfoFacts ScopeInfoFrom136() {
  ScopeInfoFacts f;
  f.module_count_after_locals = true;
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
  return f;
}

// 14.6: as 13.6, and function scopes carry one more Smi after the outer scope info [obs 26.12.1:
// every ScopeInfo of the scenario cores then ends at the next object's map].
ScopeInfoFacts ScopeInfo146() {
  ScopeInfoFacts f = ScopeInfoFrom136();
  f.function_slot_after_outer = true;
  return f;
}

// ---- Fields ------------------------------------------------------------------------------------
// JSArrayBufferView::buffer is the first field after the JSObject header: +24, and +32 from 13.6,
// where a CppHeap wrapper slot precedes it [obs: Node 24.11.1, v8-heap-brief.md 7.2].
// BytecodeArray: 10.2/11.3 {length, constant_pool +16, handler_table +24, source_position_table
// +32} (objects/code.tq); 12.4+ {length, wrapper +16, source_position_table +24, handler_table
// +32, constant_pool +40} (bytecode-array.h).
// CallSiteInfo extends Struct (objects/call-site-info.tq): {receiver_or_instance, function,
// code_object} in 10.2/11.3, {code_object (a trusted pointer), receiver_or_instance, function}
// from 12.4 [obs: the function at +24 on 22 and 24]. CallSiteInfoFlags: is_wasm, is_asm_js_wasm,
// is_strict, is_constructor, is_asm_js_at_number_conversion, is_async, [12.4+: is_builtin],
// is_source_position_computed.
// Script (objects/script.tq): ..., shared_function_infos (+88), [11.3+:
// compiled_lazy_function_positions], flags, source_url, source_mapping_url, host_defined_options.
// Code. 10.2 (objects/code.h CODE_FIELDS) and 11.3 (code.h CODE_DATA_FIELDS): relocation_info
// +8, deoptimization_data_or_interpreter_data +16, position_table +24, then [11.3]
// instruction_stream +32 (v8dbg on Node 20 agrees). 12.4+ (code.h CODE_DATA_FIELDS):
// deoptimization_data_or_interpreter_data +8, position_table +16, wrapper +24, instruction_stream
// +32 (v8dbg: wrapper 24, instruction_stream 32 on Node 22, 24 and 26), and relocation_info moved
// to InstructionStream {code +8, relocation_info +16} (instruction-stream.h ISTREAM_FIELDS).
// DeoptimizationData element indices: FrameTranslation 0, LiteralArray 2, InliningPositions 7
// (10.2/11.3 code.h, 12.4 deoptimization-data.h); 13.x adds the protected literal array at 2
// (LiteralArray 3, InliningPositions 8; deoptimization-data.h of the 13.x line).
// Symbol flags (objects/name.tq SymbolFlags): is_private 0, is_well_known_symbol 1,
// is_in_public_symbol_table 2, is_interesting_symbol 3, is_private_name 4 (which sets is_private
// too), is_private_brand 5, in 10.2-13.6. 14.6: is_private 0, is_private_name 1 (alone),
// is_well_known_symbol 2, is_in_public_symbol_table 3, is_interesting_symbol 4 [obs 26.12.1:
// Symbol.hasInstance 0x4, Symbol.for() keys 0x8, Symbol.toStringTag 0x14, the snapshot's
// "private symbol" nodes are the symbols with bit 0 or 1].
// Source position tables (codegen/source-position-table.cc): up to 13.6 each entry is a VLQ
// zig-zag code offset delta whose sign marks a statement and a zig-zag source position delta.
// 14.6 packs the flags into the code delta: code_delta << 2 | has_position << 1 | is_statement,
// unsigned [obs 26.12.1: every entry of the scenario functions' tables matches what
// `node --print-bytecode` prints for their offsets and positions].
// An Error's captured stack (the error_stack_symbol's FixedArray, or ErrorStackData's first
// field): CallSiteInfo objects up to 13.6; 14.6 stores the frames flat, six words each: code
// (a BytecodeWrapper for interpreted frames), receiver, function, code offset (Smi),
// parameters, flags (Smi, CallSiteInfoFlags) [obs 26.12.1: the crash scenario's error holds a
// 36-word FixedArray for its 6 frames].
constexpr FieldFacts kFields102{.view_buffer = 24,
                                .bytecode_array_source_positions = 32,
                                .bytecode_array_constant_pool = 16,
                                .bytecode_array_handler_table = 24,
                                .call_site_function = 16,
                                .call_site_code = 24,
                                .call_site_position_computed_bit = 6,
                                .script_host_defined_options = 120,
                                .code_relocation_info = 8,
                                .code_deopt_data = 16,
                                .code_position_table = 24,
                                .code_instruction_stream = 0,
                                .istream_relocation_info = 0,
                                .deopt_literal_index = 2,
                                .deopt_inlining_index = 7,
                                .symbol_private_mask = 1,
                                .source_position_flagged_code = false,
                                .flat_call_sites = {0, 0, 0, 0, 0}};

constexpr FieldFacts With(FieldFacts f, uint32_t host_defined_options,
                          uint32_t instruction_stream) {
  f.script_host_defined_options = host_defined_options;
  f.code_instruction_stream = instruction_stream;
  return f;
}
constexpr FieldFacts kFields113 = With(kFields102, 128, 32);
constexpr FieldFacts kFields124{.view_buffer = 24,
                                .bytecode_array_source_positions = 24,
                                .bytecode_array_constant_pool = 40,
                                .bytecode_array_handler_table = 32,
                                .call_site_function = 24,
                                .call_site_code = 8,
                                .call_site_position_computed_bit = 7,
                                .script_host_defined_options = 128,
                                .code_relocation_info = 0,
                                .code_deopt_data = 8,
                                .code_position_table = 16,
                                .code_instruction_stream = 32,
                                .istream_relocation_info = 16,
                                .deopt_literal_index = 2,
                                .deopt_inlining_index = 7,
                                .symbol_private_mask = 1,
                                .source_position_flagged_code = false,
                                .flat_call_sites = {0, 0, 0, 0, 0}};
constexpr FieldFacts From136(FieldFacts f) {
  f.view_buffer = 32;
  f.deopt_literal_index = 3;
  f.deopt_inlining_index = 8;
  return f;
}
constexpr FieldFacts kFields136 = From136(kFields124);
constexpr FieldFacts From146(FieldFacts f) {
  f.symbol_private_mask = 3;
  f.source_position_flagged_code = true;
  f.flat_call_sites = {.entry_words = 6, .code = 0, .function = 2, .offset = 3, .flags = 5};
  return f;
}
constexpr FieldFacts kFields146 = From146(kFields136);

// ---- Sizes -------------------------------------------------------------------------------------
// FeedbackVector (feedback-vector.tq): length i32 at +8, then 10.2: invocation_count,
// profiler_ticks, flags, shared_function_info, closure_feedback_cell_array, maybe_optimized_code
// (48). 11.3/12.4 add padding and parent_feedback_cell (56). 13.6 drops maybe_optimized_code,
// which moved to the dispatch table with leaptiering (48) [obs: slots end at the next object's
// map on Node 24.11.1]. FeedbackMetadata: 13.6 adds two words after slot_count and
// create_closure_slot_count [obs 24.11.1]. FreeSpace::size is a Smi count of bytes up to 13.6 and
// of tagged words in 14.6 [obs 26.12.1: free spaces end at the next object's map]. Hole
// objects: 14.6's are a bare map word (their map says variable size) that read-only space places
// right before an inaccessible guard region, so that any field read of a hole faults [obs 26.12.1:
// every hole root at offset 0xfff8 of its 64 KiB block, the next block PROT_NONE]. WasmTypeInfo:
// supertypes_length Smi@32 after a 40-byte header from 11.3 (wasm-objects.tq); 13.6 dropped
// native_type and trusted_data: {map, two uint32 type indices, supertypes_length Smi@16,
// supertypes[]} [obs: Node 24.11.1 with a wasm module, each ends at the next object's map].
// 14.6 as 13.6 [obs 26.12.1: the busy scenario's wasm modules].
constexpr SizeFacts kSizes102{CodeShape::kCodeWithInstructions, 48, 0, 0, 0, 1, 0};
constexpr SizeFacts kSizes113{CodeShape::kStreamSizedByCode, 56, 0, 40, 32, 1, 0};
constexpr SizeFacts kSizes124{CodeShape::kStreamWithBodySize, 56, 0, 40, 32, 1, 0};
constexpr SizeFacts kSizes136{CodeShape::kStreamWithBodySize, 48, 2, 24, 16, 1, 0};
constexpr SizeFacts kSizes146{CodeShape::kStreamWithBodySize, 48, 2, 24, 16, 8, 8};

// ---- Unexported types --------------------------------------------------------------------------
// 10.2/11.3: FixedArray's subtypes are the HashTable family, then ClosureFeedbackCellArray,
// ObjectBoilerplateDescription and ScriptContextTable (builtins/base.tq), the last three just
// below BYTE_ARRAY_TYPE [obs: 18 and 20, per-type counts against the snapshot's code nodes].
// 14.6: FILLER_TYPE, FREE_SPACE_TYPE, HOLE_TYPE are no longer exported; they stand between
// FEEDBACK_VECTOR_TYPE and the next exported type as in 13.6 (266, 267 filler, 268 free space,
// 269 hole) [obs 26.12.1: root 0's map (FreeSpaceMap) has type FEEDBACK_VECTOR_TYPE + 2; the
// heap checks it on every core].
// WasmDispatchTable (wasm-objects.h; trusted space; not exported): length u32 @8, capacity i32
// @12, then `capacity` entries after a header. 12.4: the trusted type after
// TRUSTED_FIXED_ARRAY_TYPE, before TurboshaftFloat64Type and its range type, entries of
// {target/ref, implicit_arg/call target, sig + padding} (24) right after the counts [obs: 214 on
// Node 22.22.2: 16 + 24n]. 13.6: the exposed trusted type between INTERPRETER_DATA_TYPE and
// WASM_INTERNAL_FUNCTION_TYPE, with protected_offheap_data, protected_uses and table_type
// (+ padding) before the entries [obs: 189 on Node 24.11.1, tables of capacity 0 and 4: 40 +
// 24n]. 14.6: the same place and header, entries of 16 bytes [obs: 188 on Node 26.12.1, a table
// of capacity 4: 40 + 16 * 4]; and a second table type between TRUSTED_WEAK_FIXED_ARRAY_TYPE and
// WASM_IMPORT_DATA_TYPE with only protected_offheap_data before its entries, sized by its
// length (u32 @8; the u32 @12 is 0) [obs: 200 on 26.12.1, tables of length 0: 24 bytes; the
// sql.js scenario's table of length 38: 24 + 16 * 38, the next object's map right after].
// The dispatch table's length at +8 is "always <= the capacity" (WasmDispatchTable::length()
// in wasm-objects.h, 12.4 to 14.6): an object of the placed type that breaks it is not a table.
constexpr PlacedArrayType kDispatch124{
    "TRUSTED_FIXED_ARRAY_TYPE", "TURBOSHAFT_FLOAT64_RANGE_TYPE_TYPE", 3, 16, 24, 12, 8};
constexpr PlacedArrayType kDispatch136{
    "INTERPRETER_DATA_TYPE", "WASM_INTERNAL_FUNCTION_TYPE", 2, 40, 24, 12, 8};
constexpr PlacedArrayType kDispatch146{
    "INTERPRETER_DATA_TYPE", "WASM_INTERNAL_FUNCTION_TYPE", 2, 40, 16, 12, 8};
constexpr PlacedArrayType kImportDispatch146{
    "TRUSTED_WEAK_FIXED_ARRAY_TYPE", "WASM_IMPORT_DATA_TYPE", 2, 24, 16, 8};
constexpr TypeFacts kTypesBefore124{.code_arrays_below_byte_array = true,
                                    .free_space_after_feedback_vector = 0,
                                    .wasm_dispatch_tables = {}};
constexpr TypeFacts kTypes124{.code_arrays_below_byte_array = false,
                              .free_space_after_feedback_vector = 0,
                              .wasm_dispatch_tables = {kDispatch124}};
constexpr TypeFacts kTypes136{.code_arrays_below_byte_array = false,
                              .free_space_after_feedback_vector = 0,
                              .wasm_dispatch_tables = {kDispatch136}};
constexpr TypeFacts kTypes146{.code_arrays_below_byte_array = false,
                              .free_space_after_feedback_vector = 2,
                              .wasm_dispatch_tables = {kDispatch146, kImportDispatch146}};

// ---- Snapshot naming ---------------------------------------------------------------------------
// "object shape" exists from V8 11.3 as shipped in Node 20 (HeapEntry::kObjectShape); 13.6's
// GetSystemEntryType counts CODE_WRAPPER and BYTECODE_WRAPPER as code. The format facts are read
// off the snapshots Node 18.20.8, 20.20.2, 22.22.2 (trace_node_id, read-only sizes) and 24.11.1,
// 26.12.1 (no trace_node_id, "extra_native_bytes", read-only objects of size 0, external strings
// sized with their characters: the (string) row's self size exceeds the heap's by what
// `buffers` counts as external string bytes) write; 11.3's node_types list "wasm object", 13.6's
// keeps five "number" entries for four number fields.
constexpr SnapshotFacts kSnapshot102{.object_shape_rows = false,
                                     .wrappers_are_code = false,
                                     .trace_node_ids = true,
                                     .extra_native_bytes = false,
                                     .read_only_sizes = true,
                                     .external_string_payload = false,
                                     .wasm_object_type = false,
                                     .node_type_numbers = 5};
constexpr SnapshotFacts kSnapshot113{.object_shape_rows = true,
                                     .wrappers_are_code = false,
                                     .trace_node_ids = true,
                                     .extra_native_bytes = false,
                                     .read_only_sizes = true,
                                     .external_string_payload = false,
                                     .wasm_object_type = true,
                                     .node_type_numbers = 5};
constexpr SnapshotFacts kSnapshot124{.object_shape_rows = true,
                                     .wrappers_are_code = false,
                                     .trace_node_ids = true,
                                     .extra_native_bytes = false,
                                     .read_only_sizes = true,
                                     .external_string_payload = false,
                                     .wasm_object_type = false,
                                     .node_type_numbers = 5};
constexpr SnapshotFacts kSnapshot136{.object_shape_rows = true,
                                     .wrappers_are_code = true,
                                     .trace_node_ids = false,
                                     .extra_native_bytes = true,
                                     .read_only_sizes = false,
                                     .external_string_payload = true,
                                     .wasm_object_type = false,
                                     .node_type_numbers = 5};
constexpr SnapshotFacts kSnapshot146{.object_shape_rows = true,
                                     .wrappers_are_code = true,
                                     .trace_node_ids = false,
                                     .extra_native_bytes = true,
                                     .read_only_sizes = false,
                                     .external_string_payload = true,
                                     .wasm_object_type = false,
                                     .node_type_numbers = 4};

std::vector<LineFacts> BuildTable() {
  std::vector<LineFacts> rows;
  rows.push_back(LineFacts{.major = 10,
                           .minor = 2,
                           .node_line = "18",
                           .page = BasicMemoryChunk(1u << 5, 1u << 20),
                           .spaces = Spaces102(),
                           .isolate = Isolate(288, 0x50, std::nullopt, 16, 7),
                           .scope_info = ScopeInfoBefore136(false),
                           .fields = kFields102,
                           .sizes = kSizes102,
                           .types = kTypesBefore124,
                           .snapshot = kSnapshot102});
  rows.push_back(LineFacts{.major = 11,
                           .minor = 3,
                           .node_line = "20",
                           .page = BasicMemoryChunk(1u << 7, 1u << 6),
                           .spaces = Spaces113(),
                           .isolate = Isolate(496, 0x50, 184, 8, 3),
                           .scope_info = ScopeInfoBefore136(false),
                           .fields = kFields113,
                           .sizes = kSizes113,
                           .types = kTypesBefore124,
                           .snapshot = kSnapshot113});
  rows.push_back(LineFacts{.major = 12,
                           .minor = 4,
                           .node_line = "22",
                           .page = InPageMetadata(),
                           .spaces = Spaces124(),
                           .isolate = Isolate(592, 0x18, 192, 8, 3),
                           .scope_info = ScopeInfoBefore136(true),
                           .fields = kFields124,
                           .sizes = kSizes124,
                           .types = kTypes124,
                           .snapshot = kSnapshot124});
  rows.push_back(LineFacts{.major = 13,
                           .minor = 6,
                           .node_line = "24",
                           .page = OffPageMetadata136(),
                           .spaces = Spaces136(),
                           .isolate = Isolate(640, 0x18, 200, 8, 3),
                           .scope_info = ScopeInfoFrom136(),
                           .fields = kFields136,
                           .sizes = kSizes136,
                           .types = kTypes136,
                           .snapshot = kSnapshot136});
  rows.push_back(LineFacts{.major = 14,
                           .minor = 6,
                           .node_line = "26",
                           .page = OffPageMetadata146(),
                           .spaces = Spaces136(),
                           .isolate = Isolate146(),
                           .scope_info = ScopeInfo146(),
                           .fields = kFields146,
                           .sizes = kSizes146,
                           .types = kTypes146,
                           .snapshot = kSnapshot146});
  return rows;
}

const std::vector<LineFacts>& Table() {
  static const std::vector<LineFacts> table = BuildTable();
  return table;
}

}  // namespace

const LineFacts* FindLineFacts(int major, int minor) {
  for (const auto& row : Table())
    if (row.major == major && row.minor == minor) return &row;
  return nullptr;
}

std::string SupportedLines() {
  std::string lines, nodes;
  for (const auto& row : Table()) {
    if (!lines.empty()) {
      lines += ", ";
      nodes += ", ";
    }
    lines += std::to_string(row.major) + "." + std::to_string(row.minor);
    nodes += row.node_line;
  }
  return lines + " = Node " + nodes;
}

}  // namespace mortem::v8

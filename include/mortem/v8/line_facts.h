// Purpose: what V8's postmortem metadata does not say, as one row per supported V8 line (10.2,
// 11.3, 12.4, 13.6, 14.6 = Node 18, 20, 22, 24, 26). Each field carries its source in V8 in the
// table (src/v8/line_facts.cpp). The row is chosen once, when the layout loads; nothing else in
// mortem tests a version number. docs/v8-lines.md says how to add a line.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mortem::v8 {

// Shape of the page (memory chunk) header, which V8 changed in 11.x→12.4→13.6.
enum class PageHeaderKind {
  kBasicMemoryChunk,  // 10.2/11.3: size, flags, heap, area_start, area_end in the page
  kInPageMetadata,    // 12.4: flags, metadata* (== chunk), then size, heap, area bounds
  kOffPageMetadata,   // 13.6+: flags, metadata* pointing to a separate C++ object
};

struct PageHeaderLayout {
  PageHeaderKind kind = PageHeaderKind::kBasicMemoryChunk;
  // Offsets of the fields inside the page (kinds 1, 2) or inside the metadata object (kind 3).
  uint32_t size = 0, flags = 0, heap = 0, area_start = 0, area_end = 0, owner = 0;
  uint32_t metadata = 8;        // kinds 2, 3: the metadata pointer, after the flags
  uint32_t metadata_chunk = 0;  // kind 3: offset of the reservation address (== chunk)
  uint64_t flag_from_page = 0, flag_to_page = 0, flag_large_page = 0, flag_read_only = 0;
  // The owning space: Space {vtable, heap_, id_} (heap/base-space.h).
  uint32_t space_heap = 8, space_id = 16;
};

// AllocationSpace ids, which differ per version; -1 where a version lacks the space.
struct SpaceIds {
  std::vector<std::string> names;  // indexed by id
  int read_only = -1, new_space = -1, old_space = -1, code = -1, map = -1, large_object = -1,
      new_large_object = -1, code_large_object = -1, trusted = -1, trusted_large_object = -1;
};

// Indices of read-only roots in the Isolate's roots table (roots/roots.h READ_ONLY_ROOT_LIST).
struct RootIndices {
  int free_space_map = 0, one_pointer_filler_map = 1, two_pointer_filler_map = 2, undefined = 4,
      the_hole = 5, null = 6, true_value = 7, false_value = 8, empty_string = 9, meta_map = 10;
};

struct IsolateFacts {
  uint32_t roots_offset = 0;  // Internals::kIsolateRootsOffset
  RootIndices roots;
  uint32_t heap_isolate_pointer = 0;                       // offset of Heap::isolate_ inside Heap
  std::optional<uint32_t> new_lab_offset, old_lab_offset;  // IsolateData LinearAllocationArea
  // LinearAllocationArea {Address start_, top_, limit_}: offsets of top_ and limit_ after start_
  // (heap/linear-allocation-area.h at each tag; kSize = 3 * kSystemPointerSize, static_assert'ed
  // there because IsolateData embeds it).
  uint32_t lab_top = 8, lab_limit = 16;
  // IsolateData's StackGuard::ThreadLocal (execution/stack-guard.h {real_jslimit_, ...}): the
  // offset of real_jslimit_ from the Isolate. V8 sets it for the thread that runs the isolate,
  // below that thread's stack; it names the isolate's thread.
  std::optional<uint32_t> stack_limit_offset;
  // GlobalHandles: offset of regular_nodes_ (the NodeSpace pointer) after isolate_; NodeSpace's
  // first_block_; NodeBlock {Node nodes_[block_nodes]; NodeBlock* next_; GlobalHandles*
  // global_handles_;}; Node {object_, class_id u16, index u8, flags u8, ...} of node_size bytes,
  // its state in the low bits (state_mask) of the flags byte at +state_byte: 1 strong, 2 weak.
  uint32_t global_handles_regular_nodes = 8, global_handles_first_block = 8;
  uint32_t global_handle_node_size = 32, global_handle_block_nodes = 256;
  uint32_t global_handle_state_byte = 11;
  uint8_t global_handle_state_mask = 3, global_handle_strong = 1, global_handle_weak = 2;
  // EternalHandles: offsets of size_ (int), blocks_ and young_node_indices_ (std::vectors of
  // begin, end, capacity), and the slots per block.
  uint32_t eternal_handles_size = 0, eternal_handles_blocks = 8, eternal_handles_young = 32;
  uint32_t eternal_handles_block_slots = 256;
};

// ScopeInfo (objects/scope-info.tq at each tag): what the decoder needs of its header, of the
// ScopeFlags bit field and of the ScopeType enum.
struct ScopeInfoFacts {
  bool raw_flags = false;                  // 13.6: a uint32 and padding; before: a Smi
  bool positions_in_header = false;        // 13.6: position_info right after the counts
  bool module_count_after_locals = false;  // 12.4+: module_variable_count after the counts
  uint32_t header_words = 4;               // map, flags, parameter_count, context_local_count
  uint32_t type_mask = 0xF;
  uint32_t saved_class_variable_bit = 10, function_variable_shift = 12, inferred_name_bit = 14,
           outer_scope_bit = 22, context_extension_bit = 26, empty_bit = 29;
  std::optional<uint32_t> locals_block_list_bit;  // the section exists up to 12.4
  std::optional<uint32_t> dependent_code_bit;     // 13.6: dependent_code with sloppy eval
  bool function_slot_after_outer = false;  // 14.6: function scopes carry a Smi after outer_scope
  uint32_t class_scope = 0, eval_scope = 1, function_scope = 2, module_scope = 3, script_scope = 4,
           shadow_realm_scope = 8;
  int64_t max_inlined_local_names = 75;  // kScopeInfoMaxInlinedLocalNamesSize
};

// Where a code object's instructions live and how its size is found.
enum class CodeShape {
  kCodeWithInstructions,  // 10.2: Code holds the instructions after a 128-byte header
  kStreamSizedByCode,     // 11.3: InstructionStream {map, code}, sized from its Code
  kStreamWithBodySize,    // 12.4+: InstructionStream {map, code, relocation_info, body_size}
};

// Offsets of fields the metadata does not export (without pointer compression), and the element
// indices of arrays whose shape the snapshot generator knows.
struct FieldFacts {
  uint32_t view_buffer;                      // JSArrayBufferView::buffer
  uint32_t bytecode_array_source_positions;  // BytecodeArray::source_position_table
  uint32_t bytecode_array_constant_pool, bytecode_array_handler_table;
  uint32_t call_site_function, call_site_code, call_site_position_computed_bit;
  uint32_t script_host_defined_options;
  uint32_t code_relocation_info, code_deopt_data, code_position_table, code_instruction_stream,
      istream_relocation_info;  // 0 where the version has no such field
  uint32_t deopt_literal_index, deopt_inlining_index;
  uint32_t symbol_private_mask;  // Symbol flags bits that make it private (a private name too)
  // Source position table entries: false, a zig-zag code delta (negative: a statement) and a
  // zig-zag position delta; true (14.6), an unsigned code_delta << 2 | has_position << 1 |
  // is_statement, then the zig-zag position delta where has_position.
  bool source_position_flagged_code;
  // An error's captured frames: CallSiteInfo objects in a FixedArray (entry_words 0), or (14.6)
  // a flat FixedArray of entries of entry_words words, with the code (or its wrapper), function,
  // code offset and flags at these word indices (where the array does not hold CallSiteInfos:
  // 14.6's early patch level still does).
  struct {
    uint32_t entry_words, code, function, offset, flags;
  } flat_call_sites;
};

// Per-type sizes and shapes that differ between lines.
struct SizeFacts {
  CodeShape code_shape;
  uint16_t feedback_vector_header;         // FeedbackVector's header bytes before the slots
  uint16_t feedback_metadata_extra_words;  // FeedbackMetadata words after slot_count/create_closure
  // WasmTypeInfo {header, supertypes[]}: header bytes and the supertypes_length Smi's offset
  // (0: not variable-size, the map's instance size).
  uint16_t wasm_type_info_header, wasm_type_info_count_offset;
  uint16_t free_space_size_unit;  // FreeSpace::size counts bytes (1) or tagged words (8)
  uint16_t hole_size;             // 0: the map's instance size; else a fixed size
};

// An instance type the metadata does not export, found by its exported neighbours (each group of
// the instance-type list is in class-name order): the type right after `after`, where `before`
// stands `gap` types after `after`. Its objects are arrays: `header` bytes, then an int32 count
// at `count_offset` of `unit`-byte entries; where `length_offset` is not 0, a uint32 length there
// that V8 keeps within the count (a table's length within its capacity), or the object is not
// one. No type where `after` is null.
struct PlacedArrayType {
  const char* after = nullptr;
  const char* before = nullptr;
  int gap = 0;
  uint16_t header = 0, unit = 0, count_offset = 0, length_offset = 0;
};

// Instance types the metadata leaves out, where the line lays them out by rule.
struct TypeFacts {
  // 10.2/11.3: ClosureFeedbackCellArray and ObjectBoilerplateDescription are not exported; they
  // are the 3rd and 2nd type below BYTE_ARRAY_TYPE.
  bool code_arrays_below_byte_array;
  // 14.6: FILLER_TYPE, FREE_SPACE_TYPE and HOLE_TYPE are not exported; they follow
  // FEEDBACK_VECTOR_TYPE (alphabetical Torque order). 0: exported.
  uint16_t free_space_after_feedback_vector;
  // The wasm dispatch tables' types (not exported) with their sizes.
  std::array<PlacedArrayType, 2> wasm_dispatch_tables;
};

// How V8's heap snapshot names what it finds (heap-snapshot-generator.cc at each tag).
struct SnapshotFacts {
  bool object_shape_rows;  // "(object shape)" nodes: maps, descriptors, transitions (11.3+)
  bool wrappers_are_code;  // CodeWrapper/BytecodeWrapper count as "(compiled code)" (13.6+)
  // The .heapsnapshot format (heap-snapshot-generator.cc HeapSnapshotJSONSerializer): a
  // trace_node_id node field (up to 12.4), an extra_native_bytes count in the header (13.6+),
  // and read-only space objects with their sizes (up to 12.4; 13.6+ writes 0 for them). From
  // 13.6 an external string's self size includes its characters outside the heap.
  bool trace_node_ids;
  bool extra_native_bytes;
  bool read_only_sizes;
  bool external_string_payload;
  // The meta's node_types: 11.3 lists a "wasm object" type after "object shape"; the "number"
  // entries after "string" (the name): one per number field, and one more on 13.6 (the dropped
  // trace_node_id's).
  bool wasm_object_type;
  uint8_t node_type_numbers;
};

struct LineFacts {
  int major = 0, minor = 0;
  const char* node_line = "";
  PageHeaderLayout page;
  SpaceIds spaces;
  IsolateFacts isolate;
  ScopeInfoFacts scope_info;
  FieldFacts fields{};
  SizeFacts sizes{};
  TypeFacts types{};
  SnapshotFacts snapshot{};
};

// The row of V8 major.minor, or null when the line is not supported.
const LineFacts* FindLineFacts(int major, int minor);
// "10.2, 11.3, ... (Node 18, 20, ...)", for errors.
std::string SupportedLines();

}  // namespace mortem::v8

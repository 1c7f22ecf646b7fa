// Loads the Layout table from the target's v8dbg_*/nodedbg_* symbols and the version facts.
#include "mortem/v8/layout.h"

#include <algorithm>
#include <set>

#include "layout_checks.h"
#include "mortem/core/error.h"
#include "version_facts.h"

namespace mortem::v8 {
namespace {

constexpr std::string_view kV8Prefix = "v8dbg_";

// Collects constants and the names of those that are required but missing.
class ConstantReader {
 public:
  ConstantReader(const Memory& memory, const SymbolTable& symbols, Layout& layout)
      : memory_(memory), symbols_(symbols), layout_(layout) {
    symbols.ForEachWithPrefix(kV8Prefix, [&](const Symbol& s) {
      auto value = memory.ReadValue<int32_t>(s.address);
      if (value)
        layout_.constants.emplace(std::string(s.name.substr(kV8Prefix.size())), *value);
      else
        unreadable_.push_back(std::string(s.name));
    });
  }

  std::optional<int64_t> Find(std::string_view name) const {
    auto it = layout_.constants.find(name);
    if (it == layout_.constants.end()) return std::nullopt;
    return it->second;
  }
  // First of several names (V8 renamed constants between versions).
  std::optional<int64_t> FindAny(std::initializer_list<std::string_view> names) const {
    for (auto n : names)
      if (auto v = Find(n)) return v;
    return std::nullopt;
  }
  // class_<Class>__<field>__<CType>: matched by prefix, since the C type suffix changed in 12.4.
  std::optional<int64_t> FindField(std::string_view cls, std::string_view field) const {
    std::string prefix = "class_" + std::string(cls) + "__" + std::string(field) + "__";
    auto it = layout_.constants.lower_bound(prefix);
    if (it != layout_.constants.end() && it->first.starts_with(prefix)) return it->second;
    return std::nullopt;
  }
  // type_<Class>__<TYPE_NAME>, matched on the type name suffix.
  std::optional<int64_t> FindType(std::string_view type_name) const {
    auto it = type_by_name_.find(std::string(type_name));
    if (it == type_by_name_.end()) return std::nullopt;
    return it->second;
  }

  template <typename T>
  void Require(T& out, std::optional<int64_t> value, std::string_view what) {
    if (value)
      out = static_cast<T>(*value);
    else
      missing_.insert(std::string(what));
  }
  void RequireField(uint32_t& out, std::string_view cls, std::string_view field) {
    Require(out, FindField(cls, field), "class_" + std::string(cls) + "__" + std::string(field));
  }
  void RequireType(uint16_t& out, std::string_view type_name) {
    Require(out, FindType(type_name), "type_*__" + std::string(type_name));
  }
  void RequireTypeAny(uint16_t& out, std::initializer_list<std::string_view> names) {
    for (auto n : names)
      if (auto v = FindType(n)) {
        out = static_cast<uint16_t>(*v);
        return;
      }
    missing_.insert("type_*__" + std::string(*names.begin()));
  }
  void Optional(std::optional<uint16_t>& out, std::string_view type_name) {
    if (auto v = FindType(type_name)) out = static_cast<uint16_t>(*v);
  }

  void IndexTypes() {
    for (const auto& [name, value] : layout_.constants) {
      if (!name.starts_with("type_")) continue;
      auto sep = name.find("__");
      if (sep == std::string::npos) continue;
      std::string type_name = name.substr(sep + 2);
      type_by_name_[type_name] = value;
      layout_.type_names[static_cast<uint16_t>(value)] = type_name;
    }
  }

  std::optional<uint64_t> ReadNodeOffset(std::string_view name) const {
    auto sym = symbols_.Find(name);
    if (!sym) return std::nullopt;
    if (sym->size == 4) {
      auto v = memory_.ReadValue<int32_t>(sym->address);
      if (v) return static_cast<uint64_t>(*v);
      return std::nullopt;
    }
    return memory_.ReadWord(sym->address);
  }

  void AddMissing(std::string what) { missing_.insert(std::move(what)); }
  const std::set<std::string>& missing() const { return missing_; }
  const std::vector<std::string>& unreadable() const { return unreadable_; }

 private:
  const Memory& memory_;
  const SymbolTable& symbols_;
  Layout& layout_;
  std::map<std::string, int64_t> type_by_name_;
  std::set<std::string> missing_;
  std::vector<std::string> unreadable_;
};

Version ReadVersion(const Memory& memory, const SymbolTable& symbols) {
  auto read = [&](const char* field) -> int {
    std::string name = std::string("_ZN2v88internal7Version") + field + "E";
    auto sym = symbols.Find(name);
    if (!sym) throw Error("not a node binary with V8: symbol v8::internal::Version missing");
    auto v = memory.ReadValue<int32_t>(sym->address);
    if (!v) throw Error("cannot read the V8 version from the target");
    return *v;
  };
  return Version{read("6major_"), read("6minor_"), read("6build_"), read("6patch_")};
}

// node::per_process::metadata.versions.node is the first std::string of the object.
std::string ReadNodeVersion(const Memory& memory, const SymbolTable& symbols) {
  auto sym = symbols.Find("_ZN4node11per_process8metadataE");
  if (!sym) return {};
  auto data = memory.ReadWord(sym->address);
  auto length = memory.ReadWord(sym->address + 8);
  if (!data || !length || *length == 0 || *length > 64) return {};
  std::string out(*length, '\0');
  if (memory.Read(*data, out.data(), out.size()) != out.size()) return {};
  return out;
}

void LoadStringTags(ConstantReader& c, StringTags& s) {
  c.Require(s.is_not_string_mask, c.Find("IsNotStringMask"), "IsNotStringMask");
  c.Require(s.representation_mask, c.Find("StringRepresentationMask"), "StringRepresentationMask");
  c.Require(s.encoding_mask, c.Find("StringEncodingMask"), "StringEncodingMask");
  c.Require(s.seq, c.Find("SeqStringTag"), "SeqStringTag");
  c.Require(s.cons, c.Find("ConsStringTag"), "ConsStringTag");
  c.Require(s.external, c.Find("ExternalStringTag"), "ExternalStringTag");
  c.Require(s.sliced, c.Find("SlicedStringTag"), "SlicedStringTag");
  c.Require(s.thin, c.Find("ThinStringTag"), "ThinStringTag");
  c.Require(s.one_byte, c.Find("OneByteStringTag"), "OneByteStringTag");
  c.Require(s.two_byte, c.Find("TwoByteStringTag"), "TwoByteStringTag");
  c.Require(s.first_nonstring_type, c.Find("FirstNonstringType"), "FirstNonstringType");
}

void LoadOffsets(ConstantReader& c, Offsets& o) {
  c.RequireField(o.map_instance_size_in_words, "Map", "instance_size_in_words");
  c.RequireField(o.map_inobject_start_or_ctor_index, "Map",
                 "inobject_properties_start_or_constructor_function_index");
  c.RequireField(o.map_instance_type, "Map", "instance_type");
  c.RequireField(o.map_bit_field, "Map", "bit_field");
  c.RequireField(o.map_bit_field2, "Map", "bit_field2");
  c.RequireField(o.map_bit_field3, "Map", "bit_field3");
  c.RequireField(o.map_prototype, "Map", "prototype");
  c.RequireField(o.map_constructor_or_back_pointer, "Map", "constructor_or_back_pointer");
  c.RequireField(o.map_instance_descriptors, "Map", "instance_descriptors");
  c.RequireField(o.fixed_array_length, "FixedArrayBase", "length");
  c.RequireField(o.fixed_array_data, "FixedArray", "data");
  c.RequireField(o.string_length, "String", "length");
  c.RequireField(o.seq_one_byte_chars, "SeqOneByteString", "chars");
  c.RequireField(o.seq_two_byte_chars, "SeqTwoByteString", "chars");
  c.RequireField(o.cons_first, "ConsString", "first");
  c.RequireField(o.cons_second, "ConsString", "second");
  c.RequireField(o.sliced_parent, "SlicedString", "parent");
  c.RequireField(o.sliced_offset, "SlicedString", "offset");
  c.RequireField(o.thin_actual, "ThinString", "actual");
  c.RequireField(o.external_resource, "ExternalString", "resource");
  c.RequireField(o.receiver_properties, "JSReceiver", "raw_properties_or_hash");
  c.RequireField(o.object_elements, "JSObject", "elements");
  c.RequireField(o.object_internal_fields, "JSObject", "internal_fields");
  c.RequireField(o.function_shared, "JSFunction", "shared");
  c.RequireField(o.function_context, "JSFunction", "context");
  auto optional_field = [&](std::optional<uint32_t>& out, const char* cls, const char* field) {
    if (auto v = c.FindField(cls, field)) out = static_cast<uint32_t>(*v);
  };
  optional_field(o.function_feedback_cell, "JSFunction", "raw_feedback_cell");
  optional_field(o.function_code, "JSFunction", "code");
  optional_field(o.function_prototype_or_initial_map, "JSFunction", "prototype_or_initial_map");
  c.RequireField(o.sfi_name_or_scope_info, "SharedFunctionInfo", "name_or_scope_info");
  auto script = c.FindField("SharedFunctionInfo", "script");
  if (!script) script = c.FindField("SharedFunctionInfo", "script_or_debug_info");
  c.Require(o.sfi_script, script, "class_SharedFunctionInfo__script");
  auto kind = c.FindField("Oddball", "kind");
  if (!kind) kind = c.FindField("Oddball", "kind_offset");
  c.Require(o.oddball_kind, kind, "class_Oddball__kind");
  c.RequireField(o.bytecode_array_header, "BytecodeArray", "data");
  c.Require(o.bit_field3_descriptors_mask, c.Find("bit_field3_number_of_own_descriptors_mask"),
            "bit_field3_number_of_own_descriptors_mask");
  c.Require(o.bit_field3_descriptors_shift, c.Find("bit_field3_number_of_own_descriptors_shift"),
            "bit_field3_number_of_own_descriptors_shift");
  c.Require(o.bit_field3_dictionary_map_shift, c.Find("bit_field3_is_dictionary_map_shift"),
            "bit_field3_is_dictionary_map_shift");
  c.Require(o.bit_field2_elements_kind_mask, c.Find("bit_field2_elements_kind_mask"),
            "bit_field2_elements_kind_mask");
  c.Require(o.bit_field2_elements_kind_shift, c.Find("bit_field2_elements_kind_shift"),
            "bit_field2_elements_kind_shift");
  c.RequireField(o.descriptor_header, "DescriptorArray", "header_size");
  c.Require(o.descriptor_size, c.Find("prop_desc_size"), "prop_desc_size");
  c.Require(o.descriptor_key, c.Find("prop_desc_key"), "prop_desc_key");
  c.Require(o.descriptor_details, c.Find("prop_desc_details"), "prop_desc_details");
  c.Require(o.descriptor_value, c.Find("prop_desc_value"), "prop_desc_value");
  c.Require(o.prop_index_mask, c.Find("prop_index_mask"), "prop_index_mask");
  c.Require(o.prop_index_shift, c.Find("prop_index_shift"), "prop_index_shift");
  c.Require(o.prop_location_mask, c.Find("prop_location_mask"), "prop_location_mask");
  c.Require(o.prop_location_shift, c.Find("prop_location_shift"), "prop_location_shift");
  c.Require(o.prop_location_field, c.Find("prop_location_Field"), "prop_location_Field");
  c.Require(o.prop_representation_mask, c.Find("prop_representation_mask"),
            "prop_representation_mask");
  c.Require(o.prop_representation_shift, c.Find("prop_representation_shift"),
            "prop_representation_shift");
  c.Require(o.prop_representation_double, c.Find("prop_representation_double"),
            "prop_representation_double");
  c.Require(o.prop_kind_mask, c.Find("prop_kind_mask"), "prop_kind_mask");
  c.Require(o.prop_kind_accessor, c.Find("prop_kind_Accessor"), "prop_kind_Accessor");
  c.Require(o.name_dictionary_prefix_start, c.Find("namedictionary_prefix_start_index"),
            "namedictionary_prefix_start_index");
  c.Require(o.name_dictionary_prefix_size, c.Find("namedictionaryshape_prefix_size"),
            "namedictionaryshape_prefix_size");
  c.Require(o.name_dictionary_entry_size, c.Find("namedictionaryshape_entry_size"),
            "namedictionaryshape_entry_size");
  c.Require(o.elements_dictionary_kind, c.Find("elements_dictionary_elements"),
            "elements_dictionary_elements");
  c.Require(o.elements_fast_kind, c.Find("elements_fast_elements"), "elements_fast_elements");
  c.Require(o.elements_fast_holey_kind, c.Find("elements_fast_holey_elements"),
            "elements_fast_holey_elements");
  c.RequireField(o.heap_number_value, "HeapNumber", "value");
  c.RequireField(o.date_value, "JSDate", "value");
  c.RequireField(o.regexp_source, "JSRegExp", "source");
  c.RequireField(o.array_buffer_byte_length, "JSArrayBuffer", "byte_length");
  c.RequireField(o.array_buffer_backing_store, "JSArrayBuffer", "backing_store");
  c.RequireField(o.view_byte_offset, "JSArrayBufferView", "byte_offset");
  c.RequireField(o.view_byte_length, "JSArrayBufferView", "byte_length");
  // JSTypedArray {raw length, external_pointer, base_pointer} after the view fields at every tag
  // (js-array-buffer.tq); 14.6 no longer exports the length, which still precedes
  // external_pointer [obs 26.12.1: typed arrays of known lengths].
  auto typed_length = c.FindField("JSTypedArray", "length");
  if (!typed_length)
    if (auto external = c.FindField("JSTypedArray", "external_pointer"))
      typed_length = *external - 8;
  c.Require(o.typed_array_length, typed_length, "class_JSTypedArray__length");
  c.RequireField(o.script_source, "Script", "source");
  c.RequireField(o.script_name, "Script", "name");
  c.RequireField(o.script_line_ends, "Script", "line_ends");
  c.RequireField(o.symbol_description, "Symbol", "name");
  if (auto start = c.FindField("UncompiledData", "start_position"))
    o.uncompiled_start_position = static_cast<uint32_t>(*start);
  c.Require(o.scopeinfo_first_vars, c.Find("scopeinfo_idx_first_vars"), "scopeinfo_idx_first_vars");
  c.Require(o.scopeinfo_ncontextlocals, c.Find("scopeinfo_idx_ncontextlocals"),
            "scopeinfo_idx_ncontextlocals");
  c.Require(o.context_min_slots, c.Find("context_min_slots"), "context_min_slots");
  c.Require(o.context_scope_info_index, c.Find("context_idx_scope_info"), "context_idx_scope_info");
  c.Require(o.context_previous_index, c.Find("context_idx_prev"), "context_idx_prev");
  c.Require(o.native_context_embedder_data, c.Find("native_context_embedder_data_offset"),
            "native_context_embedder_data_offset");
  c.Require(o.fp_context, c.Find("off_fp_context"), "off_fp_context");
  c.Require(o.fp_function, c.Find("off_fp_function"), "off_fp_function");
  c.Require(o.fp_bytecode_array, c.Find("off_fp_bytecode_array"), "off_fp_bytecode_array");
  c.Require(o.fp_bytecode_offset, c.Find("off_fp_bytecode_offset"), "off_fp_bytecode_offset");
  c.Require(o.fp_args, c.Find("off_fp_args"), "off_fp_args");
}

// Every v8dbg_frametype_<Name>Frame, by number.
void LoadFrameTypes(const Layout& layout, FrameTypes& out) {
  constexpr std::string_view kPrefix = "frametype_", kSuffix = "Frame";
  for (const auto& [name, value] : layout.constants) {
    if (!name.starts_with(kPrefix)) continue;
    std::string type = name.substr(kPrefix.size());
    if (type.ends_with(kSuffix)) type.resize(type.size() - kSuffix.size());
    out[static_cast<int>(value)] = type;
  }
}

void LoadTypes(ConstantReader& c, Types& t) {
  c.RequireType(t.map, "MAP_TYPE");
  c.RequireType(t.fixed_array, "FIXED_ARRAY_TYPE");
  c.RequireType(t.fixed_double_array, "FIXED_DOUBLE_ARRAY_TYPE");
  c.RequireType(t.byte_array, "BYTE_ARRAY_TYPE");
  c.RequireType(t.bytecode_array, "BYTECODE_ARRAY_TYPE");
  // Not exported from 14.6; the line's facts derive it then (version_facts.cpp).
  if (auto v = c.FindType("FREE_SPACE_TYPE")) t.free_space = static_cast<uint16_t>(*v);
  c.RequireType(t.heap_number, "HEAP_NUMBER_TYPE");
  c.RequireType(t.oddball, "ODDBALL_TYPE");
  c.RequireType(t.symbol, "SYMBOL_TYPE");
  c.RequireType(t.js_object, "JS_OBJECT_TYPE");
  c.Require(t.js_api_object, c.Find("APIObjectType"), "APIObjectType");
  c.Require(t.js_special_api_object, c.Find("SpecialAPIObjectType"), "SpecialAPIObjectType");
  c.RequireType(t.js_function, "JS_FUNCTION_TYPE");
  c.RequireType(t.js_array, "JS_ARRAY_TYPE");
  c.RequireType(t.js_array_buffer, "JS_ARRAY_BUFFER_TYPE");
  c.RequireType(t.js_typed_array, "JS_TYPED_ARRAY_TYPE");
  c.RequireType(t.js_data_view, "JS_DATA_VIEW_TYPE");
  c.RequireType(t.js_regexp, "JS_REG_EXP_TYPE");
  c.RequireType(t.js_date, "JS_DATE_TYPE");
  c.RequireType(t.js_error, "JS_ERROR_TYPE");
  c.RequireType(t.js_global_object, "JS_GLOBAL_OBJECT_TYPE");
  c.RequireType(t.js_global_proxy, "JS_GLOBAL_PROXY_TYPE");
  c.RequireType(t.js_bound_function, "JS_BOUND_FUNCTION_TYPE");
  c.RequireType(t.js_map, "JS_MAP_TYPE");
  c.RequireType(t.js_set, "JS_SET_TYPE");
  c.RequireType(t.js_promise, "JS_PROMISE_TYPE");
  c.RequireType(t.js_proxy, "JS_PROXY_TYPE");
  c.RequireType(t.shared_function_info, "SHARED_FUNCTION_INFO_TYPE");
  c.RequireType(t.script, "SCRIPT_TYPE");
  c.RequireType(t.scope_info, "SCOPE_INFO_TYPE");
  c.RequireType(t.descriptor_array, "DESCRIPTOR_ARRAY_TYPE");
  c.RequireType(t.strong_descriptor_array, "STRONG_DESCRIPTOR_ARRAY_TYPE");
  c.RequireType(t.weak_fixed_array, "WEAK_FIXED_ARRAY_TYPE");
  c.RequireType(t.weak_array_list, "WEAK_ARRAY_LIST_TYPE");
  c.RequireType(t.property_array, "PROPERTY_ARRAY_TYPE");
  c.RequireType(t.feedback_vector, "FEEDBACK_VECTOR_TYPE");
  c.RequireType(t.preparse_data, "PREPARSE_DATA_TYPE");
  c.RequireType(t.code, "CODE_TYPE");
  c.RequireType(t.allocation_site, "ALLOCATION_SITE_TYPE");
  c.RequireType(t.array_boilerplate_description, "ARRAY_BOILERPLATE_DESCRIPTION_TYPE");
  c.RequireType(t.regexp_boilerplate_description, "REG_EXP_BOILERPLATE_DESCRIPTION_TYPE");
  c.RequireType(t.prototype_info, "PROTOTYPE_INFO_TYPE");
  c.RequireType(t.enum_cache, "ENUM_CACHE_TYPE");
  c.Require(t.first_context, c.Find("FirstContextType"), "FirstContextType");
  c.Require(t.last_context, c.Find("LastContextType"), "LastContextType");
  t.first_js_receiver = t.js_proxy;
  if (auto v = c.Find("FirstJSFunctionType")) t.first_js_function = static_cast<uint16_t>(*v);
  if (auto v = c.Find("LastJSFunctionType")) t.last_js_function = static_cast<uint16_t>(*v);
  c.Optional(t.instruction_stream, "INSTRUCTION_STREAM_TYPE");
  c.Optional(t.trusted_byte_array, "TRUSTED_BYTE_ARRAY_TYPE");
  c.Optional(t.trusted_fixed_array, "TRUSTED_FIXED_ARRAY_TYPE");
  c.Optional(t.hole, "HOLE_TYPE");
  c.Optional(t.swiss_name_dictionary, "SWISS_NAME_DICTIONARY_TYPE");
  c.Optional(t.small_ordered_hash_map, "SMALL_ORDERED_HASH_MAP_TYPE");
  c.Optional(t.small_ordered_hash_set, "SMALL_ORDERED_HASH_SET_TYPE");
  c.Optional(t.small_ordered_name_dictionary, "SMALL_ORDERED_NAME_DICTIONARY_TYPE");
  c.Optional(t.embedder_data_array, "EMBEDDER_DATA_ARRAY_TYPE");
  c.Optional(t.sloppy_arguments_elements, "SLOPPY_ARGUMENTS_ELEMENTS_TYPE");
  c.Optional(t.coverage_info, "COVERAGE_INFO_TYPE");
  c.Optional(t.object_boilerplate_description, "OBJECT_BOILERPLATE_DESCRIPTION_TYPE");
  c.Optional(t.closure_feedback_cell_array, "CLOSURE_FEEDBACK_CELL_ARRAY_TYPE");
  c.Optional(t.array_list, "ARRAY_LIST_TYPE");
  c.Optional(t.external_pointer_array, "EXTERNAL_POINTER_ARRAY_TYPE");
  c.Optional(t.protected_fixed_array, "PROTECTED_FIXED_ARRAY_TYPE");
  c.Optional(t.js_weak_map, "JS_WEAK_MAP_TYPE");
  c.Optional(t.js_weak_set, "JS_WEAK_SET_TYPE");
  c.Optional(t.js_weak_ref, "JS_WEAK_REF_TYPE");
  c.Optional(t.js_rab_gsab_data_view, "JS_RAB_GSAB_DATA_VIEW_TYPE");
  c.Optional(t.wasm_memory_object, "WASM_MEMORY_OBJECT_TYPE");
  c.Optional(t.call_site_info, "CALL_SITE_INFO_TYPE");
  c.Optional(t.error_stack_data, "ERROR_STACK_DATA_TYPE");
  c.Optional(t.code_wrapper, "CODE_WRAPPER_TYPE");
  c.Optional(t.bytecode_wrapper, "BYTECODE_WRAPPER_TYPE");
  c.Optional(t.last_microtask, "PROMISE_RESOLVE_THENABLE_JOB_TASK_TYPE");
  c.Optional(t.load_handler, "LOAD_HANDLER_TYPE");
  c.Optional(t.store_handler, "STORE_HANDLER_TYPE");
}

void LoadNodeOffsets(ConstantReader& c, NodeOffsets& n) {
  n.environment_handle_wrap_queue = c.ReadNodeOffset(
      "nodedbg_offset_Environment__handle_wrap_queue___Environment_HandleWrapQueue");
  n.environment_req_wrap_queue =
      c.ReadNodeOffset("nodedbg_offset_Environment__req_wrap_queue___Environment_ReqWrapQueue");
  n.handle_wrap_queue_head =
      c.ReadNodeOffset("nodedbg_offset_Environment_HandleWrapQueue__head___ListNode_HandleWrap");
  n.req_wrap_queue_head =
      c.ReadNodeOffset("nodedbg_offset_Environment_ReqWrapQueue__head___ListNode_ReqWrapQueue");
  n.list_node_next = c.ReadNodeOffset("nodedbg_offset_ListNode_HandleWrap__next___uintptr_t");
  n.handle_wrap_queue_node =
      c.ReadNodeOffset("nodedbg_offset_HandleWrap__handle_wrap_queue___ListNode_HandleWrap");
  n.req_wrap_queue_node =
      c.ReadNodeOffset("nodedbg_offset_ReqWrap__req_wrap_queue___ListNode_ReqWrapQueue");
  n.base_object_persistent =
      c.ReadNodeOffset("nodedbg_offset_BaseObject__persistent_handle___v8_Persistent_v8_Object");
  n.environment_index = c.ReadNodeOffset("nodedbg_const_ContextEmbedderIndex__kEnvironment__int");
}

}  // namespace

std::string Version::ToString() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build) + "." +
         std::to_string(patch);
}

std::string Layout::TypeName(uint16_t type) const {
  auto it = type_names.find(type);
  if (it != type_names.end()) return it->second;
  return DerivedTypeName(*this, type);
}

// mortem reads heaps of 8-byte tagged values with 32-bit Smis, as the official Node builds have
// them. A pointer-compressed build (4-byte tagged values, 31-bit Smis: Electron, community images
// such as node-caged) is refused by name rather than misread.
void RefusePointerCompression(const ConstantReader& c, const Version& v8) {
  auto tagged = c.Find("TaggedSize");
  auto smi_shift = c.Find("SmiShiftSize");
  if ((tagged && *tagged != 8) || (smi_shift && *smi_shift != 31))
    throw Error("V8 " + v8.ToString() + " was built with pointer compression (TaggedSize " +
                std::to_string(tagged.value_or(-1)) + ", SmiShiftSize " +
                std::to_string(smi_shift.value_or(-1)) +
                "): mortem reads the official Node builds, which have none");
}

namespace {

// The RootsTable indices of the roots that keep nothing alive (Layout::gc_emptied_roots), by name
// from root_names_ (an array of C strings indexed by RootIndex; its symbol's size gives its
// length).
std::vector<uint32_t> ReadGcEmptiedRoots(const Memory& memory, const SymbolTable& symbols) {
  static constexpr std::string_view kEmptied[] = {
      "number_string_cache", "smi_string_cache",      "double_string_cache",
      "string_split_cache",  "regexp_multiple_cache", "regexp_match_global_atom_cache",
      "script_list"};
  constexpr uint64_t kMaxRoots = 4096;
  std::vector<uint32_t> out;
  auto sym = symbols.Find("_ZN2v88internal10RootsTable11root_names_E");
  if (!sym) return out;
  const uint64_t count = std::min<uint64_t>(sym->size / 8, kMaxRoots);
  for (uint64_t i = 0; i < count; ++i) {
    auto name_address = memory.ReadWord(sym->address + 8 * i);
    auto name = name_address ? memory.ReadCString(*name_address, 64) : std::nullopt;
    if (name && std::find(std::begin(kEmptied), std::end(kEmptied), *name) != std::end(kEmptied))
      out.push_back(static_cast<uint32_t>(i));
  }
  return out;
}

}  // namespace

Layout LoadLayout(const Memory& memory, const SymbolTable& symbols) {
  Layout layout;
  layout.v8 = ReadVersion(memory, symbols);
  layout.node_version = ReadNodeVersion(memory, symbols);
  ConstantReader c(memory, symbols, layout);
  if (layout.constants.empty())
    throw Error("the binary has no v8dbg_* postmortem metadata (V8 " + layout.v8.ToString() + ")");
  RefusePointerCompression(c, layout.v8);
  c.IndexTypes();
  LoadStringTags(c, layout.strings);
  LoadOffsets(c, layout.off);
  LoadTypes(c, layout.types);
  LoadNodeOffsets(c, layout.node);
  LoadFrameTypes(layout, layout.frame_types);
  if (layout.frame_types.empty()) {
    int none = 0;
    c.Require(none, std::nullopt, "frametype_*");
  }
  std::vector<std::string> fact_problems = ApplyVersionFacts(layout);
  for (auto& p : fact_problems) c.AddMissing(p);
  if (!c.missing().empty()) {
    std::string message = "V8 " + layout.v8.ToString() + ": missing layout constants:";
    for (const auto& m : c.missing()) message += " " + m;
    throw Error(message);
  }
  CheckLayoutRanges(layout);
  layout.gc_emptied_roots = ReadGcEmptiedRoots(memory, symbols);
  return layout;
}

}  // namespace mortem::v8

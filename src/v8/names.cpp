// Naming after V8's heap-snapshot-generator.cc (V8HeapExplorer::AddEntry, GetSystemEntryType)
// and js-objects.cc (JSReceiver::GetConstructorName), read at V8 10.2 (Node 18.20.4) and checked
// against snapshots written by Node 20/22/24; DevTools' Summary rows after HeapSnapshot.ts
// className(): hidden -> "(system)", code -> "(compiled code)", other non-objects -> "(type)".
#include "mortem/v8/names.h"

#include "mortem/v8/object_view.h"
#include "mortem/v8/tagged.h"
#include "scope_info.h"

namespace mortem::v8 {
namespace {

constexpr int kMaxPrototypeChain = 64;

}  // namespace

const char* KindName(NodeKind kind) {
  static const char* const kNames[] = {"hidden",
                                       "array",
                                       "string",
                                       "object",
                                       "code",
                                       "closure",
                                       "regexp",
                                       "number",
                                       "native",
                                       "synthetic",
                                       "concatenated string",
                                       "sliced string",
                                       "symbol",
                                       "bigint",
                                       "object shape"};
  return kNames[static_cast<int>(kind)];
}

Namer::Namer(const Memory& memory, const Layout& layout, const Heap& heap)
    : memory_(memory),
      layout_(layout),
      heap_(heap),
      maps_(memory, layout),
      strings_(memory, layout),
      properties_(memory, layout) {}

const MapInfo* Namer::MapOf(uint64_t tagged) {
  auto object = ObjectView::Of(memory_, Tagged(tagged));
  auto map = object ? object->Object(0) : std::nullopt;
  return map ? maps_.Get(map->address()) : nullptr;
}

std::optional<uint64_t> Namer::SharedOf(Address function) const {
  return ObjectView(memory_, function).Word(layout_.off.function_shared);
}

std::optional<uint64_t> Namer::SymbolDescription(uint64_t tagged_symbol) const {
  return ObjectView::At(memory_, Tagged(tagged_symbol)).Word(layout_.off.symbol_description);
}

std::optional<double> Namer::NumberValue(uint64_t tagged) {
  if (IsSmi(tagged)) return static_cast<double>(SmiValue(tagged));
  const MapInfo* map = MapOf(tagged);
  if (!map || map->instance_type != layout_.types.heap_number) return std::nullopt;
  return ObjectView::At(memory_, Tagged(tagged)).Read<double>(layout_.off.heap_number_value);
}

std::optional<std::string> Namer::PropertyCellName(Address cell, size_t max_chars) const {
  auto name = ObjectView(memory_, cell).Word(layout_.off.property_cell_name);
  auto text = name ? strings_.ReadTagged(*name, max_chars) : std::nullopt;
  return text ? std::optional<std::string>(std::move(text->utf8)) : std::nullopt;
}

TypeLabel Namer::Label(Address object, const MapInfo& map, bool in_read_only) {
  const uint16_t type = map.instance_type;
  const Types& t = layout_.types;
  if (layout_.IsJSFunction(type)) {
    std::string name = FunctionName(object);  // DevTools shows an anonymous one as "(anonymous)"
    return {NodeKind::kClosure, name.empty() ? "(anonymous)" : name};
  }
  if (type == t.symbol) {
    auto flags = ObjectView(memory_, object).Read<uint32_t>(layout_.off.symbol_flags);
    if (flags && (*flags & layout_.off.symbol_private_mask)) return {NodeKind::kHidden, "(system)"};
    return {NodeKind::kSymbol, "(symbol)"};
  }
  if (layout_.IsJSReceiver(type) && type != t.js_proxy && type != t.js_bound_function &&
      type != t.js_regexp) {
    // Constructor names depend on the map and its prototype chain only: cache per map.
    auto it = map_labels_.find(map.address);
    if (it != map_labels_.end()) return it->second;
    TypeLabel label{NodeKind::kObject, ConstructorName(object, map)};
    map_labels_.emplace(map.address, label);
    return label;
  }
  return LabelForMap(map, in_read_only);
}

TypeLabel Namer::LabelForMap(const MapInfo& map, bool in_read_only) {
  const uint16_t type = map.instance_type;
  const Types& t = layout_.types;
  if (layout_.IsString(type)) {
    auto shape = ShapeOf(layout_, type);
    if (shape.representation == StringShape::Representation::kCons)
      return {NodeKind::kConsString, "(concatenated string)"};
    if (shape.representation == StringShape::Representation::kSliced)
      return {NodeKind::kSlicedString, "(sliced string)"};
    return {NodeKind::kString, "(string)"};
  }
  if (type == t.js_bound_function) return {NodeKind::kClosure, "native_bind"};
  if (type == t.js_regexp) return {NodeKind::kRegExp, "(regexp)"};
  if (type == t.big_int) return {NodeKind::kBigInt, "(bigint)"};
  if (type == t.heap_number) return {NodeKind::kNumber, "(heap number)"};
  if (type == t.code || type == t.instruction_stream || type == t.shared_function_info ||
      type == t.script)
    return {NodeKind::kCode, "(compiled code)"};
  if (type == t.native_context) return {NodeKind::kHidden, "(system)"};
  if (layout_.IsContext(type)) return {NodeKind::kObject, "system / Context"};
  NodeKind kind = SystemKind(type);
  // "object shape" rows (from V8 11.3, the line's facts); maps in read-only space stay hidden.
  if (layout_.line->snapshot.object_shape_rows && !in_read_only &&
      (type == t.map || type == t.descriptor_array || type == t.strong_descriptor_array ||
       type == t.weak_fixed_array + 1 /* TRANSITION_ARRAY_TYPE */ ||
       IsNamed(type, "PROTOTYPE_INFO_TYPE") || IsNamed(type, "ENUM_CACHE_TYPE")))
    kind = NodeKind::kObjectShape;
  switch (kind) {
    case NodeKind::kCode:
      return {kind, "(compiled code)"};
    case NodeKind::kArray:
      return {kind, "(array)"};
    case NodeKind::kObjectShape:
      return {kind, "(object shape)"};
    default:
      return {NodeKind::kHidden, "(system)"};
  }
}

// V8HeapExplorer::GetSystemEntryType: code-like internals, then FixedArray-like arrays.
bool Namer::IsNamed(uint16_t type, const char* name) const {
  auto it = layout_.type_names.find(type);
  return it != layout_.type_names.end() && it->second == name;
}

NodeKind Namer::SystemKind(uint16_t type) const {
  const Types& t = layout_.types;
  auto named = [&](const char* name) { return IsNamed(type, name); };
  if (named("ALLOCATION_SITE_TYPE") || named("ARRAY_BOILERPLATE_DESCRIPTION_TYPE") ||
      type == t.bytecode_array || type == t.closure_feedback_cell_array ||
      named("CODE_DATA_CONTAINER_TYPE") || named("FEEDBACK_CELL_TYPE") ||
      type == t.feedback_metadata || type == t.feedback_vector || named("INTERPRETER_DATA_TYPE") ||
      type == t.load_handler || type == t.object_boilerplate_description ||
      type == t.preparse_data || named("REG_EXP_BOILERPLATE_DESCRIPTION_TYPE") ||
      type == t.scope_info || type == t.store_handler ||
      // 13.x: the wrappers of trusted Code and BytecodeArray objects.
      (layout_.line->snapshot.wrappers_are_code &&
       ((t.code_wrapper && type == *t.code_wrapper) ||
        (t.bytecode_wrapper && type == *t.bytecode_wrapper))) ||
      named("TEMPLATE_OBJECT_DESCRIPTION_TYPE") ||
      (t.uncompiled_data_first && type >= *t.uncompiled_data_first &&
       type <= *t.uncompiled_data_last))
    return NodeKind::kCode;
  if (auto it = layout_.type_names.find(type);
      it != layout_.type_names.end() &&
      (it->second.starts_with("TURBOFAN_") || it->second.starts_with("UNCOMPILED_DATA")))
    return NodeKind::kCode;
  if (layout_.IsFixedArrayShaped(type) || type == t.fixed_double_array || type == t.byte_array)
    return NodeKind::kArray;
  return NodeKind::kHidden;
}

std::string Namer::FunctionName(Address function) {
  auto sfi = SharedOf(function);
  if (!sfi) return "";
  return SharedFunctionName(*sfi, false);
}

// SharedFunctionInfo::Name (debug_name: DebugName, which falls back to the inferred name).
std::string Namer::SharedFunctionName(uint64_t tagged_sfi, bool debug_name) {
  uint64_t key = tagged_sfi ^ (debug_name ? 1ull << 63 : 0);
  auto it = sfi_names_.find(key);
  if (it != sfi_names_.end()) return it->second;
  std::string name;
  auto sfi = ObjectView::Of(memory_, Tagged(tagged_sfi));
  auto value = sfi ? sfi->Field(layout_.off.sfi_name_or_scope_info) : std::nullopt;
  if (value && value->IsStrong()) {
    const MapInfo* map = MapOf(value->raw());
    if (map && layout_.IsString(map->instance_type)) {
      auto s = strings_.ReadTagged(value->raw(), 256);
      if (s) name = s->utf8;
    } else if (map && map->instance_type == layout_.types.scope_info) {
      ScopeInfoReader reader(memory_, layout_);
      auto names = reader.FunctionNames(value->address());
      auto s = strings_.ReadTagged(names.function_name, 256);
      if (s) name = s->utf8;
      if (name.empty() && debug_name) {
        auto inferred = strings_.ReadTagged(names.inferred_name, 256);
        if (inferred) name = inferred->utf8;
      }
    }
  }
  sfi_names_.emplace(key, name);
  return name;
}

bool Namer::IsStringEqual(uint64_t tagged, std::string_view text) {
  const MapInfo* map = MapOf(tagged);
  if (!map || !layout_.IsString(map->instance_type)) return false;
  auto s = strings_.ReadTagged(tagged, text.size() + 1);
  return s && !s->truncated && s->utf8 == text;
}

bool Namer::IsToStringTagSymbol(uint64_t tagged) {
  const MapInfo* map = MapOf(tagged);
  if (!map || map->instance_type != layout_.types.symbol) return false;
  auto description = SymbolDescription(tagged);
  return description && IsStringEqual(*description, "Symbol.toStringTag");
}

std::string Namer::ConstructorName(Address object, const MapInfo& map) {
  const Offsets& o = layout_.off;
  // 1. The map's constructor, for instances made with new.target == constructor.
  const bool new_target_is_base = (map.bit_field2 >> o.bit_field2_new_target_is_base_bit) & 1;
  const bool prototype_map = (map.bit_field3 >> o.bit_field3_is_prototype_map_bit) & 1;
  if (new_target_is_base && !prototype_map) {
    auto ctor = ObjectView(memory_, map.address).Word(o.map_constructor_or_back_pointer);
    for (int i = 0; ctor && i < 1024; ++i) {  // back pointers lead to the root map
      const MapInfo* m = MapOf(*ctor);
      if (!m || m->instance_type != layout_.types.map) break;
      ctor = ObjectView::At(memory_, Tagged(*ctor)).Word(o.map_constructor_or_back_pointer);
    }
    if (ctor) {
      const MapInfo* m = MapOf(*ctor);
      if (m && layout_.IsJSFunction(m->instance_type)) {
        auto sfi = ObjectView::At(memory_, Tagged(*ctor)).Word(o.function_shared);
        std::string name = sfi ? SharedFunctionName(*sfi, true) : "";
        if (!name.empty() && name != "Object") return name;
      }
    }
  }
  // 2. @@toStringTag, and "constructor" from the first prototype on.
  uint64_t current = object + 1;
  const MapInfo* current_map = &map;
  for (int depth = 0; depth < kMaxPrototypeChain && current_map; ++depth) {
    if (layout_.IsJSReceiver(current_map->instance_type) &&
        current_map->instance_type != layout_.types.js_proxy) {
      auto props = properties_.OwnProperties(current - 1, *current_map);
      for (const auto& p : props) {
        if (p.is_accessor) continue;
        if (IsToStringTagSymbol(p.key)) {
          const MapInfo* vm = MapOf(p.value);
          if (vm && layout_.IsString(vm->instance_type)) {
            auto s = strings_.ReadTagged(p.value, 256);
            if (s) return s->utf8;
          }
        }
      }
      if (depth > 0) {
        for (const auto& p : props) {
          if (p.is_accessor || !IsStringEqual(p.key, "constructor")) continue;
          const MapInfo* vm = MapOf(p.value);
          if (vm && layout_.IsJSFunction(vm->instance_type)) {
            auto sfi = ObjectView::At(memory_, Tagged(p.value)).Word(o.function_shared);
            std::string name = sfi ? SharedFunctionName(*sfi, true) : "";
            if (!name.empty() && name != "Object") return name;
          }
        }
      }
    }
    auto proto = ObjectView(memory_, current_map->address).Object(o.map_prototype);
    if (!proto) break;
    current = proto->tagged().raw();
    current_map = MapOf(current);
  }
  // 3. JSReceiver::class_name.
  return ClassName(map);
}

std::string Namer::ClassName(const MapInfo& map) const {
  const Types& t = layout_.types;
  uint16_t type = map.instance_type;
  if (type == t.js_global_proxy || type == t.js_global_object) return "global";
  if (layout_.IsJSFunction(type)) return "Function";
  if (type == t.js_array) return "Array";
  if (type == t.js_array_buffer) return "ArrayBuffer";
  if (type == t.js_date) return "Date";
  if (type == t.js_error) return "Error";
  if (type == t.js_map) return "Map";
  if (type == t.js_set) return "Set";
  if (type == t.js_regexp) return "RegExp";
  if (type == t.js_weak_map) return "WeakMap";
  if (type == t.js_weak_set) return "WeakSet";
  if (type == t.js_promise) return "Promise";
  return "Object";
}

}  // namespace mortem::v8

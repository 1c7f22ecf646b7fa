#include "mortem/v8/values.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "mortem/v8/object_size.h"
#include "mortem/v8/object_view.h"
#include "mortem/v8/scripts.h"
#include "mortem/v8/tagged.h"
#include "scope_info.h"

namespace mortem::v8 {
namespace {

constexpr int64_t kMaxTableEntries = 1 << 24;

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  // Shortest form that reads back the same.
  for (int precision = 1; precision < 17; ++precision) {
    char shorter[40];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, d);
    if (std::strtod(shorter, nullptr) == d) return shorter;
  }
  return buf;
}

std::string Quote(const std::string& s, bool truncated) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else
      out += c;
  }
  out += truncated ? "\"…" : "\"";
  return out;
}

}  // namespace

ValueReader::ValueReader(const Memory& memory, const Layout& layout, const Heap& heap)
    : memory_(memory), layout_(layout), heap_(heap), namer_(memory, layout, heap) {}

Value ValueReader::Read(uint64_t tagged, const ValueLimits& limits) {
  return ReadAt(tagged, limits, 0);
}

std::string ValueReader::KeyName(uint64_t key) {
  const MapInfo* map = namer_.MapOf(key);
  if (!map) return "?";
  if (layout_.IsString(map->instance_type)) {
    auto s = namer_.strings().ReadTagged(key, 128);
    return s ? s->utf8 : "?";
  }
  if (map->instance_type == layout_.types.symbol) {
    auto description = namer_.SymbolDescription(key);
    auto s = description ? namer_.strings().ReadTagged(*description, 128) : std::nullopt;
    return "Symbol(" + (s ? s->utf8 : std::string()) + ")";
  }
  return "?";
}

Value ValueReader::ReadAt(uint64_t tagged, const ValueLimits& limits, int depth) {
  Value v;
  const Tagged value(tagged);
  if (value.IsSmi()) {
    v.kind = Value::Kind::kSmi;
    v.type = "smi";
    v.text = std::to_string(value.SmiValue());
    return v;
  }
  if (!value.IsStrong()) {
    v.text = value.IsWeak() ? "<weak reference>" : "<not a value>";
    return v;
  }
  v.address = value.address();
  const ObjectView object(memory_, v.address);
  const MapInfo* map = namer_.MapOf(tagged);
  if (!map) {
    v.text = "<unreadable object>";
    return v;
  }
  const Types& t = layout_.types;
  const Offsets& o = layout_.off;
  const uint16_t type = map->instance_type;
  v.instance_type = layout_.TypeName(type);
  v.type = v.instance_type;
  if (layout_.IsString(type)) {
    v.kind = Value::Kind::kString;
    auto s = namer_.strings().ReadTagged(tagged, limits.string_chars);
    v.type = std::string(ShapeOf(layout_, type).Name()) + " string";
    if (s) {
      v.text = Quote(s->utf8, s->truncated);
      v.truncated = s->truncated;
    } else {
      v.text = "<unreadable string>";
    }
    return v;
  }
  if (type == t.heap_number) {
    v.kind = Value::Kind::kNumber;
    v.type = "number";
    auto d = object.Read<double>(o.heap_number_value);
    v.text = d ? FormatDouble(*d) : "<unreadable number>";
    return v;
  }
  if (type == t.oddball || (t.hole && type == *t.hole)) {
    v.kind = Value::Kind::kOddball;
    const RootIndices& r = layout_.isolate.roots;
    const std::pair<int, const char*> kRoots[] = {{r.undefined, "undefined"},
                                                  {r.null, "null"},
                                                  {r.true_value, "true"},
                                                  {r.false_value, "false"},
                                                  {r.the_hole, "<the_hole>"}};
    v.text = "<oddball>";
    for (auto [index, name] : kRoots)
      if (heap_.Root(index) == tagged) v.text = name;
    v.type = v.text;
    return v;
  }
  if (type == t.symbol) {
    v.kind = Value::Kind::kSymbol;
    v.type = "symbol";
    v.text = KeyName(tagged);
    return v;
  }
  if (type == t.big_int) {
    v.kind = Value::Kind::kBigInt;
    v.type = "bigint";
    auto bits = object.Read<uint32_t>(BigIntShape::kBitfield);
    auto digit = object.Word(BigIntShape::kDigits);
    uint32_t length = bits ? BigIntShape::Length(*bits) : 0;
    bool negative = bits && BigIntShape::Negative(*bits);
    if (length == 0)
      v.text = "0n";
    else if (length == 1 && digit)
      v.text = (negative ? "-" : "") + std::to_string(*digit) + "n";
    else
      v.text =
          std::string(negative ? "-" : "") + "<" + std::to_string(length * 64) + "-bit bigint>";
    return v;
  }
  if (!layout_.IsJSReceiver(type)) {
    v.kind = Value::Kind::kInternal;
    v.text = v.instance_type;
    return v;
  }
  v.type = namer_.Label(v.address, *map, false).name;
  if (layout_.IsJSFunction(type)) {
    v.kind = Value::Kind::kFunction;
    ReadFunction(v, v.address);
  } else {
    v.kind = type == t.js_array ? Value::Kind::kArray : Value::Kind::kObject;
  }
  if (type == t.js_date) {
    auto date = object.Word(o.date_value);
    if (date) v.text = "Date(" + ReadAt(*date, limits, limits.depth).text + ")";
  } else if (type == t.js_regexp) {
    auto source = object.Word(o.regexp_source);
    auto s = source ? namer_.strings().ReadTagged(*source, limits.string_chars) : std::nullopt;
    v.text = "/" + (s ? s->utf8 : std::string("?")) + "/";
  } else if (type == t.js_array_buffer) {
    auto length = object.Word(o.array_buffer_byte_length);
    auto store = object.Word(o.array_buffer_backing_store);
    char buf[96];
    std::snprintf(buf, sizeof buf, "ArrayBuffer(%llu bytes at 0x%llx)",
                  static_cast<unsigned long long>(length.value_or(0)),
                  static_cast<unsigned long long>(store.value_or(0)));
    v.text = buf;
  } else if (type == t.js_typed_array || type == t.js_data_view) {
    auto offset = object.Word(o.view_byte_offset);
    auto length = object.Word(o.view_byte_length);
    auto buffer = object.Word(o.view_buffer);
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s(byte_offset %llu, byte_length %llu, buffer 0x%llx)",
                  v.type.c_str(), static_cast<unsigned long long>(offset.value_or(0)),
                  static_cast<unsigned long long>(length.value_or(0)),
                  static_cast<unsigned long long>(buffer.value_or(1) - 1));
    v.text = buf;
  }
  if (depth >= limits.depth) return v;
  if (type == t.js_map || type == t.js_set)
    ReadCollection(v, v.address, type == t.js_map, limits, depth);
  ReadObject(v, v.address, *map, limits, depth);
  ReadElements(v, v.address, *map, limits, depth);
  return v;
}

void ValueReader::ReadObject(Value& v, Address address, const MapInfo& map,
                             const ValueLimits& limits, int depth) {
  PropertyReader reader(memory_, layout_);
  auto properties = reader.OwnProperties(address, map, limits.properties);
  // Those left out are counted from the object's own count, not by reading them all.
  auto total = reader.CountOwn(address, map);
  if (total && *total > properties.size()) v.omitted_children += *total - properties.size();
  for (const auto& p : properties) {
    std::string key = KeyName(p.key);
    if (p.is_accessor) {
      Value accessor;
      accessor.kind = Value::Kind::kInternal;
      accessor.text = "<accessor>";
      v.children.emplace_back(key, accessor);
    } else {
      v.children.emplace_back(key, ReadAt(p.value, limits, depth + 1));
    }
  }
}

void ValueReader::ReadElements(Value& v, Address address, const MapInfo& map,
                               const ValueLimits& limits, int depth) {
  const Offsets& o = layout_.off;
  uint32_t kind =
      (map.bit_field2 & o.bit_field2_elements_kind_mask) >> o.bit_field2_elements_kind_shift;
  const ObjectView object(memory_, address);
  auto elements = object.Object(o.object_elements);
  if (!elements) return;
  auto capacity = elements->Smi(o.fixed_array_length);
  if (!capacity) return;
  int64_t count = *capacity;
  if (map.instance_type == layout_.types.js_array) {
    if (auto length = object.Smi(o.js_array_length)) {
      count = std::min<int64_t>(count, *length);
      v.text = "Array(" + std::to_string(*length) + ")";
    }
  }
  if (kind == o.elements_dictionary_kind) {
    v.text += v.text.empty() ? "<dictionary elements>" : " <dictionary elements>";
    return;
  }
  bool doubles = kind == 4 || kind == 5;  // PACKED_DOUBLE_ELEMENTS, HOLEY_DOUBLE_ELEMENTS
  bool tagged = kind <= o.elements_fast_holey_kind;
  if (!doubles && !tagged) return;
  for (int64_t i = 0; i < count; ++i) {
    if (static_cast<size_t>(i) >= limits.elements) {
      v.omitted_children += static_cast<size_t>(count - i);
      break;
    }
    const uint64_t slot = o.fixed_array_data + static_cast<uint64_t>(i) * 8;
    Value element;
    if (doubles) {
      auto d = elements->Read<double>(slot);
      auto raw = elements->Word(slot);
      element.kind = Value::Kind::kNumber;
      element.type = "number";
      // The hole in a double array is a signalling NaN bit pattern (kHoleNanInt64).
      element.text = !d                                       ? "<unreadable>"
                     : (raw && *raw == 0xFFF7FFFFFFF7FFFFull) ? "<hole>"
                                                              : FormatDouble(*d);
    } else {
      auto word = elements->Word(slot);
      if (!word) break;
      element = ReadAt(*word, limits, depth + 1);
    }
    v.children.emplace_back("[" + std::to_string(i) + "]", element);
  }
}

void ValueReader::ReadCollection(Value& v, Address address, bool is_map, const ValueLimits& limits,
                                 int depth) {
  // OrderedHashMap/Set: [elements, deleted, buckets], buckets, then entries of
  // (key, [value], chain).
  const Offsets& o = layout_.off;
  auto table = ObjectView(memory_, address).Object(o.collection_table);
  if (!table) return;
  const uint64_t base = o.fixed_array_data;
  auto elements = table->Smi(base);
  auto deleted = table->Word(base + 8);
  auto buckets = table->Smi(base + 16);
  if (!elements || !deleted || !buckets) return;
  int64_t live = *elements, dead = SmiValue(*deleted), nb = *buckets;
  if (live < 0 || dead < 0 || nb < 0 || live + dead > kMaxTableEntries || nb > kMaxTableEntries)
    return;
  v.text = std::string(is_map ? "Map" : "Set") + "(" + std::to_string(live) + ")";
  const uint64_t entry_size = is_map ? o.ordered_map_entry_words : o.ordered_set_entry_words;
  uint64_t the_hole = heap_.Root(layout_.isolate.roots.the_hole);
  size_t shown = 0;
  for (int64_t i = 0; i < live + dead; ++i) {
    const uint64_t entry = base + (o.ordered_table_prefix_words + nb + i * entry_size) * 8;
    auto key = table->Word(entry);
    if (!key) break;
    if (*key == the_hole) continue;
    if (shown >= limits.elements) {
      ++v.omitted_children;
      continue;
    }
    Value key_value = ReadAt(*key, limits, depth + 1);
    if (is_map) {
      auto value = table->Word(entry + 8);
      v.children.emplace_back(key_value.text.empty() ? key_value.type : key_value.text,
                              value ? ReadAt(*value, limits, depth + 1) : Value{});
    } else {
      v.children.emplace_back("[" + std::to_string(shown) + "]", key_value);
    }
    ++shown;
  }
}

void ValueReader::ReadFunction(Value& v, Address address) {
  std::string name = namer_.FunctionName(address);
  v.text = "function " + (name.empty() ? std::string("(anonymous)") : name) + "()";
  auto sfi = namer_.SharedOf(address);
  if (!sfi) return;
  ScriptReader scripts(memory_, layout_, namer_);
  auto script = scripts.ScriptOf(*sfi);
  if (!script) return;
  v.text += " at " + scripts.Locate(*script, scripts.FunctionStart(*sfi)).ToString();
}

std::string ValueReader::Summarise(const Value& v, size_t max_length) {
  std::string out;
  if (v.kind == Value::Kind::kObject || v.kind == Value::Kind::kArray) {
    out = v.text.empty() ? v.type : v.text;
    if (!v.children.empty() || v.omitted_children) {
      out += v.kind == Value::Kind::kArray ? " [" : " {";
      bool first = true;
      for (const auto& [key, child] : v.children) {
        if (!first) out += ", ";
        first = false;
        if (v.kind != Value::Kind::kArray) out += key + ": ";
        out += child.text.empty() ? child.type : child.text;
        if (out.size() > max_length) break;
      }
      if (v.omitted_children) out += ", …";
      out += v.kind == Value::Kind::kArray ? "]" : "}";
    }
  } else {
    out = v.text.empty() ? v.type : v.text;
  }
  if (out.size() > max_length) out = out.substr(0, max_length) + "…";
  return out;
}

std::string ValueReader::Preview(uint64_t tagged, size_t max_length) {
  ValueLimits limits;
  limits.depth = 1;
  limits.properties = 8;
  limits.elements = 8;
  limits.string_chars = 64;
  return Summarise(ReadAt(tagged, limits, 0), max_length);
}

}  // namespace mortem::v8

#include "mortem/v8/scripts.h"

#include <algorithm>

#include "mortem/v8/tagged.h"
#include "scope_info.h"

namespace mortem::v8 {
namespace {

constexpr size_t kMaxSourceChars = 16 << 20;   // characters read to find a line
constexpr size_t kMaxLineChars = 512;          // characters shown per source line
constexpr size_t kMaxPositionTable = 1 << 20;  // bytes of a position table decoded

// One unsigned VLQ integer; false at the end of the bytes or on an over-long encoding.
bool DecodeUnsigned(std::span<const std::byte> bytes, size_t& index, uint64_t& out) {
  uint64_t decoded = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (index >= bytes.size()) return false;
    auto current = static_cast<uint8_t>(bytes[index++]);
    decoded |= static_cast<uint64_t>(current & 0x7f) << shift;
    if ((current & 0x80) == 0) {
      out = decoded;
      return true;
    }
  }
  return false;
}

// One VLQ zig-zag integer.
bool DecodeInt(std::span<const std::byte> bytes, size_t& index, int64_t& out) {
  uint64_t decoded = 0;
  if (!DecodeUnsigned(bytes, index, decoded)) return false;
  out = static_cast<int64_t>(decoded >> 1) ^ -static_cast<int64_t>(decoded & 1);
  return true;
}

// The next entry's code offset delta and source position delta, in the line's encoding.
bool DecodeEntry(const Offsets& o, std::span<const std::byte> table, size_t& index,
                 int64_t& code_delta, int64_t& position_delta) {
  position_delta = 0;
  if (!o.source_position_flagged_code) {
    int64_t signed_code = 0;
    if (!DecodeInt(table, index, signed_code) || !DecodeInt(table, index, position_delta))
      return false;
    // The sign of the code offset marks "is statement": x >= 0 is x, x < 0 is -(x+1).
    code_delta = signed_code >= 0 ? signed_code : -(signed_code + 1);
    return true;
  }
  uint64_t packed = 0;
  if (!DecodeUnsigned(table, index, packed)) return false;
  code_delta = static_cast<int64_t>(packed >> 2);
  if ((packed & 2) != 0 && !DecodeInt(table, index, position_delta)) return false;
  return true;
}

// A SourcePosition's script offset: -1 for an external (inlined-from-elsewhere) position.
int64_t ScriptOffsetOf(const Offsets& o, int64_t raw) {
  if ((raw >> o.source_position_external_bit) & 1) return -1;
  return ((raw >> o.source_position_offset_shift) &
          ((int64_t{1} << o.source_position_offset_bits) - 1)) -
         1;
}

}  // namespace

std::string SourceLocation::ToString() const {
  std::string out = script.empty() ? "<unknown script>" : script;
  if (line > 0) out += ":" + std::to_string(line);
  if (line > 0 && column > 0) out += ":" + std::to_string(column);
  return out;
}

int64_t LookupSourcePosition(const Offsets& o, std::span<const std::byte> table,
                             int64_t code_offset) {
  size_t index = 0;
  // Deltas start from the function-entry entry: code offset -1 (kFunctionEntryBytecodeOffset),
  // position 0 (PositionTableEntry's defaults).
  int64_t entry_code = -1, entry_position = 0, found = -1;
  while (index < table.size()) {
    int64_t code_delta = 0, position_delta = 0;
    if (!DecodeEntry(o, table, index, code_delta, position_delta)) break;
    entry_code += code_delta;
    entry_position += position_delta;
    if (entry_code > code_offset) break;
    found = ScriptOffsetOf(o, entry_position);
  }
  return found;
}

std::optional<uint64_t> ScriptReader::ScriptOf(uint64_t tagged_sfi) {
  auto sfi = ObjectView::Of(memory_, Tagged(tagged_sfi));
  auto script = sfi ? sfi->Word(layout_.off.sfi_script) : std::nullopt;
  const MapInfo* map = script ? namer_.MapOf(*script) : nullptr;
  if (!map || map->instance_type != layout_.types.script) return std::nullopt;
  return *script;
}

std::string ScriptReader::Name(uint64_t tagged_script) {
  auto name = At(tagged_script).Word(layout_.off.script_name);
  auto s = name ? namer_.strings().ReadTagged(*name, 1024) : std::nullopt;
  return s ? s->utf8 : "";
}

std::optional<std::string> ScriptReader::Source(uint64_t tagged_script, size_t max_chars) {
  auto source = At(tagged_script).Word(layout_.off.script_source);
  if (!source) return std::nullopt;
  auto s = namer_.strings().ReadTagged(*source, std::min(max_chars, kMaxSourceChars));
  if (!s) return std::nullopt;
  return std::move(s->utf8);
}

SourceLocation ScriptReader::Locate(uint64_t tagged_script, int64_t position) {
  SourceLocation at{Name(tagged_script), 0, 0};
  if (position < 0) return at;
  auto text = Source(tagged_script, static_cast<size_t>(position));
  if (!text) return at;
  at.line = 1, at.column = 1;
  for (char c : *text) {
    if (c == '\n')
      ++at.line, at.column = 1;
    else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
      ++at.column;
  }
  return at;
}

std::vector<SourceLine> ScriptReader::Lines(uint64_t tagged_script, int first, int count) {
  std::vector<SourceLine> lines;
  if (first < 1 || count <= 0) return lines;
  auto text = Source(tagged_script, kMaxSourceChars);
  if (!text) return lines;
  int number = 1;
  size_t start = 0;
  while (start <= text->size() && number < first + count) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    if (number >= first)
      lines.push_back(
          SourceLine{number, text->substr(start, std::min(end - start, kMaxLineChars))});
    if (end == text->size()) break;
    start = end + 1, ++number;
  }
  return lines;
}

int64_t ScriptReader::FunctionStart(uint64_t tagged_sfi) {
  auto sfi = ObjectView::Of(memory_, Tagged(tagged_sfi));
  if (!sfi) return -1;
  auto scope = sfi->Word(layout_.off.sfi_name_or_scope_info);
  const MapInfo* map = scope ? namer_.MapOf(*scope) : nullptr;
  if (!map || map->instance_type != layout_.types.scope_info) return UncompiledStart(tagged_sfi);
  return ScopeInfoReader(memory_, layout_).FunctionNames(Tagged(*scope).address()).position_start;
}

int64_t ScriptReader::UncompiledStart(uint64_t tagged_sfi) {
  // A function never compiled has no ScopeInfo; its function data is an UncompiledData that
  // holds the source range. The field's offset is not exported on every line (a trusted pointer
  // from V8 12 on, plain without the sandbox, as Node builds it): it is the SFI's one slot
  // pointing at an object of an UncompiledData type.
  if (!layout_.off.uncompiled_start_position) return -1;
  auto is_uncompiled_data = [&](uint16_t type) {
    auto it = layout_.type_names.find(type);
    return it != layout_.type_names.end() && it->second.starts_with("UNCOMPILED_DATA");
  };
  const MapInfo* sfi_map = namer_.MapOf(tagged_sfi);
  if (!sfi_map || sfi_map->instance_size == 0 || sfi_map->instance_size > 256) return -1;
  const ObjectView sfi = At(tagged_sfi).Sized(sfi_map->instance_size);
  for (uint64_t at = 8; at + 8 <= sfi_map->instance_size; at += 8) {
    auto data = sfi.Object(at);
    const MapInfo* map = data ? namer_.MapOf(data->tagged().raw()) : nullptr;
    if (!map || !is_uncompiled_data(map->instance_type)) continue;
    auto start = data->Read<int32_t>(*layout_.off.uncompiled_start_position);
    return start && *start >= 0 ? *start : -1;
  }
  return -1;
}

std::optional<std::string> ScriptReader::FunctionSource(uint64_t tagged_sfi, size_t max_chars) {
  auto script = ScriptOf(tagged_sfi);
  if (!script) return std::nullopt;
  auto scope = At(tagged_sfi).Word(layout_.off.sfi_name_or_scope_info);
  const MapInfo* map = scope ? namer_.MapOf(*scope) : nullptr;
  if (!map || map->instance_type != layout_.types.scope_info) return std::nullopt;
  auto names = ScopeInfoReader(memory_, layout_).FunctionNames(Tagged(*scope).address());
  if (names.position_start < 0 || names.position_end <= names.position_start) return std::nullopt;
  auto end = static_cast<size_t>(names.position_end);
  auto text = Source(*script, end);
  if (!text) return std::nullopt;
  // Positions count UTF-16 units; Source() gives UTF-8: walk to the start by code units.
  size_t units = 0, at = 0;
  while (at < text->size() && units < static_cast<size_t>(names.position_start)) {
    auto c = static_cast<unsigned char>((*text)[at]);
    size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    units += length == 4 ? 2 : 1;
    at += length;
  }
  std::string source = text->substr(std::min(at, text->size()));
  if (source.size() > max_chars) source.resize(max_chars);
  return source;
}

int64_t ScriptReader::PositionOfBytecodeOffset(uint64_t tagged_bytecode_array,
                                               int64_t bytecode_offset) {
  const MapInfo* map = namer_.MapOf(tagged_bytecode_array);
  if (!map || map->instance_type != layout_.types.bytecode_array) return -1;
  auto table = At(tagged_bytecode_array).Word(layout_.off.bytecode_array_source_positions);
  const MapInfo* table_map = table ? namer_.MapOf(*table) : nullptr;
  bool is_byte_array = table_map && (table_map->instance_type == layout_.types.byte_array ||
                                     table_map->instance_type == layout_.types.trusted_byte_array);
  if (!is_byte_array) return -1;
  const ObjectView positions = At(*table);
  auto length = positions.Smi(layout_.off.fixed_array_length);
  if (!length || *length < 0) return -1;
  auto bytes = std::min<uint64_t>(*length, kMaxPositionTable);
  std::vector<std::byte> buffer(bytes);
  buffer.resize(
      memory_.Read(positions.address() + layout_.off.byte_array_data, buffer.data(), bytes));
  return LookupSourcePosition(layout_.off, buffer, bytecode_offset);
}

}  // namespace mortem::v8

#include "mortem/v8/object_fields.h"

#include <algorithm>

#include "mortem/v8/object_view.h"
#include "mortem/v8/strings.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {

uint64_t ArrayBufferByteLength(const Layout& layout, const HeapObject& buffer) {
  return buffer.Word(layout.off.array_buffer_byte_length);
}

std::optional<uint64_t> ArrayBufferMaxByteLengthAt(const Memory& memory, const Layout& layout,
                                                   Address buffer) {
  return ObjectView(memory, buffer).Word(layout.off.array_buffer_max_byte_length);
}

ArrayBufferFields ArrayBufferOf(const Layout& layout, const HeapObject& buffer) {
  const Offsets& o = layout.off;
  ArrayBufferFields b;
  b.byte_length = ArrayBufferByteLength(layout, buffer);
  b.max_byte_length = buffer.Word(o.array_buffer_max_byte_length);
  b.backing_store = buffer.Word(o.array_buffer_backing_store);
  const auto bits = static_cast<uint32_t>(buffer.Word(o.array_buffer_bit_field));
  b.external = bits >> o.array_buffer_external_bit & 1;
  b.detached = bits >> o.array_buffer_detached_bit & 1;
  b.shared = bits >> o.array_buffer_shared_bit & 1;
  b.resizable = bits >> o.array_buffer_resizable_bit & 1;
  // max_byte_length is meaningful only for resizable buffers (and wasm memories).
  if (!b.resizable) b.max_byte_length = b.byte_length;
  return b;
}

bool IsArrayBufferView(const Layout& layout, uint16_t type) {
  const Types& t = layout.types;
  return type == t.js_typed_array || type == t.js_data_view ||
         (t.js_rab_gsab_data_view && type == *t.js_rab_gsab_data_view);
}

std::optional<ViewFields> ViewOf(const Layout& layout, const HeapObject& view) {
  const Offsets& o = layout.off;
  const Tagged buffer(view.Word(o.view_buffer));
  if (!buffer.IsStrong()) return std::nullopt;
  return ViewFields{.buffer = buffer.address(),
                    .byte_offset = view.Word(o.view_byte_offset),
                    .byte_length = view.Word(o.view_byte_length)};
}

std::optional<Address> WasmMemoryBufferOf(const Layout& layout, const HeapObject& memory) {
  const Tagged buffer(memory.Word(layout.off.wasm_memory_array_buffer));
  if (!buffer.IsStrong()) return std::nullopt;
  return buffer.address();
}

int32_t StringLengthOf(const Layout& layout, const HeapObject& string) {
  return string.bytes().Read<int32_t>(layout.off.string_length).value_or(0);
}

std::optional<SeqChars> SeqStringChars(const Layout& layout, const HeapObject& string) {
  const uint16_t type = string.map->instance_type;
  if (!layout.IsString(type)) return std::nullopt;
  const StringShape shape = ShapeOf(layout, type);
  if (shape.representation != StringShape::Representation::kSeq) return std::nullopt;
  const Offsets& o = layout.off;
  const uint32_t data = shape.one_byte ? o.seq_one_byte_chars : o.seq_two_byte_chars;
  if (string.size <= data || string.body.size() < string.size) return std::nullopt;
  auto length = string.bytes().Read<int32_t>(o.string_length);
  if (!length) return std::nullopt;
  const uint64_t bytes = static_cast<uint64_t>(std::max(*length, 0)) * (shape.one_byte ? 1 : 2);
  if (bytes > string.size - data) return std::nullopt;  // not a sane string
  return SeqChars{string.body.subspan(data, bytes), shape.one_byte};
}

uint64_t FunctionSharedOf(const Layout& layout, const HeapObject& function) {
  return function.Word(layout.off.function_shared);
}

bool IsPrivateSymbol(const Layout& layout, const HeapObject& symbol) {
  const auto flags = symbol.bytes().Read<uint32_t>(layout.off.symbol_flags).value_or(0);
  return (flags & layout.off.symbol_private_mask) != 0;
}

std::optional<int64_t> NormalScriptId(const Layout& layout, const HeapObject& script) {
  const Tagged id(script.Word(layout.off.script_id));
  const uint64_t type = script.Word(layout.off.script_type);
  if (!id.IsSmi() || type != uint64_t{layout.off.script_normal_type} << 32) return std::nullopt;
  return id.SmiValue();
}

}  // namespace mortem::v8

// Purpose: the fields of a walked heap object that the analyses ask for, decoded here so that
// no layout offset is read outside src/v8: an ArrayBuffer's length, store and flags, a view's
// buffer and range, a wasm memory's buffer, a string's length, a function's
// SharedFunctionInfo, a Symbol's privacy and a normal Script's id. Reads stay within the
// object's bytes (HeapObject::bytes()).
#pragma once
#include <cstdint>
#include <optional>
#include <span>

#include "mortem/core/memory.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/walker.h"

namespace mortem::v8 {

struct ArrayBufferFields {
  uint64_t byte_length = 0;
  uint64_t max_byte_length = 0;  // the byte length unless the buffer is resizable
  Address backing_store = 0;
  bool external = false, detached = false, shared = false, resizable = false;
};
ArrayBufferFields ArrayBufferOf(const Layout& layout, const HeapObject& buffer);
// The byte length of an ArrayBuffer, from its own field only.
uint64_t ArrayBufferByteLength(const Layout& layout, const HeapObject& buffer);
// The max_byte_length field of the ArrayBuffer at `buffer` read from memory (a wasm memory's
// buffer keeps its maximum there though it is not resizable).
std::optional<uint64_t> ArrayBufferMaxByteLengthAt(const Memory& memory, const Layout& layout,
                                                   Address buffer);

// A JSTypedArray's or JSDataView's (resizable ones included) buffer and byte range.
bool IsArrayBufferView(const Layout& layout, uint16_t type);
struct ViewFields {
  Address buffer = 0;  // untagged
  uint64_t byte_offset = 0, byte_length = 0;
};
// nullopt where the view's buffer field holds no heap object.
std::optional<ViewFields> ViewOf(const Layout& layout, const HeapObject& view);

// A WasmMemoryObject's ArrayBuffer (untagged), if it holds one.
std::optional<Address> WasmMemoryBufferOf(const Layout& layout, const HeapObject& memory);

// A string's length field (characters); 0 where it cannot be read.
int32_t StringLengthOf(const Layout& layout, const HeapObject& string);
// A sequential string's characters as the heap holds them (one or two bytes each); nullopt for
// other strings, or where the length does not fit the object.
struct SeqChars {
  std::span<const std::byte> bytes;
  bool one_byte = true;
};
std::optional<SeqChars> SeqStringChars(const Layout& layout, const HeapObject& string);

// A JSFunction's SharedFunctionInfo field (tagged).
uint64_t FunctionSharedOf(const Layout& layout, const HeapObject& function);
// Whether a Symbol is private (V8's own symbols, shown as "(system)").
bool IsPrivateSymbol(const Layout& layout, const HeapObject& symbol);
// The id of a Script of the normal type (not an extension's or wasm's); nullopt otherwise.
std::optional<int64_t> NormalScriptId(const Layout& layout, const HeapObject& script);

}  // namespace mortem::v8

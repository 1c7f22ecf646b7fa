// Purpose: V8's value tagging on the 64-bit builds Node ships (no pointer compression): a Smi
// keeps its low 32 bits zero and its value in the high 32; a heap object pointer ends in 01, a
// weak one in 11 (include/v8-internal.h, the same in 10.2-13.6). Also the bounded read of a
// word from an object's bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace mortem::v8 {

inline bool IsSmi(uint64_t value) {
  return (value & 0xffffffff) == 0;
}
inline int64_t SmiValue(uint64_t value) {
  return static_cast<int64_t>(value) >> 32;
}
inline bool IsHeapObject(uint64_t value) {
  return (value & 3) == 1;
}

// The 8 bytes at `offset` of an object's bytes; 0 past their end.
inline uint64_t BodyWord(std::span<const std::byte> body, uint64_t offset) {
  uint64_t w = 0;
  if (offset <= body.size() && body.size() - offset >= 8) std::memcpy(&w, body.data() + offset, 8);
  return w;
}

}  // namespace mortem::v8

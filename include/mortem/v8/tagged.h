// Purpose: V8's value tagging on the 64-bit builds Node ships (no pointer compression): a Smi
// keeps its low 32 bits zero and its value in the high 32; a heap object pointer ends in 01, a
// weak one in 11 (include/v8-internal.h, the same in 10.2-13.6).
#pragma once
#include <cstdint>

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

}  // namespace mortem::v8

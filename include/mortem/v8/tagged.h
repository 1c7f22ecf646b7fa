// Purpose: V8's value tagging on the 64-bit builds Node ships (no pointer compression), as a
// type: a Smi keeps its low 32 bits zero and its value in the high 32; a heap object pointer
// ends in 01, a weak one in 11, and a cleared weak reference is the word whose low 32 bits are 3
// (include/v8-internal.h, kClearedWeakHeapObjectLower32; the same in 10.2-13.6). Also the one
// bounded reader of an object's bytes already copied out of the target.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "mortem/core/bytes.h"
#include "mortem/core/memory.h"

namespace mortem::v8 {

class Tagged {
 public:
  constexpr Tagged() = default;
  constexpr explicit Tagged(uint64_t raw) : raw_(raw) {}
  // The strong reference to the object that starts at `object`.
  static constexpr Tagged To(Address object) { return Tagged(object | 1); }

  constexpr uint64_t raw() const { return raw_; }
  constexpr bool IsSmi() const { return (raw_ & 0xffffffff) == 0; }
  constexpr int64_t SmiValue() const { return static_cast<int64_t>(raw_) >> 32; }
  // A reference to a heap object, strong or weak (a cleared weak reference included).
  constexpr bool IsReference() const { return (raw_ & 1) != 0; }
  constexpr bool IsStrong() const { return (raw_ & 3) == 1; }
  constexpr bool IsWeak() const { return (raw_ & 3) == 3; }
  constexpr bool IsCleared() const { return static_cast<uint32_t>(raw_) == 3; }
  // Where the referenced object starts (the tag bits cleared); meaningful for references only.
  constexpr Address address() const { return raw_ & ~uint64_t{3}; }

  friend constexpr bool operator==(Tagged, Tagged) = default;

 private:
  uint64_t raw_ = 0;
};

inline bool IsSmi(uint64_t value) {
  return Tagged(value).IsSmi();
}
inline int64_t SmiValue(uint64_t value) {
  return Tagged(value).SmiValue();
}
inline bool IsHeapObject(uint64_t value) {
  return Tagged(value).IsStrong();
}

// An object's bytes, copied or viewed out of the target, read field by field: a field that
// does not lie wholly inside them reads as nullopt.
class ObjectBytes {
 public:
  explicit ObjectBytes(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <typename T>
  std::optional<T> Read(uint64_t offset) const {
    return LoadAt<T>(bytes_, offset);
  }
  // The word at `offset`; 0 where it does not lie inside the bytes.
  uint64_t Word(uint64_t offset) const { return Read<uint64_t>(offset).value_or(0); }
  std::optional<Tagged> Field(uint64_t offset) const {
    auto w = Read<uint64_t>(offset);
    return w ? std::optional<Tagged>(Tagged(*w)) : std::nullopt;
  }
  size_t size() const { return bytes_.size(); }

 private:
  std::span<const std::byte> bytes_;
};

}  // namespace mortem::v8

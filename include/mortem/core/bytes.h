// Purpose: the one bounded copy of a fixed-size value out of bytes already in hand (a view of a
// core, a copied object, a note): nothing is read unless it lies wholly inside the span.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

namespace mortem {

// Copies the `length` bytes at `offset` to out; false (and nothing copied) past the end.
inline bool CopyAt(std::span<const std::byte> bytes, uint64_t offset, void* out, size_t length) {
  if (offset > bytes.size() || bytes.size() - offset < length) return false;
  std::memcpy(out, bytes.data() + offset, length);
  return true;
}

template <typename T>
std::optional<T> LoadAt(std::span<const std::byte> bytes, uint64_t offset) {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  if (!CopyAt(bytes, offset, &value, sizeof(T))) return std::nullopt;
  return value;
}

}  // namespace mortem

// Object sizes, after HeapObject::SizeFromMap (objects/objects.cc) of each supported version.
// Formulas whose fields are not in the postmortem metadata carry their source inline.
#include "mortem/v8/object_size.h"

#include <cstring>

#include "scope_info.h"

namespace mortem::v8 {
namespace {

template <typename T>
std::optional<T> Field(std::span<const std::byte> body, size_t offset) {
  if (offset + sizeof(T) > body.size()) return std::nullopt;
  T v;
  std::memcpy(&v, body.data() + offset, sizeof(T));
  return v;
}

// A Smi field: the value is in the upper 32 bits (no pointer compression).
std::optional<int64_t> SmiField(std::span<const std::byte> body, size_t offset) {
  auto w = Field<uint64_t>(body, offset);
  if (!w || (*w & 1) != 0) return std::nullopt;
  return static_cast<int64_t>(*w) >> 32;
}

constexpr uint64_t Align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

std::optional<uint64_t> Checked(std::optional<int64_t> count, uint64_t header, uint64_t unit,
                                uint64_t limit = uint64_t{1} << 31) {
  if (!count || *count < 0 || static_cast<uint64_t>(*count) > limit) return std::nullopt;
  return Align8(header + unit * static_cast<uint64_t>(*count));
}

std::optional<uint64_t> StringSize(const Layout& l, uint16_t type,
                                   std::span<const std::byte> body) {
  if ((type & l.strings.representation_mask) != l.strings.seq) return std::nullopt;
  auto length = Field<int32_t>(body, l.off.string_length);
  if (!length) return std::nullopt;
  bool one_byte = (type & l.strings.encoding_mask) == l.strings.one_byte;
  return one_byte ? Checked(*length, l.off.seq_one_byte_chars, 1)
                  : Checked(*length, l.off.seq_two_byte_chars, 2);
}

}  // namespace

std::optional<uint64_t> ObjectSize(const Layout& l, const MapInfo& map,
                                   std::span<const std::byte> body) {
  if (map.instance_size != 0) return map.instance_size;
  const uint16_t type = map.instance_type;
  const Types& t = l.types;
  const uint32_t len_off = l.off.fixed_array_length;
  if (l.IsString(type)) return StringSize(l, type, body);
  if (l.IsFixedArrayShaped(type) || type == t.fixed_double_array ||
      (type >= t.first_weak_fixed_array && type <= t.last_weak_fixed_array) ||
      type == t.embedder_data_array || type == t.closure_feedback_cell_array ||
      type == t.trusted_fixed_array || type == t.protected_fixed_array)
    return Checked(SmiField(body, len_off), 16, 8);
  if (l.IsContext(type)) {
    // NativeContext: NATIVE_CONTEXT_SLOTS tagged slots, then the raw microtask queue pointer
    // (objects/contexts.h NativeContext::kSize).
    uint64_t extra = type == t.native_context ? 8 : 0;
    auto size = Checked(SmiField(body, len_off), 16, 8);
    if (size) return *size + extra;
    return std::nullopt;
  }
  if (type == t.byte_array || type == t.trusted_byte_array)
    return Checked(SmiField(body, len_off), 16, 1);
  if (type == t.bytecode_array)
    return Checked(SmiField(body, len_off), l.off.bytecode_array_header, 1);
  if (type == t.free_space) {
    auto size = SmiField(body, 8);  // FreeSpace::size, a Smi after the map
    if (!size || *size < 8) return std::nullopt;
    return static_cast<uint64_t>(*size);
  }
  if (type == t.descriptor_array || type == t.strong_descriptor_array) {
    // number_of_all_descriptors: int16 right after the map (objects/descriptor-array.tq).
    auto n = Field<int16_t>(body, 8);
    if (!n) return std::nullopt;
    return Checked(*n, l.off.descriptor_header, 8 * l.off.descriptor_size);
  }
  if (type == t.weak_array_list) {
    // WeakArrayList: map, capacity (Smi), length (Smi), elements (objects/fixed-array.tq).
    return Checked(SmiField(body, 8), 24, 8);
  }
  if (type == t.property_array) {
    // PropertyArray::length_and_hash: length in the low 10 bits (objects/property-array.h).
    auto v = SmiField(body, 8);
    if (!v) return std::nullopt;
    return Checked(*v & 0x3FF, 16, 8);
  }
  if (type == t.scope_info) {
    auto decoded = DecodeScopeInfo(l, body);
    if (!decoded) return std::nullopt;
    return decoded->size;
  }
  if (type == t.big_int) {
    // BigIntBase: bitfield u32 at +8 (sign bit 0, length bits 1..30), digits at +16.
    auto bits = Field<uint32_t>(body, 8);
    if (!bits) return std::nullopt;
    return Checked((*bits >> 1) & 0x3FFFFFFF, 16, 8);
  }
  return std::nullopt;
}

}  // namespace mortem::v8

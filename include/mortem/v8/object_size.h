// Purpose: the size in bytes of a heap object from its map and, for variable-size types, the
// length fields in its own body, following V8's HeapObject::SizeFromMap per version. The rules
// are a table indexed by instance type, built once per layout from the version facts.
#pragma once
#include <optional>
#include <span>
#include <vector>

#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"

namespace mortem::v8 {

// BigInt (objects/bigint.h, the same in 10.2-14.6): a 32-bit bitfield after the map, sign in
// bit 0 and the number of 64-bit digits in bits 1..30, then the digits from +16.
struct BigIntShape {
  static constexpr uint32_t kBitfield = 8, kDigits = 16;
  static uint32_t Length(uint32_t bits) { return bits >> 1 & 0x3FFFFFFF; }
  static bool Negative(uint32_t bits) { return (bits & 1) != 0; }
};

// PropertyArray (objects/property-array.h): length and hash in one Smi after the map, the
// length in its low 10 bits, then the values.
struct PropertyArrayShape {
  static constexpr uint32_t kLengthAndHash = 8, kValues = 16;
  static uint64_t Length(int64_t length_and_hash) { return uint64_t(length_and_hash) & 0x3FF; }
};

// DescriptorArray (objects/descriptor-array.h): number_of_all_descriptors, an int16 after the
// map; the entries start at Offsets::descriptor_header.
struct DescriptorArrayShape {
  static constexpr uint32_t kNumberOfAll = 8;
};

enum class SizeKind : uint8_t {
  kUnknown,
  kArray,             // align8(header + unit * count), count read at count_offset
  kSeqString,         // by representation and encoding from the instance type
  kFreeSpace,         // Smi size at +8
  kPropertyArray,     // length in the low 10 bits of the Smi at +8
  kBigInt,            // length in bits 1..30 of the u32 at +8
  kScopeInfo,         // flags-driven sections
  kFeedbackMetadata,  // slot kinds packed 6 per 32-bit word
  kSmallOrdered,      // buckets byte; entry size and prefix in unit/header
  kSwissDictionary,
  kPreparseData,
  kInstructionStream,     // roundup64(header + body_size)
  kCode102,               // V8 10.2 Code with inline instructions
  kInstructionStream113,  // 11.3: body size read from the Code object it points to
};

enum class CountType : uint8_t { kSmi, kInt32, kUint16, kUint8 };

struct SizeRule {
  SizeKind kind = SizeKind::kUnknown;
  uint16_t header = 0;
  uint16_t unit = 0;
  uint16_t count_offset = 8;
  CountType count_type = CountType::kSmi;
  uint16_t extra = 0;  // bytes added after alignment (NativeContext's raw field)
  // kArray: the offset of a uint32 that must not exceed the count (a wasm dispatch table's length
  // within its capacity); 0: none. An object that breaks it has no size (it is not one).
  uint16_t at_most_count = 0;
};

class SizeRules {
 public:
  // memory: for the few types whose size lives in another object (11.3 InstructionStream).
  SizeRules(const Layout& layout, const Memory& memory);
  // body: the bytes from the object's start to the end of its page area (bounded view); at: the
  // object's address where the caller knows it (0: unknown). Returns nullopt if the size cannot
  // be determined or the fields are not in body, and for a dead 11.3 InstructionStream at `at`.
  std::optional<uint64_t> SizeOf(const MapInfo& map, std::span<const std::byte> body,
                                 Address at = 0) const;
  // An 11.3 InstructionStream at `at` whose Code does not point back at it: its Code was
  // collected and that memory reused, so the stream is dead (left on a page the sweeper has not
  // reached) and its size is lost with its Code. Later lines keep the size in the stream.
  bool IsDeadCodeStream(const MapInfo& map, std::span<const std::byte> body, Address at) const;
  const SizeRule& RuleFor(uint16_t type) const { return rules_[type]; }
  // The instance type a line fact places by its neighbours (e.g. the wasm dispatch tables).
  static std::optional<uint16_t> PlacedType(const Layout& layout, const PlacedArrayType& placed);

 private:
  void Set(std::optional<uint16_t> type, SizeRule rule);
  const Layout& layout_;
  const Memory& memory_;
  std::vector<SizeRule> rules_;  // indexed by instance type
};

}  // namespace mortem::v8

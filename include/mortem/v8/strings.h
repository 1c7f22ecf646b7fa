// Purpose: reading V8 strings of every representation (sequential, cons, sliced, thin, external;
// one- and two-byte) out of target memory into UTF-8, with bounded length and depth so that a
// corrupt or cyclic cons string ends the read instead of looping.
#pragma once
#include <optional>
#include <string>

#include "mortem/core/memory.h"
#include "mortem/v8/layout.h"

namespace mortem::v8 {

struct StringShape {
  enum class Representation { kSeq, kCons, kExternal, kSliced, kThin, kUnknown };
  Representation representation = Representation::kUnknown;
  bool one_byte = false;
  const char* Name() const;  // "seq", "cons", ...
};

StringShape ShapeOf(const Layout& layout, uint16_t instance_type);

struct StringValue {
  std::string utf8;
  int64_t length = 0;      // V8 length in UTF-16 code units
  bool truncated = false;  // longer than the limit, or a part was unreadable
};

class StringReader {
 public:
  StringReader(const Memory& memory, const Layout& layout) : memory_(memory), layout_(layout) {}
  // Reads the string at address (untagged). max_chars limits the UTF-16 units decoded.
  std::optional<StringValue> Read(Address address, size_t max_chars = 1024) const;
  // Reads a tagged value if it is a string.
  std::optional<StringValue> ReadTagged(uint64_t tagged, size_t max_chars = 1024) const;

 private:
  bool Append(Address address, int64_t offset, int64_t count, std::u16string& out, int depth,
              size_t& budget) const;
  const Memory& memory_;
  const Layout& layout_;
};

std::string Utf16ToUtf8(const std::u16string& s);

}  // namespace mortem::v8

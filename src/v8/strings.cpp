#include "mortem/v8/strings.h"

#include "mortem/v8/object_view.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {
constexpr int kMaxDepth = 64;          // cons/sliced/thin nesting followed at most
constexpr size_t kMaxSteps = 1 << 16;  // string parts visited at most
}  // namespace

const char* StringShape::Name() const {
  switch (representation) {
    case Representation::kSeq:
      return "seq";
    case Representation::kCons:
      return "cons";
    case Representation::kExternal:
      return "external";
    case Representation::kSliced:
      return "sliced";
    case Representation::kThin:
      return "thin";
    default:
      return "unknown";
  }
}

StringShape ShapeOf(const Layout& layout, uint16_t type) {
  const StringTags& s = layout.strings;
  StringShape shape;
  uint32_t rep = type & s.representation_mask;
  using R = StringShape::Representation;
  shape.representation = rep == s.seq        ? R::kSeq
                         : rep == s.cons     ? R::kCons
                         : rep == s.external ? R::kExternal
                         : rep == s.sliced   ? R::kSliced
                         : rep == s.thin     ? R::kThin
                                             : R::kUnknown;
  shape.one_byte = (type & s.encoding_mask) == s.one_byte;
  return shape;
}

std::optional<StringValue> StringReader::ReadTagged(uint64_t tagged, size_t max_chars) const {
  if (!Tagged(tagged).IsStrong()) return std::nullopt;
  return Read(Tagged(tagged).address(), max_chars);
}

std::optional<StringValue> StringReader::Read(Address address, size_t max_chars) const {
  const ObjectView string(memory_, address);
  auto map = string.Object(0);
  auto type = map ? map->Read<uint16_t>(layout_.off.map_instance_type) : std::nullopt;
  auto length = string.Read<int32_t>(layout_.off.string_length);
  if (!type || !layout_.IsString(*type) || !length || *length < 0) return std::nullopt;
  StringValue value;
  value.length = *length;
  std::u16string units;
  size_t budget = kMaxSteps;
  int64_t want = std::min<int64_t>(*length, static_cast<int64_t>(max_chars));
  bool ok = Append(address, 0, want, units, 0, budget);
  value.truncated = !ok || want < *length;
  value.utf8 = Utf16ToUtf8(units);
  return value;
}

// Appends count units of the string at address, starting at offset.
bool StringReader::Append(Address address, int64_t offset, int64_t count, std::u16string& out,
                          int depth, size_t& budget) const {
  if (count <= 0) return true;
  if (depth > kMaxDepth || budget == 0) return false;
  --budget;
  const ObjectView string(memory_, address);
  auto map = string.Object(0);
  auto type = map ? map->Read<uint16_t>(layout_.off.map_instance_type) : std::nullopt;
  auto length = string.Read<int32_t>(layout_.off.string_length);
  if (!type || !layout_.IsString(*type) || !length || offset + count > *length) return false;
  const Offsets& o = layout_.off;
  StringShape shape = ShapeOf(layout_, *type);
  using R = StringShape::Representation;
  auto tagged = [&](uint32_t field) -> std::optional<Address> {
    auto v = string.Object(field);
    return v ? std::optional<Address>(v->address()) : std::nullopt;
  };
  auto copy_chars = [&](Address data) {
    size_t unit = shape.one_byte ? 1 : 2;
    std::string raw(static_cast<size_t>(count) * unit, '\0');
    if (memory_.Read(data + offset * unit, raw.data(), raw.size()) != raw.size()) return false;
    for (int64_t i = 0; i < count; ++i) {
      if (shape.one_byte)
        out.push_back(static_cast<unsigned char>(raw[i]));
      else
        out.push_back(static_cast<char16_t>(static_cast<unsigned char>(raw[2 * i]) |
                                            (static_cast<unsigned char>(raw[2 * i + 1]) << 8)));
    }
    return true;
  };
  switch (shape.representation) {
    case R::kSeq:
      return copy_chars(address + (shape.one_byte ? o.seq_one_byte_chars : o.seq_two_byte_chars));
    case R::kExternal: {
      auto data = string.Word(layout_.off.external_resource_data);
      return data && *data != 0 && copy_chars(*data);
    }
    case R::kThin: {
      auto actual = tagged(o.thin_actual);
      return actual && Append(*actual, offset, count, out, depth + 1, budget);
    }
    case R::kSliced: {
      auto parent = tagged(o.sliced_parent);
      auto start = string.Field(o.sliced_offset);
      if (!parent || !start || start->IsReference()) return false;
      return Append(*parent, offset + start->SmiValue(), count, out, depth + 1, budget);
    }
    case R::kCons: {
      auto first = tagged(o.cons_first);
      auto second = tagged(o.cons_second);
      if (!first || !second) return false;
      auto first_length = ObjectView(memory_, *first).Read<int32_t>(o.string_length);
      if (!first_length || *first_length < 0) return false;
      int64_t from_first = std::max<int64_t>(0, std::min<int64_t>(count, *first_length - offset));
      if (from_first > 0 && !Append(*first, offset, from_first, out, depth + 1, budget))
        return false;
      int64_t rest = count - from_first;
      int64_t second_offset = std::max<int64_t>(0, offset - *first_length);
      return Append(*second, second_offset, rest, out, depth + 1, budget);
    }
    default:
      return false;
  }
}

std::string Utf16ToUtf8(const std::u16string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 &&
        s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

}  // namespace mortem::v8

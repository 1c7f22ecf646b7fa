#include "mortem/analysis/snapshot_json.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include "mortem/core/error.h"

namespace mortem::snapshot_json {
namespace {

// The length of the valid UTF-8 sequence at text[i], or 0.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  if (n == 3 && c == 0xE0 && byte(i + 1) < 0xA0) return 0;   // overlong
  if (n == 3 && c == 0xED && byte(i + 1) >= 0xA0) return 0;  // surrogate
  if (n == 4 && c == 0xF0 && byte(i + 1) < 0x90) return 0;   // overlong
  if (n == 4 && c == 0xF4 && byte(i + 1) >= 0x90) return 0;  // above U+10FFFF
  return n;
}

}  // namespace

void Writer::Raw(std::string_view text) {
  buffer_.append(text);
  MaybeFlush();
}

void Writer::Number(uint64_t value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  buffer_.append(digits, end);
  MaybeFlush();
}

void Writer::String(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  buffer_.push_back('"');
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      buffer_.push_back('\\');
      buffer_.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      buffer_.append("\\u00");
      buffer_.push_back(kHex[c >> 4]);
      buffer_.push_back(kHex[c & 15]);
    } else if (c < 0x80) {
      buffer_.push_back(static_cast<char>(c));
    } else if (size_t n = Utf8Length(text, i); n > 0) {
      buffer_.append(text.substr(i, n));
      i += n;
      continue;
    } else {
      buffer_.append("\\ufffd");
    }
    ++i;
  }
  buffer_.push_back('"');
  MaybeFlush();
}

void Writer::Flush() {
  if (buffer_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
    throw Error(std::string("cannot write the snapshot: ") + std::strerror(errno));
  written_ += buffer_.size();
  buffer_.clear();
}

void Writer::CopyFrom(std::FILE* from) {
  Flush();
  std::vector<char> block(1 << 20);
  for (size_t n; (n = std::fread(block.data(), 1, block.size(), from)) > 0;) {
    if (std::fwrite(block.data(), 1, n, file_) != n)
      throw Error(std::string("cannot write the snapshot: ") + std::strerror(errno));
    written_ += n;
  }
  if (std::ferror(from)) throw Error("cannot read the snapshot's scratch file back");
}

uint32_t StringTable::Intern(std::string_view text) {
  const size_t hash = StringHash{}(text);
  Recent& recent = recent_[hash & (kRecent - 1)];
  if (recent.hash == hash && recent.number < order_.size() && *order_[recent.number] == text)
    return recent.number;
  uint32_t number;
  if (auto it = index_.find(text); it != index_.end()) {
    number = it->second;
  } else {
    number = static_cast<uint32_t>(order_.size());
    auto [added, ok] = index_.emplace(std::string(text), number);
    order_.push_back(&added->first);
  }
  recent = {hash, number};
  return number;
}

void StringTable::WriteAll(Writer& out) const {
  for (size_t i = 0; i < order_.size(); ++i) {
    if (i > 0) out.Raw(",\n");
    out.String(*order_[i]);
  }
}

}  // namespace mortem::snapshot_json

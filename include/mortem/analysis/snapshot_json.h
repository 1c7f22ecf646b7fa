// Purpose: the streaming side of `snapshot`: a buffered writer of JSON text (numbers, escaped
// strings) to a file, and the snapshot's string table (each distinct string once, numbered by
// first use, index 0 V8's "<dummy>").
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mortem::snapshot_json {

class Writer {
 public:
  explicit Writer(std::FILE* file) : file_(file) { buffer_.reserve(kBufferSize + 4096); }
  ~Writer() { Flush(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void Raw(std::string_view text);
  void Number(uint64_t value);
  void String(std::string_view text);  // quoted; invalid UTF-8 becomes U+FFFD
  void Flush();                        // throws Error when the file cannot be written
  // Appends the rest of `from` (read in blocks, written straight to the file).
  void CopyFrom(std::FILE* from);
  uint64_t written() const { return written_ + buffer_.size(); }

 private:
  void MaybeFlush() {
    if (buffer_.size() >= kBufferSize) Flush();
  }
  static constexpr size_t kBufferSize = 1 << 20;
  std::FILE* file_;
  std::string buffer_;
  uint64_t written_ = 0;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class StringTable {
 public:
  StringTable() { Intern("<dummy>"); }
  uint32_t Intern(std::string_view text);
  size_t size() const { return order_.size(); }
  void WriteAll(Writer& out) const;  // the strings, comma-separated

 private:
  // A direct-mapped cache in front of the table: the names most edges and nodes carry ("map",
  // "elements", class names, small indices) are found without probing the big table.
  struct Recent {
    size_t hash = 0;
    uint32_t number = UINT32_MAX;
  };
  static constexpr size_t kRecent = 1 << 14;
  std::vector<Recent> recent_ = std::vector<Recent>(kRecent);
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> index_;
  std::vector<const std::string*> order_;
};

}  // namespace mortem::snapshot_json

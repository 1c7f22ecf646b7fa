// Purpose: a read-only mmap of a whole file, owned; the base of zero-copy reads from cores and
// binaries. Moves, never copies.
#pragma once
#include <cstddef>
#include <span>
#include <string>

namespace mortem {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws Error if it cannot be opened or mapped
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  // Page-table hints for [offset, offset+length) of the mapping (madvise); failures are ignored.
  void Populate(size_t offset, size_t length) const;
  void Drop(size_t offset, size_t length) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace mortem

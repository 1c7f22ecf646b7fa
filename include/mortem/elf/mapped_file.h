// Purpose: a read-only mmap of a whole file, owned; the base of zero-copy reads from cores and
// binaries. Moves, never copies.
#pragma once
#include <cstddef>
#include <span>
#include <string>

namespace mortem {

// Why path (symbolic links followed) is not a regular file: "is a FIFO, not a regular file",
// "cannot be opened: Too many levels of symbolic links"; empty if it is one.
std::string NotRegularFile(const std::string& path);
// Opens a regular file read-only, never blocking: a FIFO, device or directory is refused before
// any open. Throws Error naming the path and what it is. The caller closes the descriptor.
int OpenRegularFile(const std::string& path);

class MappedFile {
 public:
  // Throws Error if path is not a regular file or cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
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

#include "mortem/elf/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mortem/core/error.h"

namespace mortem {

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + " is not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      throw Error("cannot map " + path + ": " + std::strerror(errno));
    }
    data_ = static_cast<const std::byte*>(p);
  }
  ::close(fd);
}

namespace {
// Page-aligned [start, end) of a byte range of the mapping.
bool PageRange(const std::byte* data, size_t size, size_t offset, size_t length, char** start,
               size_t* bytes) {
  if (!data || offset >= size) return false;
  length = std::min(length, size - offset);
  const uintptr_t page = 4096;
  uintptr_t begin = reinterpret_cast<uintptr_t>(data + offset) & ~(page - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(data + offset + length) + page - 1) & ~(page - 1);
  *start = reinterpret_cast<char*>(begin);
  *bytes = end - begin;
  return true;
}
}  // namespace

void MappedFile::Populate(size_t offset, size_t length) const {
  char* start;
  size_t bytes;
  if (!PageRange(data_, size_, offset, length, &start, &bytes)) return;
#ifdef MADV_POPULATE_READ
  // One call maps the range instead of a page fault per 4 KiB.
  if (::madvise(start, bytes, MADV_POPULATE_READ) == 0) return;
#endif
  ::madvise(start, bytes, MADV_WILLNEED);
}

void MappedFile::Drop(size_t offset, size_t length) const {
  char* start;
  size_t bytes;
  // A private read-only file mapping that was never written: dropped pages are read back from
  // the file (the page cache) when touched again.
  if (PageRange(data_, size_, offset, length, &start, &bytes))
    ::madvise(start, bytes, MADV_DONTNEED);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)), data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

}  // namespace mortem

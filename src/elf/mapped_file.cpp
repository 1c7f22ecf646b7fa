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

namespace {

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string NotRegular(mode_t mode) {
  return std::string("is ") + KindOf(mode) + ", not a regular file";
}

}  // namespace

std::string NotRegularFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return std::string("cannot be opened: ") + std::strerror(errno);
  return S_ISREG(st.st_mode) ? std::string() : NotRegular(st.st_mode);
}

int OpenRegularFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error("cannot open " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error(path + " " + NotRegular(st.st_mode));
  // O_NONBLOCK: should a FIFO replace the file after the stat, open returns at once.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + " " + NotRegular(st.st_mode));
  }
  return fd;
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = OpenRegularFile(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error("cannot stat " + path + ": " + std::strerror(errno));
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

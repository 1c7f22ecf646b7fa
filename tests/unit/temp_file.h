// Purpose: scratch files for unit tests that need a real path (CoreFile, ElfBinary mmap files).
// Each TempFile is a unique file under the system temp directory, removed when it goes away.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace mortem::test {

class TempFile {
 public:
  explicit TempFile(std::span<const std::byte> contents) {
    std::string pattern = (std::filesystem::temp_directory_path() / "mortem-unit-XXXXXX").string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = ::mkstemp(name.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    path_ = name.data();
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(contents.data()),
              static_cast<std::streamsize>(contents.size()));
    if (!out) throw std::runtime_error("cannot write " + path_);
  }
  explicit TempFile(const std::string& text)
      : TempFile(std::as_bytes(std::span<const char>(text.data(), text.size()))) {}
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mortem::test

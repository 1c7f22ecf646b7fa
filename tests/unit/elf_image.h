// Purpose: builders of synthetic ELF images for unit tests, from the real <elf.h> structs: a byte
// buffer with typed append/patch helpers and an ELF note encoder (name and desc 4-byte padded).
#pragma once
#include <elf.h>

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace mortem::test {

class Bytes {
 public:
  size_t size() const { return bytes_.size(); }
  std::span<const std::byte> span() const { return bytes_; }
  std::span<const std::byte> prefix(size_t n) const { return span().first(n); }

  template <typename T>
  size_t Append(const T& value) {
    return AppendRaw(&value, sizeof value);
  }
  size_t AppendRaw(const void* data, size_t length) {
    size_t at = bytes_.size();
    bytes_.resize(at + length);
    std::memcpy(bytes_.data() + at, data, length);
    return at;
  }
  void PadTo(size_t alignment) {
    while (bytes_.size() % alignment) bytes_.push_back(std::byte{0});
  }
  template <typename T>
  void Patch(size_t offset, const T& value) {
    std::memcpy(bytes_.data() + offset, &value, sizeof value);
  }
  void Truncate(size_t n) { bytes_.resize(n); }

 private:
  std::vector<std::byte> bytes_;
};

// One ELF note: Elf64_Nhdr, the name with its NUL, the descriptor, each padded to 4 bytes.
inline std::vector<std::byte> Note(const std::string& name, uint32_t type,
                                   std::span<const std::byte> desc) {
  Bytes b;
  Elf64_Nhdr nh{};
  nh.n_namesz = static_cast<Elf64_Word>(name.size() + 1);
  nh.n_descsz = static_cast<Elf64_Word>(desc.size());
  nh.n_type = type;
  b.Append(nh);
  b.AppendRaw(name.c_str(), name.size() + 1);
  b.PadTo(4);
  b.AppendRaw(desc.data(), desc.size());
  b.PadTo(4);
  auto s = b.span();
  return {s.begin(), s.end()};
}

template <typename T>
std::span<const std::byte> AsBytes(const T& value) {
  return std::as_bytes(std::span<const T>(&value, 1));
}

inline Elf64_Ehdr ElfHeader(uint16_t type, uint16_t phnum) {
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
  eh.e_type = type;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = phnum ? sizeof(Elf64_Ehdr) : 0;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = phnum;
  eh.e_shentsize = sizeof(Elf64_Shdr);
  return eh;
}

}  // namespace mortem::test

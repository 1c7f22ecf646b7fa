#include "mortem/elf/elf_binary.h"

#include <elf.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>

#include "mortem/core/error.h"

namespace mortem {
namespace {

struct ElfHandle {
  Elf* elf = nullptr;
  ~ElfHandle() {
    if (elf) elf_end(elf);
  }
};

Elf* OpenElfMemory(std::span<const std::byte> bytes, const std::string& what) {
  if (elf_version(EV_CURRENT) == EV_NONE) throw Error("libelf initialisation failed");
  auto* data = reinterpret_cast<char*>(const_cast<std::byte*>(bytes.data()));
  Elf* elf = elf_memory(data, bytes.size());
  if (!elf) throw Error(what + " is not an ELF file: " + elf_errmsg(-1));
  if (elf_kind(elf) != ELF_K_ELF) {
    elf_end(elf);
    throw Error(what + " is not an ELF file");
  }
  return elf;
}

std::string HexString(const unsigned char* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

// Walks ELF notes in [p, p+size) and returns the NT_GNU_BUILD_ID payload as hex.
std::string FindBuildIdNote(const unsigned char* p, size_t size) {
  size_t pos = 0;
  while (pos + sizeof(Elf64_Nhdr) <= size) {
    Elf64_Nhdr nh;
    std::memcpy(&nh, p + pos, sizeof nh);
    size_t name_off = pos + sizeof nh;
    size_t desc_off = name_off + ((nh.n_namesz + 3) & ~size_t{3});
    size_t next = desc_off + ((nh.n_descsz + 3) & ~size_t{3});
    if (next > size || next <= pos) break;
    if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
        std::memcmp(p + name_off, "GNU", 4) == 0)
      return HexString(p + desc_off, nh.n_descsz);
    pos = next;
  }
  return {};
}

}  // namespace

ElfBinary::ElfBinary(const std::string& path) : file_(path) {
  ElfHandle h{OpenElfMemory(file_.bytes(), path)};
  GElf_Ehdr eh;
  if (!gelf_getehdr(h.elf, &eh)) throw Error(path + ": unreadable ELF header");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
    throw Error(path + " is not an x86-64 ELF file");
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
    throw Error(path + " is not an executable or shared library");
  is_pie_ = eh.e_type == ET_DYN;
  LoadSegments(h.elf);
  LoadSymbols(h.elf);
  LoadBuildId(h.elf);
}

ElfBinary::~ElfBinary() = default;

void ElfBinary::LoadSegments(Elf* elf) {
  size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0) return;
  for (size_t i = 0; i < count; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, static_cast<int>(i), &ph)) continue;
    if (ph.p_type == PT_GNU_EH_FRAME) eh_frame_hdr_ = ph.p_vaddr, eh_frame_hdr_size_ = ph.p_memsz;
    if (ph.p_type != PT_LOAD) continue;
    segments_.push_back(LoadSegment{ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz,
                                    (ph.p_flags & PF_W) != 0, (ph.p_flags & PF_X) != 0});
  }
}

void ElfBinary::LoadSymbols(Elf* elf) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) continue;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym) || sym.st_shndx == SHN_UNDEF) continue;
      const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (!name || !*name) continue;
      int type = GELF_ST_TYPE(sym.st_info);
      if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE) continue;
      by_name_.push_back(Symbol{name, sym.st_value, sym.st_size, type == STT_FUNC});
    }
  }
  std::sort(by_name_.begin(), by_name_.end(), [](const Symbol& a, const Symbol& b) {
    return a.name != b.name ? a.name < b.name : a.size > b.size;
  });
  by_name_.erase(std::unique(by_name_.begin(), by_name_.end(),
                             [](const Symbol& a, const Symbol& b) { return a.name == b.name; }),
                 by_name_.end());
  for (const auto& s : by_name_)
    if (s.size > 0) by_address_.push_back(s);
  std::sort(by_address_.begin(), by_address_.end(),
            [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
}

void ElfBinary::LoadBuildId(Elf* elf) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !data->d_buf) continue;
    build_id_ = FindBuildIdNote(static_cast<const unsigned char*>(data->d_buf), data->d_size);
    if (!build_id_.empty()) return;
  }
}

std::optional<Address> ElfBinary::FileOffsetToAddress(uint64_t offset) const {
  for (const auto& s : segments_)
    if (offset >= s.file_offset && offset - s.file_offset < s.file_size)
      return s.vaddr + (offset - s.file_offset);
  return std::nullopt;
}

std::optional<Symbol> ElfBinary::Find(std::string_view name) const {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [](const Symbol& s, std::string_view n) { return s.name < n; });
  if (it == by_name_.end() || it->name != name) return std::nullopt;
  return *it;
}

void ElfBinary::ForEachWithPrefix(std::string_view prefix,
                                  const std::function<void(const Symbol&)>& visit) const {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), prefix,
                             [](const Symbol& s, std::string_view n) { return s.name < n; });
  for (; it != by_name_.end() && it->name.starts_with(prefix); ++it) visit(*it);
}

std::optional<Symbol> ElfBinary::FindByAddress(Address address) const {
  auto it = std::upper_bound(by_address_.begin(), by_address_.end(), address,
                             [](Address a, const Symbol& s) { return a < s.address; });
  if (it == by_address_.begin()) return std::nullopt;
  --it;
  if (address - it->address < it->size) return *it;
  return std::nullopt;
}

std::string BuildIdFromElfImage(std::span<const std::byte> image) {
  Elf64_Ehdr eh;
  if (image.size() < sizeof eh) return {};
  std::memcpy(&eh, image.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr))
    return {};
  auto* base = reinterpret_cast<const unsigned char*>(image.data());
  for (size_t i = 0; i < eh.e_phnum && i < 256; ++i) {
    uint64_t off = eh.e_phoff + i * sizeof(Elf64_Phdr);
    if (off > image.size() || image.size() - off < sizeof(Elf64_Phdr)) return {};
    Elf64_Phdr ph;
    std::memcpy(&ph, base + off, sizeof ph);
    if (ph.p_type != PT_NOTE) continue;
    if (ph.p_offset > image.size() || image.size() - ph.p_offset < ph.p_filesz) continue;
    auto id = FindBuildIdNote(base + ph.p_offset, ph.p_filesz);
    if (!id.empty()) return id;
  }
  return {};
}

}  // namespace mortem

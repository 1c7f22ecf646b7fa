// Purpose: an ELF executable or shared library read with libelf: its symbol tables (.symtab and
// .dynsym, merged), its GNU build-id, and its PT_LOAD segments. Used for the node binary: the
// v8dbg_* constants, builtin symbols for stacks, and the build-id check against the core.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "mortem/core/symbols.h"
#include "mortem/elf/mapped_file.h"

struct Elf;  // libelf

namespace mortem {

struct LoadSegment {
  Address vaddr = 0;
  uint64_t file_offset = 0;
  uint64_t file_size = 0;
  uint64_t mem_size = 0;
  bool writable = false;
  bool executable = false;
};

class ElfBinary : public SymbolTable {
 public:
  explicit ElfBinary(const std::string& path);  // throws Error
  ~ElfBinary() override;

  const std::string& path() const { return file_.path(); }
  const std::string& build_id() const { return build_id_; }  // lowercase hex, empty if none
  bool is_position_independent() const { return is_pie_; }
  const std::vector<LoadSegment>& segments() const { return segments_; }
  std::span<const std::byte> file_bytes() const { return file_.bytes(); }
  // PT_GNU_EH_FRAME (the .eh_frame_hdr search table), link-time address and size; 0 if none.
  Address eh_frame_hdr() const { return eh_frame_hdr_; }
  uint64_t eh_frame_hdr_size() const { return eh_frame_hdr_size_; }
  // The link-time address of a file offset inside a PT_LOAD segment.
  std::optional<Address> FileOffsetToAddress(uint64_t offset) const;

  std::optional<Symbol> Find(std::string_view name) const override;
  void ForEachWithPrefix(std::string_view prefix,
                         const std::function<void(const Symbol&)>& visit) const override;
  std::optional<Symbol> FindByAddress(Address address) const override;

 private:
  void LoadSymbols(::Elf* elf);
  void LoadBuildId(::Elf* elf);
  void LoadSegments(::Elf* elf);

  MappedFile file_;
  std::string build_id_;
  bool is_pie_ = false;
  Address eh_frame_hdr_ = 0;
  uint64_t eh_frame_hdr_size_ = 0;
  std::vector<LoadSegment> segments_;
  std::vector<Symbol> by_name_;     // sorted by name, duplicates removed
  std::vector<Symbol> by_address_;  // sized symbols, sorted by address
};

// Extracts the GNU build-id from the bytes of an ELF file's start (ELF header, program headers and
// the notes they point to), as found in a core's copy of a mapping's first page. Returns empty if
// the notes are not within the given bytes.
std::string BuildIdFromElfImage(std::span<const std::byte> image);

}  // namespace mortem

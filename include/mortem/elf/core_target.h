// Purpose: a core file together with its node binary, as one Memory: the core's own bytes first,
// and where the core left memory out (text, read-only data), the bytes of the mapped binary and
// of the shared libraries that are still readable here with the same build-id.
// Opening checks that the binary is the one the core ran (GNU build-id of the core's copy of the
// executable's first page against the file's), unless forced.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "mortem/elf/core_file.h"
#include "mortem/elf/elf_binary.h"

namespace mortem {

// A file the process had mapped (the executable, a shared library), as far as it is usable here.
struct Module {
  std::string path;                       // as the core records it
  std::vector<MappedFileEntry> mappings;  // its NT_FILE entries
  std::shared_ptr<const ElfBinary> elf;   // null if unreadable here, not ELF, or another build
  std::string core_build_id;              // from the core's copy of its first page, if any
  std::string problem;                    // why elf is null, in words
  bool is_executable = false;
};

// An address inside a module's mapping, as the module's link-time address.
struct ModuleAddress {
  const Module* module = nullptr;
  Address link_address = 0;
};

struct CoreTargetOptions {
  std::string core_path;
  std::string binary_path;  // empty: the executable path recorded in the core
  bool force = false;       // go on despite a build-id mismatch
};

class CoreTarget : public Memory {
 public:
  static std::unique_ptr<CoreTarget> Open(const CoreTargetOptions& options);  // throws Error

  const CoreFile& core() const { return *core_; }
  const ElfBinary& binary() const { return *binary_; }
  const std::string& recorded_executable() const { return recorded_executable_; }
  const std::string& core_build_id() const { return core_build_id_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  // The executable first, then every other ELF file the core says was mapped.
  const std::vector<Module>& modules() const { return modules_; }
  std::optional<ModuleAddress> ModuleAt(Address address) const;

  std::span<const std::byte> View(Address address, size_t length) const override;
  size_t Read(Address address, void* out, size_t length) const override;
  std::vector<Region> Regions() const override;
  void Prefetch(Address address, size_t length) const override { core_->Prefetch(address, length); }
  void Release(Address address, size_t length) const override { core_->Release(address, length); }
  std::optional<Address> NoAccessEnd(Address address) const override {
    return core_->NoAccessEnd(address);
  }
  std::string WhyUnreadable(Address address) const override {
    return core_->WhyUnreadable(address);
  }

 private:
  CoreTarget() = default;
  void FindExecutable();
  std::string UndeletedPath(const std::string& recorded);
  void CheckBuildId(bool force);
  void OpenLibraries();
  std::string CoreBuildIdOf(const std::vector<MappedFileEntry>& mappings) const;
  std::span<const std::byte> FileView(Address address, size_t length) const;
  // How many bytes from address only a module's file holds (contiguous), at most length.
  size_t FileRun(Address address, size_t length) const;

  std::unique_ptr<CoreFile> core_;
  std::shared_ptr<ElfBinary> binary_;
  std::vector<Module> modules_;  // [0] is the executable
  std::string recorded_executable_;
  std::string core_build_id_;
  std::vector<std::string> warnings_;
};

}  // namespace mortem

// Purpose: an ELF core file (kernel-written or gcore), mmap'd and read without copying: the
// PT_LOAD range table as a Memory, and the notes (threads with registers, process info, signal,
// mapped files, auxiliary vector). A truncated core loads with the missing ranges recorded.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/elf/mapped_file.h"

namespace mortem {

// x86-64 general registers in the order of the kernel's user_regs_struct.
enum class Reg : int {
  r15,
  r14,
  r13,
  r12,
  rbp,
  rbx,
  r11,
  r10,
  r9,
  r8,
  rax,
  rcx,
  rdx,
  rsi,
  rdi,
  orig_rax,
  rip,
  cs,
  eflags,
  rsp,
  ss,
  fs_base,
  gs_base,
  ds,
  es,
  fs,
  gs,
  kCount
};

struct CoreThread {
  int tid = 0;
  int signal = 0;  // pr_cursig
  std::array<uint64_t, static_cast<size_t>(Reg::kCount)> regs{};
  uint64_t reg(Reg r) const { return regs[static_cast<size_t>(r)]; }
};

struct MappedFileEntry {
  Address start = 0;
  Address end = 0;
  uint64_t file_offset = 0;  // bytes
  std::string path;
};

struct CoreProcessInfo {
  int pid = 0;
  std::string command;    // pr_fname
  std::string arguments;  // pr_psargs (truncated by the kernel to 80 bytes)
  int signal = 0;         // from NT_SIGINFO, else the first thread's pr_cursig
  int signal_code = 0;
  Address fault_address = 0;
};

struct CoreSegment {
  Address vaddr = 0;
  uint64_t mem_size = 0;
  uint64_t file_offset = 0;
  uint64_t file_size = 0;    // bytes present in the file (after truncation)
  uint64_t wanted_size = 0;  // p_filesz as written in the header
  bool writable = false;
  bool executable = false;
  bool readable = true;  // PF_R: a mapping without it was PROT_NONE in the process
};

class CoreFile : public Memory {
 public:
  explicit CoreFile(const std::string& path);  // throws Error for a non-core or unreadable file

  const std::string& path() const { return file_.path(); }
  const std::vector<CoreThread>& threads() const { return threads_; }
  const CoreProcessInfo& process() const { return process_; }
  const std::vector<MappedFileEntry>& mapped_files() const { return files_; }
  const std::vector<std::pair<uint64_t, uint64_t>>& auxv() const { return auxv_; }
  std::optional<uint64_t> AuxValue(uint64_t type) const;
  // The full argv from the process's initial stack (found by locating the auxiliary vector there
  // and walking back over envp and argv); empty if it cannot be found.
  std::vector<std::string> Arguments() const;
  const std::vector<CoreSegment>& segments() const { return segments_; }
  // Bytes the headers promise that the file does not hold (0 unless the core is truncated).
  uint64_t truncated_bytes() const { return truncated_bytes_; }

  std::span<const std::byte> View(Address address, size_t length) const override;
  size_t Read(Address address, void* out, size_t length) const override;
  std::vector<Region> Regions() const override;
  void Prefetch(Address address, size_t length) const override;
  void Release(Address address, size_t length) const override;
  std::optional<Address> NoAccessEnd(Address address) const override;
  std::string WhyUnreadable(Address address) const override;

 private:
  void ParseNotes(std::span<const std::byte> notes);
  const CoreSegment* SegmentAt(Address address) const;

  MappedFile file_;
  std::vector<CoreSegment> segments_;  // sorted by vaddr
  std::vector<CoreThread> threads_;
  CoreProcessInfo process_;
  std::vector<MappedFileEntry> files_;
  std::vector<std::pair<uint64_t, uint64_t>> auxv_;
  uint64_t truncated_bytes_ = 0;
};

}  // namespace mortem

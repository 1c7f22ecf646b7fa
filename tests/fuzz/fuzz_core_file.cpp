// Fuzz target: the ELF core reader on any bytes: the ELF header and program headers, the notes
// (threads, process info, signal, mapped files, auxiliary vector), the PT_LOAD range table and
// reads through it, and argv found on the initial stack.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "mortem/core/error.h"
#include "mortem/elf/core_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // CoreFile maps a file: the input goes into a memory file, reused across runs.
  static const int fd = memfd_create("mortem-fuzz-core", 0);
  if (fd < 0 || ftruncate(fd, 0) != 0) return 0;
  if (size > 0 && pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  try {
    const mortem::CoreFile core("/proc/self/fd/" + std::to_string(fd));
    for (const auto& t : core.threads()) (void)t.reg(mortem::Reg::rsp);
    (void)core.Arguments();
    (void)core.AuxValue(6);
    for (const auto& r : core.Regions()) (void)core.NoAccessEnd(r.start);
    for (const auto& s : core.segments()) {
      uint64_t word = 0;
      (void)core.Read(s.vaddr, &word, sizeof word);
      (void)core.Read(s.vaddr + s.mem_size - 4, &word, sizeof word);  // across its end
      (void)core.View(s.vaddr, 64);
      (void)core.WhyUnreadable(s.vaddr + s.file_size);
    }
  } catch (const mortem::Error&) {
    // A clear error is the right answer to a bad core.
  }
  return 0;
}

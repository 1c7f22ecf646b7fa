// Purpose: one mapping of the target's address space as the frontend knows it (a core's PT_LOAD
// with its NT_FILE name, or a live process's memory region): where, its access rights, the file
// it maps and how many of its bytes the core holds.
#pragma once
#include <cstdint>
#include <string>

#include "mortem/core/memory.h"

namespace mortem {

struct Mapping {
  Address start = 0;
  Address end = 0;  // exclusive
  bool readable = false, writable = false, executable = false;
  std::string path;          // the mapped file; empty: anonymous
  uint64_t file_offset = 0;  // bytes into path
  uint64_t core_bytes = 0;   // bytes of it the core file holds (the rest were left out)
  uint64_t size() const { return end - start; }
  bool Contains(Address a) const { return a >= start && a < end; }
};

}  // namespace mortem

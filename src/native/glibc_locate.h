// Purpose: finding glibc's malloc in a target without symbols: libc's mappings and version,
// main_arena and mp_ by their shape in libc's writable data. Internal to mortem_native.
#pragma once
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "glibc_facts.h"
#include "mortem/core/mapping.h"
#include "mortem/core/memory.h"

namespace mortem::native {

struct LibcImage {
  std::string path;
  std::vector<Mapping> mappings;  // its own, in address order
  std::vector<Mapping> data;      // writable: its data and the anonymous bss right after
};

std::optional<LibcImage> FindLibc(std::span<const Mapping> mappings);
// The version from libc's "release version X.Y" string (in its read-only data), else from a
// "libc-X.Y.so" file name.
std::optional<std::string> LibcVersion(const Memory& memory, const LibcImage& libc);

// An initialised malloc_state at address: all bins either empty (pointing at themselves) or
// holding aligned chunk pointers, a top chunk, a next pointer.
bool LooksLikeArena(const Memory& memory, Address address);
std::vector<Address> FindMainArenaCandidates(const Memory& memory, const LibcImage& libc);

struct MallocPar {
  Address address = 0;
  uint64_t n_mmaps = 0, mmapped_mem = 0, sbrk_base = 0;
};
// mp_ by its shape: n_mmaps <= max_n_mmaps, a page-multiple mmapped_mem <= max_mmapped_mem,
// tcache_bins 1..64, and an sbrk_base the caller finds plausible (the brk heap's start; 0 where
// malloc never had one).
std::optional<MallocPar> FindMallocPar(const Memory& memory, const LibcImage& libc,
                                       const MallocFacts& facts,
                                       const std::function<bool(Address)>& plausible_sbrk_base);

}  // namespace mortem::native

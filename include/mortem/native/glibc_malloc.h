// Purpose: glibc's malloc as a core holds it, found without debug symbols: main_arena and mp_
// located by their shape in libc's writable data, the thread arenas through main_arena.next and
// their 64 MiB heaps (heap_info), every arena walked chunk by chunk and its bins, fastbins and
// the threads' tcaches followed -- bounded, every pointer checked. The allocator preloaded in
// its place (jemalloc, tcmalloc) is recognised by its library. Layout facts by glibc version
// live in glibc_facts.cpp.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mortem/core/mapping.h"
#include "mortem/core/memory.h"

namespace mortem::native {

struct ChunkTally {
  uint64_t count = 0;
  uint64_t bytes = 0;
  void Add(uint64_t size) {
    ++count;
    bytes += size;
  }
};

// One contiguous piece of an arena: the brk heap of the main arena (or, in a non-contiguous one,
// each of its segments: the brk heap and the pieces mmapped when brk could not grow), or one
// heap_info heap of a thread arena ([start, end) holds chunks; reserved_end is where its 64 MiB
// reservation ends).
struct ArenaHeap {
  Address start = 0;
  Address end = 0;
  Address reserved_end = 0;
};

struct MallocArena {
  Address address = 0;
  bool main = false;
  uint64_t system_bytes = 0;      // the arena's own system_mem
  uint64_t max_system_bytes = 0;  // max_system_mem
  uint64_t attached_threads = 0;
  bool contiguous = true;  // the main arena's NONCONTIGUOUS_BIT clear (thread arenas: always)
  std::vector<ArenaHeap> heaps;
  // Chunks found walking the heaps: in use as far as the chunk headers say (chunks in fastbins
  // and tcaches look in use there), free (in the unsorted, small and large bins), and all.
  ChunkTally walked, walked_free;
  // Free chunks by where they are kept.
  ChunkTally tcache, fastbins, unsorted, small_bins, large_bins, top;
  uint64_t unwalked_bytes = 0;  // heap bytes a bad chunk header kept the walk from
  // What glibc's malloc_info counts as free (fast + rest: bins and the top chunk); tcache
  // entries count as in use there, as they are held by a thread.
  uint64_t free_bytes() const {
    return fastbins.bytes + unsorted.bytes + small_bins.bytes + large_bins.bytes + top.bytes;
  }
  // Bytes in chunks the program holds: the walked chunks less the free ones (in bins, fastbins
  // and tcaches); where a bad header cut the walk short, the system bytes less the free ones.
  uint64_t in_use_bytes() const {
    const uint64_t held = fastbins.bytes + tcache.bytes;
    if (unwalked_bytes > 0) {
      const uint64_t free = free_bytes() + tcache.bytes;
      return system_bytes > free ? system_bytes - free : 0;
    }
    return walked.bytes > walked_free.bytes + held ? walked.bytes - walked_free.bytes - held : 0;
  }
  bool Holds(Address a) const;  // inside one of its heaps
};

struct MallocReport {
  std::string allocator;       // "glibc", "jemalloc", "tcmalloc", "unknown"
  std::string allocator_path;  // the library it was recognised by
  std::string glibc_version;   // "2.36", from libc's own version string
  std::string libc_path;
  bool layout_known = false;  // the glibc version is one the layout facts cover
  Address main_arena = 0;
  Address malloc_par = 0;  // mp_
  Address sbrk_base = 0;
  std::vector<MallocArena> arenas;  // main first, then in main_arena.next order
  uint64_t mmapped_chunks = 0;      // mp_.n_mmaps
  uint64_t mmapped_bytes = 0;       // mp_.mmapped_mem
  uint64_t tcaches = 0;             // tcache_perthread_structs found
  std::vector<std::string> warnings;
  bool partial = false;  // a bad chunk, a bin loop, an arena outside the core

  const MallocArena* ArenaHolding(Address a) const;
};

struct MallocLimits {
  uint64_t max_arenas = 1024;
  uint64_t max_heaps_per_arena = 4096;
  uint64_t max_chunks_per_arena = 50'000'000;
  uint64_t max_tcaches = 4096;
};

// Finds and accounts malloc's state in the target. Never throws for bad memory: what cannot be
// read is a warning (and partial).
MallocReport ReadMalloc(const Memory& memory, std::span<const Mapping> mappings,
                        const MallocLimits& limits = {});

// An mmapped malloc chunk whose user memory starts at address (its header just before it has
// IS_MMAPPED set, a page-multiple size): the chunk's size.
std::optional<uint64_t> MmappedChunkAt(const Memory& memory, Address user_address);

}  // namespace mortem::native

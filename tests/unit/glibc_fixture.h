// Purpose: fake memory laid out as glibc 2.36 lays out malloc's state (x86-64), for unit tests
// of mortem_native and of what is built on it: a libc with its version string and a main_arena
// in its data, a brk heap of a few chunks (one free, in a small bin), and a thread arena in a
// 64 MiB heap of one chunk and its top chunk.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "mortem/core/fake_memory.h"
#include "mortem/core/mapping.h"

namespace mortem::test::glibc {

constexpr Address kText = 0x7f0000000000, kData = 0x7f0000100000, kBrk = 0x10000000;
constexpr Address kArena = kData + 0x100;
constexpr Address kThreadHeap = 0x7e0004000000, kThreadArena = kThreadHeap + 48;
constexpr uint64_t kBrkSize = 0x10000;
constexpr uint64_t kPrevInuse = 1;

inline Address BinAt(Address arena, int i) {
  return arena + 112 + (i - 1) * 16 - 16;
}

inline void EmptyBins(FakeMemory& m, Address arena) {
  for (int i = 1; i < 128; ++i) {
    m.WriteWord(arena + 112 + (i - 1) * 16, BinAt(arena, i));
    m.WriteWord(arena + 112 + (i - 1) * 16 + 8, BinAt(arena, i));
  }
}

struct Fixture {
  FakeMemory memory;
  std::vector<Mapping> mappings;
  Address free_chunk = kBrk + 0x100;

  Fixture() {
    memory.AddBlock(kText, 0x1000);
    const std::string version = "GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36.";
    memory.WriteBytes(kText + 0x40, version.data(), version.size());
    memory.AddBlock(kData, 0x4000);
    memory.AddBlock(kBrk, kBrkSize);
    memory.AddBlock(kThreadHeap, 0x10000);
    const std::string libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
    mappings = {{kBrk, kBrk + kBrkSize, true, true, false, "", 0, kBrkSize},
                {kThreadHeap, kThreadHeap + 0x10000, true, true, false, "", 0, 0x10000},
                {kText, kText + 0x1000, true, false, false, libc, 0, 0x1000},
                {kData, kData + 0x4000, true, true, false, libc, 0x1000, 0x4000}};
    std::sort(mappings.begin(), mappings.end(),
              [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
    // Main arena: chunks of 0x100 (in use), 0x200 (free, in small bin 33), 0x100 (in use),
    // then the top chunk to the heap's end.
    EmptyBins(memory, kArena);
    memory.WriteWord(kBrk + 8, 0x100 | kPrevInuse);
    memory.WriteWord(free_chunk + 8, 0x200 | kPrevInuse);
    memory.WriteWord(free_chunk + 0x200 + 8, 0x100);  // PREV_INUSE clear: the one before is free
    const Address top = free_chunk + 0x300;
    memory.WriteWord(top + 8, (kBrk + kBrkSize - top) | kPrevInuse);
    const int bin = 0x200 / 16;  // small bin index for 512 bytes
    memory.WriteWord(kArena + 112 + (bin - 1) * 16, free_chunk);
    memory.WriteWord(kArena + 112 + (bin - 1) * 16 + 8, free_chunk);
    memory.WriteWord(free_chunk + 16, BinAt(kArena, bin));
    memory.WriteWord(free_chunk + 24, BinAt(kArena, bin));
    memory.WriteWord(kArena + 96, top);
    memory.WriteWord(kArena + 2160, kThreadArena);  // next
    memory.WriteWord(kArena + 2176, 1);             // attached_threads
    memory.WriteWord(kArena + 2184, kBrkSize);      // system_mem
    memory.WriteWord(kArena + 2192, kBrkSize);
    // mp_ (2.35+ layout) after the arena: sbrk_base at +96, tcache_bins at +104.
    const Address mp = kArena + 0x8a0;
    memory.WriteWord(mp + 96, kBrk);
    memory.WriteWord(mp + 104, 64);
    memory.WriteBytes(mp + 64, "\x00\x00\x01\x00", 4);  // n_mmaps_max 65536
    // A thread arena in its heap: heap_info {ar_ptr, prev 0, size 0x10000}, one chunk, top.
    memory.WriteWord(kThreadHeap, kThreadArena);
    memory.WriteWord(kThreadHeap + 16, 0x10000);
    EmptyBins(memory, kThreadArena);
    const Address first = kThreadArena + 2208;  // aligned after the 2200-byte malloc_state
    memory.WriteWord(first + 8, 0x40 | kPrevInuse | 4);
    const Address thread_top = first + 0x40;
    memory.WriteWord(thread_top + 8, (kThreadHeap + 0x10000 - thread_top) | kPrevInuse | 4);
    memory.WriteWord(kThreadArena + 96, thread_top);
    memory.WriteWord(kThreadArena + 2160, kArena);
    memory.WriteWord(kThreadArena + 2176, 1);
    memory.WriteWord(kThreadArena + 2184, 0x10000);
    memory.WriteWord(kThreadArena + 2192, 0x10000);
  }
};

}  // namespace mortem::test::glibc

// Purpose: accounting one located glibc malloc: each arena's heaps walked chunk by chunk, its
// bins and fastbins followed, the threads' tcaches found among the in-use chunks and followed.
// Every step bounded and checked. Internal to mortem_native.
#pragma once
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "glibc_facts.h"
#include "mortem/native/glibc_malloc.h"

namespace mortem::native {

inline void Warn(MallocReport& report, std::string text) {
  report.partial = true;
  if (report.warnings.size() < 50) report.warnings.push_back(std::move(text));
}

inline uint64_t AlignUp(uint64_t v, uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}

// Reads words of one heap through a single view when the core holds it contiguously.
class HeapReader {
 public:
  HeapReader(const Memory& memory, Address start, Address end) : memory_(memory), start_(start) {
    view_ = memory.View(start, end - start);
  }
  std::optional<uint64_t> Word(Address a) const {
    if (a >= start_ && a - start_ + 8 <= view_.size()) {
      uint64_t v;
      std::memcpy(&v, view_.data() + (a - start_), 8);
      return v;
    }
    return memory_.ReadWord(a);
  }

 private:
  const Memory& memory_;
  Address start_;
  std::span<const std::byte> view_;
};

// The arenas from main_arena through their next pointers, with their heaps (no chunks yet).
void FindArenas(const Memory& memory, const MallocFacts& facts, const MallocLimits& limits,
                MallocReport& report);
// The main arena's heaps: its brk heap, or the segments of a non-contiguous one, found outside
// the heaps of the thread arenas already listed (glibc_main_arena.cpp).
void AddMainArenaHeaps(const Memory& memory, const MallocFacts& facts, const MallocLimits& limits,
                       MallocArena& arena, Address top, MallocReport& report);
// Walks every arena's heaps, bins, fastbins and the tcaches (glibc_account.cpp).
void AccountArenas(const Memory& memory, const MallocFacts& facts, const MallocLimits& limits,
                   MallocReport& report);

}  // namespace mortem::native

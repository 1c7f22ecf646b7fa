#include "glibc_walk.h"

#include <algorithm>

#include "glibc_locate.h"
#include "mortem/core/text.h"

namespace mortem::native {
namespace {

using F = MallocFacts;

void AddHeapsOfThreadArena(const Memory& memory, const MallocFacts& facts,
                           const MallocLimits& limits, MallocArena& arena, Address top,
                           MallocReport& report) {
  Address h = top & ~(F::kHeapMaxSize - 1);
  const Address first = arena.address & ~(F::kHeapMaxSize - 1);
  for (uint64_t n = 0; h != 0; ++n) {
    if (n >= limits.max_heaps_per_arena) {
      Warn(report, "arena " + Hex(arena.address) + ": more than " +
                       std::to_string(limits.max_heaps_per_arena) + " heaps; the rest not read");
      return;
    }
    const auto ar_ptr = memory.ReadWord(h), prev = memory.ReadWord(h + 8),
               size = memory.ReadWord(h + 16);
    if (!ar_ptr || !prev || !size) {
      Warn(report,
           "arena " + Hex(arena.address) + ": its heap at " + Hex(h) + " is not in the core");
      return;
    }
    if (*ar_ptr != arena.address || *size > F::kHeapMaxSize || *size < F::kMinSize) {
      Warn(report, "arena " + Hex(arena.address) + ": the heap_info at " + Hex(h) +
                       " does not belong to it (ar_ptr " + Hex(*ar_ptr) + ", size " +
                       std::to_string(*size) + ")");
      return;
    }
    const Address start =
        h == first ? AlignUp(arena.address + F::kArenaSize, F::kAlign) : h + facts.heap_info_size;
    arena.heaps.push_back(ArenaHeap{start, h + *size, h + F::kHeapMaxSize});
    if (*prev != 0 && (*prev % F::kHeapMaxSize != 0 || *prev == h)) {
      Warn(report, "arena " + Hex(arena.address) + ": heap " + Hex(h) + " has a bad prev pointer " +
                       Hex(*prev));
      return;
    }
    h = *prev;
  }
  std::reverse(arena.heaps.begin(), arena.heaps.end());
}

// The arenas from main_arena through their next pointers, the thread arenas with their heaps.
void ListArenas(const Memory& memory, const MallocFacts& facts, const MallocLimits& limits,
                MallocReport& report) {
  Address a = report.main_arena;
  for (uint64_t n = 0;; ++n) {
    if (n >= limits.max_arenas) {
      Warn(report, "more than " + std::to_string(limits.max_arenas) +
                       " arenas (a loop in main_arena.next?); the rest not read");
      return;
    }
    MallocArena arena;
    arena.address = a;
    arena.main = n == 0;
    const auto top = memory.ReadWord(a + F::kTop), next = memory.ReadWord(a + F::kNext);
    const auto system = memory.ReadWord(a + F::kSystemMem),
               max_system = memory.ReadWord(a + F::kMaxSystemMem),
               attached = memory.ReadWord(a + F::kAttachedThreads);
    if (!top || !next || !system || !max_system || !attached) {
      Warn(report, "arena " + Hex(a) + " (from the arena before it) is not in the core");
      return;
    }
    arena.system_bytes = *system;
    arena.max_system_bytes = *max_system;
    arena.attached_threads = *attached;
    if (!arena.main) AddHeapsOfThreadArena(memory, facts, limits, arena, *top, report);
    report.arenas.push_back(std::move(arena));
    a = *next;
    if (a == report.main_arena) return;
    for (const auto& seen : report.arenas)
      if (seen.address == a) {
        Warn(report, "main_arena.next loops back to " + Hex(a) + " before the main arena");
        return;
      }
    if (a % 8 != 0 || !LooksLikeArena(memory, a)) {
      Warn(report, "arena list: " + Hex(a) + " is not an arena; the arenas after it not read");
      return;
    }
  }
}

}  // namespace

bool MallocArena::Holds(Address a) const {
  for (const auto& h : heaps)
    if (a >= h.start && a < h.end) return true;
  return false;
}

const MallocArena* MallocReport::ArenaHolding(Address a) const {
  for (const auto& arena : arenas)
    if (arena.Holds(a)) return &arena;
  return nullptr;
}

void FindArenas(const Memory& memory, const MallocFacts& facts, const MallocLimits& limits,
                MallocReport& report) {
  ListArenas(memory, facts, limits, report);
  if (report.arenas.empty()) return;
  // The main arena last: a non-contiguous one's segments are looked for outside the others.
  MallocArena& main = report.arenas.front();
  if (const auto top = memory.ReadWord(main.address + F::kTop))
    AddMainArenaHeaps(memory, facts, limits, main, *top, report);
}

}  // namespace mortem::native

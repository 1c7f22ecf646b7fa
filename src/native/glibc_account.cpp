// AccountArenas: each arena's heaps walked chunk by chunk, its bins and fastbins followed, the
// threads' tcaches (tcache_perthread_struct chunks among the in-use ones) followed.
#include <algorithm>
#include <unordered_set>

#include "glibc_walk.h"
#include "mortem/core/text.h"

namespace mortem::native {
namespace {

using F = MallocFacts;

uint64_t ChunkSize(uint64_t size_word) {
  return size_word & ~F::kFlagBits;
}

struct Walk {
  const Memory& memory;
  const MallocFacts& facts;
  const MallocLimits& limits;
  MallocReport& report;
  std::vector<Address> tcache_candidates;  // chunks shaped like a tcache_perthread_struct

  // Walks [heap.start, heap.end) up to the top chunk (or the heap's end), counting chunks.
  void Heap(MallocArena& arena, const ArenaHeap& heap, Address top) {
    HeapReader read(memory, heap.start, heap.end);
    Address p = heap.start;
    while (p < heap.end) {
      if (p == top) {
        if (auto w = read.Word(p + 8)) arena.top.Add(ChunkSize(*w));
        return;
      }
      const auto w = read.Word(p + 8);
      const uint64_t size = w ? ChunkSize(*w) : 0;
      if (!w || size < F::kMinSize || size % F::kAlign != 0 || size > heap.end - p) {
        // A thread heap left for a new one ends in two fenceposts (sizes 16 and 0).
        if (w && size <= 2 * F::kSizeSz && heap.end - p <= 2 * F::kMinSize) return;
        arena.unwalked_bytes += heap.end - p;
        Warn(report,
             "arena " + Hex(arena.address) + ": " +
                 (w ? "a bad chunk header at " + Hex(p) + " (size " + std::to_string(size) + ")"
                    : "the chunk at " + Hex(p) + " is not in the core") +
                 "; the last " + std::to_string(heap.end - p) + " bytes of its heap not walked");
        return;
      }
      const Address next = p + size;
      const auto next_word = next < heap.end ? read.Word(next + 8) : std::nullopt;
      const bool in_use = !next_word || (*next_word & F::kPrevInuse);
      arena.walked.Add(size);
      if (!in_use)
        arena.walked_free.Add(size);
      else if (size == facts.TcacheChunkSize() && tcache_candidates.size() < limits.max_tcaches)
        tcache_candidates.push_back(p);
      if (arena.walked.count >= limits.max_chunks_per_arena) {
        arena.unwalked_bytes += heap.end - next;
        Warn(report, "arena " + Hex(arena.address) + ": more than " +
                         std::to_string(limits.max_chunks_per_arena) +
                         " chunks; the rest not walked");
        return;
      }
      p = next;
    }
  }

  // A free chunk pointer from a list: inside the arena, aligned, with a sane size.
  std::optional<uint64_t> FreeChunkSize(const MallocArena& arena, Address c) {
    if (c % F::kAlign != 0 || !arena.Holds(c)) return std::nullopt;
    const auto w = memory.ReadWord(c + 8);
    if (!w || ChunkSize(*w) < F::kMinSize || ChunkSize(*w) % F::kAlign != 0) return std::nullopt;
    return ChunkSize(*w);
  }

  uint64_t StepCap(const MallocArena& arena) const {
    return arena.walked.count + arena.unwalked_bytes / F::kMinSize + 16;
  }

  void Bins(MallocArena& arena) {
    for (uint64_t i = 1; i < F::kNumBins; ++i) {
      ChunkTally& tally = i == 1 ? arena.unsorted : i < 64 ? arena.small_bins : arena.large_bins;
      const Address head = F::BinAt(arena.address, i);
      auto c = memory.ReadWord(head + 16);
      std::unordered_set<Address> seen;  // a chunk met twice: the list loops
      for (uint64_t steps = 0; c && *c != head; ++steps) {
        const auto size = FreeChunkSize(arena, *c);
        if (!size) {
          Warn(report, "arena " + Hex(arena.address) + ": bin " + std::to_string(i) +
                           " points at " + Hex(*c) + ", not a chunk of the arena; the rest of " +
                           "the bin not followed");
          break;
        }
        if (!seen.insert(*c).second || steps > StepCap(arena)) {
          Warn(report, "arena " + Hex(arena.address) + ": bin " + std::to_string(i) + " loops (" +
                           (steps > StepCap(arena) ? "more entries than the arena has chunks"
                                                   : "back to " + Hex(*c)) +
                           "); not followed further");
          break;
        }
        tally.Add(*size);
        c = memory.ReadWord(*c + 16);
      }
    }
  }

  Address Reveal(Address position, uint64_t stored) const {
    return facts.safe_linking ? (position >> 12) ^ stored : stored;
  }

  void Fastbins(MallocArena& arena) {
    for (uint64_t i = 0; i < F::kNumFastbins; ++i) {
      auto head = memory.ReadWord(arena.address + F::kFastbins + 8 * i);
      Address c = head ? *head : 0;
      std::unordered_set<Address> seen;
      for (uint64_t steps = 0; c != 0; ++steps) {
        const auto size = FreeChunkSize(arena, c);
        if (!size || !seen.insert(c).second || steps > StepCap(arena)) {
          Warn(report,
               "arena " + Hex(arena.address) + ": fastbin " + std::to_string(i) +
                   (size ? " loops" : " points at " + Hex(c) + ", not a chunk of the arena") +
                   "; not followed further");
          break;
        }
        arena.fastbins.Add(*size);
        const auto stored = memory.ReadWord(c + 16);
        c = stored ? Reveal(c + 16, *stored) : 0;
      }
    }
  }

  // A tcache_perthread_struct: counts[64], entries[64]; a bin has a count exactly when it has a
  // first entry, an aligned pointer to the user memory of a chunk in some arena.
  bool IsTcache(Address chunk, std::vector<uint64_t>& counts, std::vector<Address>& entries) {
    const Address mem = chunk + 16;
    const uint64_t count_bytes = facts.tcache_counts_16bit ? 2 : 1;
    std::vector<std::byte> raw(F::kTcacheBins * (count_bytes + 8));
    if (memory.Read(mem, raw.data(), raw.size()) != raw.size()) return false;
    counts.assign(F::kTcacheBins, 0);
    entries.assign(F::kTcacheBins, 0);
    for (uint64_t i = 0; i < F::kTcacheBins; ++i) {
      std::memcpy(&counts[i], raw.data() + i * count_bytes, count_bytes);
      std::memcpy(&entries[i], raw.data() + F::kTcacheBins * count_bytes + 8 * i, 8);
      if ((counts[i] == 0) != (entries[i] == 0)) return false;
      if (entries[i] && (entries[i] % F::kAlign != 0 || !report.ArenaHolding(entries[i] - 16)))
        return false;
    }
    return true;
  }

  void Tcaches() {
    std::vector<uint64_t> counts;
    std::vector<Address> entries;
    for (Address chunk : tcache_candidates) {
      if (!IsTcache(chunk, counts, entries)) continue;
      ++report.tcaches;
      for (uint64_t i = 0; i < F::kTcacheBins; ++i) {
        Address e = entries[i];
        const uint64_t want = 32 + 16 * i;
        std::unordered_set<Address> seen;
        for (uint64_t n = 0; n < counts[i] && e != 0; ++n) {
          MallocArena* arena = const_cast<MallocArena*>(report.ArenaHolding(e - 16));
          const auto size = arena ? FreeChunkSize(*arena, e - 16) : std::nullopt;
          if (size && !seen.insert(e).second) {
            Warn(report, "tcache " + Hex(chunk + 16) + ": bin " + std::to_string(i) +
                             " loops (back to " + Hex(e) + "); not followed further");
            break;
          }
          if (!size || *size != want) {
            Warn(report, "tcache " + Hex(chunk + 16) + ": bin " + std::to_string(i) +
                             " points at " + Hex(e) + ", not a free chunk of " +
                             std::to_string(want) + " bytes; not followed further");
            break;
          }
          arena->tcache.Add(*size);
          const auto stored = memory.ReadWord(e);
          e = stored ? Reveal(e, *stored) : 0;
        }
      }
    }
  }
};

}  // namespace

void AccountArenas(const Memory& memory, const MallocFacts& facts, const MallocLimits& limits,
                   MallocReport& report) {
  Walk walk{memory, facts, limits, report, {}};
  for (auto& arena : report.arenas) {
    const auto top = memory.ReadWord(arena.address + F::kTop);
    for (const auto& heap : arena.heaps) walk.Heap(arena, heap, top.value_or(0));
    walk.Bins(arena);
    walk.Fastbins(arena);
    if (arena.walked_free.bytes !=
        arena.unsorted.bytes + arena.small_bins.bytes + arena.large_bins.bytes)
      if (arena.unwalked_bytes == 0 && report.warnings.size() < 50)
        report.warnings.push_back(
            "arena " + Hex(arena.address) + ": the free chunks its heap holds (" +
            std::to_string(arena.walked_free.bytes) + " bytes) differ from those in its bins (" +
            std::to_string(arena.unsorted.bytes + arena.small_bins.bytes + arena.large_bins.bytes) +
            ")");
  }
  walk.Tcaches();
}

}  // namespace mortem::native

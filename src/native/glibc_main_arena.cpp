// AddMainArenaHeaps: where the main arena's chunks are. A contiguous main arena has one heap,
// the brk heap from mp_.sbrk_base to the end of its top chunk. A non-contiguous one (brk could
// not grow, so sysmalloc went on in mmapped memory) has segments that glibc keeps no list of:
// the brk heap and each mmapped piece, every one but the top's ending in two fencepost chunks
// of CHUNK_HDR_SZ (malloc.c, sysmalloc). They are found from chunks known to be the arena's
// (the top, sbrk_base and its bins' and fastbins' chunks): each core region holding one is
// walked from its start, and a segment counts where a walk of sane chunks ends at a fencepost
// pair or exactly at the top chunk's end.
#include <algorithm>
#include <set>

#include "glibc_walk.h"
#include "mortem/core/text.h"

namespace mortem::native {
namespace {

using F = MallocFacts;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kFencepost = 2 * F::kSizeSz;  // CHUNK_HDR_SZ

void AddContiguousHeap(const Memory& memory, MallocArena& arena, Address top,
                       MallocReport& report) {
  const auto top_size = memory.ReadWord(top + 8);
  if (!top_size) {
    Warn(report, "main arena: its top chunk " + Hex(top) + " is not in the core");
    return;
  }
  const Address end = top + (*top_size & ~F::kFlagBits);
  Address start = report.sbrk_base ? AlignUp(report.sbrk_base, F::kAlign) : 0;
  if (start == 0 || start > top) {
    // Without mp_: the brk heap's mapping (the core's region holding the top chunk).
    for (const auto& r : memory.Regions())
      if (r.Contains(top)) start = AlignUp(r.start, F::kAlign);
  }
  if (start == 0 || start > top) {
    Warn(report, "main arena: where its heap starts is unknown; its chunks were not walked");
    return;
  }
  arena.heaps.push_back(ArenaHeap{start, end, end});
}

// Chunk addresses the arena's lists hold (bins and fastbins), each list followed a bounded
// number of steps: seeds for finding the segments, checked again when the lists are counted.
std::vector<Address> ListedChunks(const Memory& memory, const MallocFacts& facts, Address arena,
                                  uint64_t per_list) {
  std::vector<Address> out;
  for (uint64_t i = 1; i < F::kNumBins; ++i) {
    const Address head = F::BinAt(arena, i);
    auto c = memory.ReadWord(head + 16);
    for (uint64_t n = 0; c && *c != head && *c % F::kAlign == 0 && n < per_list; ++n) {
      out.push_back(*c);
      c = memory.ReadWord(*c + 16);
    }
  }
  for (uint64_t i = 0; i < F::kNumFastbins; ++i) {
    auto c = memory.ReadWord(arena + F::kFastbins + 8 * i);
    for (uint64_t n = 0; c && *c != 0 && *c % F::kAlign == 0 && n < per_list; ++n) {
      out.push_back(*c);
      const auto stored = memory.ReadWord(*c + 16);
      if (!stored) break;
      c = facts.safe_linking ? ((*c + 16) >> 12) ^ *stored : *stored;
    }
  }
  return out;
}

struct SegmentFinder {
  const Memory& memory;
  Address top = 0, top_end = 0;
  uint64_t max_chunks = 0;
  std::vector<std::pair<Address, Address>> others;  // the thread arenas' heaps, sorted
  std::vector<Address> seeds;                       // chunks the arena's lists hold, sorted
  // Chunk steps left for the whole search: walks from every page of a region can otherwise
  // cost the region's pages times its chunks (a hostile core: chains that never end).
  mutable uint64_t steps_left = 0;

  // The end of the other arena's heap that [start, end) overlaps, or 0.
  Address OverlapsOther(Address start, Address end) const {
    auto it = std::upper_bound(others.begin(), others.end(), std::pair{start, ~Address{0}});
    if (it != others.begin() && std::prev(it)->second > start) return std::prev(it)->second;
    return it != others.end() && it->first < end ? it->second : 0;
  }

  // A main-arena chunk's size (NON_MAIN_ARENA and IS_MMAPPED clear), else nullopt.
  std::optional<uint64_t> SizeAt(Address p) const {
    const auto w = memory.ReadWord(p + 8);
    if (!w || (*w & (F::kNonMainArena | F::kIsMmapped))) return std::nullopt;
    return *w & ~F::kFlagBits;
  }

  struct Walked {
    std::optional<Address> end;  // the segment's end, if the walk ended as a segment does
    bool through_seed = false;   // a chunk it passed is one the arena's lists hold
  };

  // Walks sane chunks from start within [start, limit): the segment's end if the walk ends at a
  // fencepost pair (just past it) or at the top chunk (its end).
  Walked WalkFrom(Address start, Address limit) const {
    Walked w;
    Address p = start;
    for (uint64_t n = 0; p + 2 * F::kSizeSz <= limit && n < max_chunks && steps_left > 0; ++n) {
      --steps_left;
      if (p == top) {
        w.end = top_end;
        return w;
      }
      w.through_seed = w.through_seed || std::binary_search(seeds.begin(), seeds.end(), p);
      const auto size = SizeAt(p);
      if (!size) return w;
      if (*size == kFencepost) {
        const auto second = SizeAt(p + kFencepost);
        if (second && *second == kFencepost) w.end = p + 2 * kFencepost;
        return w;
      }
      if (*size < F::kMinSize || *size % F::kAlign != 0 || *size > limit - p) return w;
      p += *size;
    }
    return w;
  }

  // The segments in [from, region_end): from `from`, else (with every_page) from each later
  // page start, a walk that ends as a segment does; one found, the next may start right after.
  // With every_page (a region known to hold the arena's chunks), a walk that passed one of
  // them and then met a bad chunk is a damaged segment: it runs to the next segment found (or
  // the region's end), and the chunk walk reports where it breaks.
  void Scan(Address from, Address region_end, bool every_page, std::vector<ArenaHeap>& out,
            uint64_t max_segments) const {
    Address p = AlignUp(from, F::kAlign);
    std::optional<Address> damaged;
    auto close_damaged = [&](Address end) {
      if (damaged && out.size() < max_segments) out.push_back(ArenaHeap{*damaged, end, end});
      damaged.reset();
    };
    while (p < region_end && out.size() < max_segments) {
      if (const Address other_end = OverlapsOther(p, p + 1)) {
        close_damaged(p);
        p = AlignUp(other_end, F::kAlign);
        continue;
      }
      const Walked w = WalkFrom(p, region_end);
      if (w.end && !OverlapsOther(p, *w.end)) {
        close_damaged(p);
        out.push_back(ArenaHeap{p, *w.end, *w.end});
        p = *w.end;
      } else if (const auto mmapped = MmappedChunkAt(memory, p + 16);
                 mmapped && *mmapped <= region_end - p) {
        close_damaged(p);
        p += *mmapped;  // a large allocation mmapped beside the segments: never one of them
      } else if (every_page) {
        if (w.through_seed && !damaged) damaged = p;
        p = AlignUp(p + 1, kPage);
      } else {
        return;
      }
    }
    close_damaged(std::min(p, region_end));
  }
};

uint64_t Found(const MallocArena& arena) {
  uint64_t bytes = 0;
  for (const auto& h : arena.heaps) bytes += h.end - h.start;
  return bytes;
}

void AddSegments(const Memory& memory, const MallocFacts& facts, const MallocLimits& limits,
                 MallocArena& arena, Address top, MallocReport& report) {
  const auto top_size = memory.ReadWord(top + 8);
  if (!top_size) {
    Warn(report, "main arena: its top chunk " + Hex(top) + " is not in the core");
    return;
  }
  SegmentFinder finder{memory, top, top + (*top_size & ~F::kFlagBits), limits.max_chunks_per_arena,
                       {},     {}};
  finder.steps_left = limits.max_chunks_per_arena;
  for (const auto& other : report.arenas)
    if (!other.main)
      for (const auto& h : other.heaps) finder.others.emplace_back(h.start, h.end);
  std::sort(finder.others.begin(), finder.others.end());
  std::vector<Address> seeds = ListedChunks(memory, facts, arena.address, 1 << 16);
  seeds.push_back(top);
  if (report.sbrk_base) seeds.push_back(report.sbrk_base);
  finder.seeds = seeds;
  std::sort(finder.seeds.begin(), finder.seeds.end());
  auto regions = memory.Regions();
  std::sort(regions.begin(), regions.end(),
            [](const Region& a, const Region& b) { return a.start < b.start; });
  std::set<size_t> holding;  // indexes of the regions that hold a seed
  for (Address s : seeds) {
    auto it = std::upper_bound(regions.begin(), regions.end(), s,
                               [](Address a, const Region& r) { return a < r.start; });
    if (it != regions.begin() && std::prev(it)->Contains(s) && std::prev(it)->readable)
      holding.insert(static_cast<size_t>(std::prev(it) - regions.begin()));
  }
  for (size_t i : holding) {
    const Region& r = regions[i];
    // The brk heap starts at sbrk_base, which need not be its region's start.
    const Address from = r.Contains(report.sbrk_base) ? report.sbrk_base : r.start;
    finder.Scan(from, r.end, true, arena.heaps, limits.max_heaps_per_arena);
  }
  // Segments none of whose chunks is free are in no list: the other anonymous writable regions
  // are tried from their starts (an mmapped segment starts its mapping, or follows another).
  if (Found(arena) < arena.system_bytes)
    for (size_t i = 0; i < regions.size(); ++i) {
      const Region& r = regions[i];
      if (holding.count(i) || !r.readable || !r.writable || !r.name.empty()) continue;
      finder.Scan(r.start, r.end, false, arena.heaps, limits.max_heaps_per_arena);
    }
  std::sort(arena.heaps.begin(), arena.heaps.end(),
            [](const ArenaHeap& a, const ArenaHeap& b) { return a.start < b.start; });
  const uint64_t found = Found(arena);
  const bool has_top = std::any_of(arena.heaps.begin(), arena.heaps.end(),
                                   [&](const ArenaHeap& h) { return h.end == finder.top_end; });
  if (finder.steps_left == 0)
    Warn(report, "main arena (non-contiguous): the search for its segments stopped after " +
                     std::to_string(limits.max_chunks_per_arena) + " chunk steps");
  if (!has_top)
    Warn(report, "main arena (non-contiguous): no run of chunks ends at its top chunk " + Hex(top) +
                     "; its segment was not walked");
  if (found + kPage < arena.system_bytes)
    Warn(report, "main arena (non-contiguous): its " + std::to_string(arena.heaps.size()) +
                     " segments found hold " + std::to_string(found) + " of its " +
                     std::to_string(arena.system_bytes) + " system bytes");
}

}  // namespace

void AddMainArenaHeaps(const Memory& memory, const MallocFacts& facts, const MallocLimits& limits,
                       MallocArena& arena, Address top, MallocReport& report) {
  const auto mutex_and_flags = memory.ReadWord(arena.address);
  const uint64_t flags = mutex_and_flags ? *mutex_and_flags >> 32 : 0;
  arena.contiguous = (flags & F::kFlagsNonContiguous) == 0;
  if (arena.contiguous)
    AddContiguousHeap(memory, arena, top, report);
  else
    AddSegments(memory, facts, limits, arena, top, report);
}

}  // namespace mortem::native

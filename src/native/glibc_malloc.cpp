// ReadMalloc: which allocator, then glibc's main_arena and mp_ found by shape, the arenas
// listed and accounted.
#include "mortem/native/glibc_malloc.h"

#include <algorithm>

#include "glibc_locate.h"
#include "glibc_walk.h"
#include "mortem/core/text.h"

namespace mortem::native {
namespace {

// jemalloc or tcmalloc loaded (LD_PRELOAD or linked): malloc is theirs, not glibc's.
bool FindOtherAllocator(std::span<const Mapping> mappings, MallocReport& report) {
  for (const auto& m : mappings) {
    const auto slash = m.path.rfind('/');
    const std::string name = m.path.substr(slash == std::string::npos ? 0 : slash + 1);
    for (const char* which : {"jemalloc", "tcmalloc"}) {
      if (name.starts_with(std::string("lib") + which)) {
        report.allocator = which;
        report.allocator_path = m.path;
        return true;
      }
    }
  }
  return false;
}

// Where mp_.sbrk_base may point. A contiguous main arena: into the anonymous mapping holding its
// top chunk (0 if there is none). A non-contiguous one, whose top is in mmapped memory: at the
// start of an anonymous writable mapping whose first word pair is a chunk header (size sane,
// PREV_INUSE set, NON_MAIN_ARENA clear).
std::function<bool(Address)> PlausibleSbrkBase(const Memory& memory,
                                               std::span<const Mapping> mappings,
                                               Address main_arena) {
  using F = MallocFacts;
  const auto top = memory.ReadWord(main_arena + F::kTop);
  const auto flags = memory.ReadWord(main_arena);
  if (!top) return [](Address) { return false; };
  if (flags && ((*flags >> 32) & F::kFlagsNonContiguous) == 0) {
    Address start = 0, end = 0;
    for (const auto& m : mappings)
      if (m.Contains(*top) && m.path.empty()) start = m.start, end = *top + 1;
    return [start, end](Address a) { return start == 0 ? a == 0 : a >= start && a < end; };
  }
  return [&memory, mappings](Address a) {
    if (a == 0 || a % F::kAlign != 0) return false;
    const auto m = std::find_if(mappings.begin(), mappings.end(),
                                [a](const Mapping& each) { return each.Contains(a); });
    if (m == mappings.end() || !m->path.empty() || !m->writable) return false;
    const auto w = memory.ReadWord(a + 8);
    return w && (*w & F::kPrevInuse) && !(*w & F::kNonMainArena) &&
           (*w & ~F::kFlagBits) >= F::kMinSize && (*w & ~F::kFlagBits) % F::kAlign == 0 &&
           (*w & ~F::kFlagBits) <= m->end - a;
  };
}

}  // namespace

MallocReport ReadMalloc(const Memory& memory, std::span<const Mapping> mappings,
                        const MallocLimits& limits) {
  MallocReport report;
  report.allocator = "unknown";
  if (FindOtherAllocator(mappings, report)) {
    report.warnings.push_back("malloc is " + report.allocator + "'s (" + report.allocator_path +
                              "), not glibc's; its arenas are not accounted");
    return report;
  }
  const auto libc = FindLibc(mappings);
  if (!libc) {
    report.warnings.push_back("no glibc (libc.so.6) among the mappings: malloc not accounted");
    return report;
  }
  report.allocator = "glibc";
  report.libc_path = libc->path;
  const auto version = LibcVersion(memory, *libc);
  report.glibc_version = version.value_or("");
  const auto parsed = version ? ParseGlibcVersion(*version) : std::nullopt;
  const auto facts = parsed ? FactsFor(*parsed) : std::nullopt;
  if (!facts) {
    Warn(report, "glibc " + (version ? *version : std::string("of unknown version")) +
                     ": malloc's layout facts cover " + CoveredVersions() +
                     "; its arenas are not accounted");
    return report;
  }
  report.layout_known = true;
  const auto candidates = FindMainArenaCandidates(memory, *libc);
  if (candidates.empty()) {
    Warn(report, "main_arena not found in " + libc->path +
                     "'s data (not in the core, or malloc never ran)");
    return report;
  }
  report.main_arena = candidates.front();
  if (candidates.size() > 1)
    report.warnings.push_back(std::to_string(candidates.size()) +
                              " places in libc's data look like main_arena; the first is used");
  auto mp =
      FindMallocPar(memory, *libc, *facts, PlausibleSbrkBase(memory, mappings, report.main_arena));
  if (!mp)  // a non-contiguous main arena that never had a brk heap
    mp = FindMallocPar(memory, *libc, *facts, [](Address a) { return a == 0; });
  if (mp) {
    report.malloc_par = mp->address;
    report.sbrk_base = mp->sbrk_base;
    report.mmapped_chunks = mp->n_mmaps;
    report.mmapped_bytes = mp->mmapped_mem;
  } else {
    report.warnings.push_back(
        "mp_ (malloc's parameters) not found in libc's data: "
        "the mmapped chunks are not counted");
  }
  FindArenas(memory, *facts, limits, report);
  AccountArenas(memory, *facts, limits, report);
  return report;
}

std::optional<uint64_t> MmappedChunkAt(const Memory& memory, Address user_address) {
  if (user_address % MallocFacts::kAlign != 0 || user_address < 16) return std::nullopt;
  const auto w = memory.ReadWord(user_address - 8);
  if (!w || (*w & MallocFacts::kIsMmapped) == 0 || (*w & MallocFacts::kNonMainArena)) return {};
  const uint64_t size = *w & ~MallocFacts::kFlagBits;
  if (size < 4096 || size % 4096 != 0) return std::nullopt;
  return size;
}

}  // namespace mortem::native

// ReadMalloc: which allocator, then glibc's main_arena and mp_ found by shape, the arenas
// listed and accounted.
#include "mortem/native/glibc_malloc.h"

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

// The brk heap's bounds, from the mapping holding main_arena.top.
std::pair<Address, Address> BrkHeapOf(const Memory& memory, std::span<const Mapping> mappings,
                                      Address main_arena) {
  const auto top = memory.ReadWord(main_arena + MallocFacts::kTop);
  if (!top) return {0, 0};
  for (const auto& m : mappings)
    if (m.Contains(*top) && m.path.empty()) return {m.start, *top + 1};
  return {0, 0};
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
  const auto [brk_start, brk_end] = BrkHeapOf(memory, mappings, report.main_arena);
  if (const auto mp = FindMallocPar(memory, *libc, *facts, brk_start, brk_end)) {
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

// glibc malloc's layout by version (x86-64). Sources: glibc's malloc/malloc.c and arena.c:
//   2.26 tcache; 2.27 malloc_state.have_fastchunks (fastbinsY at 16); 2.30 tcache counts become
//   uint16_t; 2.32 safe-linking (PROTECT_PTR: next = (&next >> 12) ^ ptr) for tcache and
//   fastbins; 2.35 heap_info.pagesize (heap_info 48 bytes, was 32) and malloc_par's
//   thp_pagesize, hp_pagesize, hp_flags before n_mmaps (its tail moves 24 bytes).
// Covered: 2.28 (the oldest glibc the official Node 18+ binaries run on) to 2.41.
#include "glibc_facts.h"

#include <cstdio>

namespace mortem::native {

std::optional<GlibcVersion> ParseGlibcVersion(const std::string& text) {
  GlibcVersion v;
  if (std::sscanf(text.c_str(), "%d.%d", &v.major, &v.minor) != 2) return std::nullopt;
  return v;
}

std::string CoveredVersions() {
  return "glibc 2.28 to 2.41";
}

std::optional<MallocFacts> FactsFor(const GlibcVersion& v) {
  if (v.major != 2 || v.minor < 28 || v.minor > 41) return std::nullopt;
  MallocFacts f;
  f.safe_linking = v.AtLeast(2, 32);
  f.tcache_counts_16bit = v.AtLeast(2, 30);
  if (v.AtLeast(2, 35)) {
    f.heap_info_size = 48;
    f.mp_n_mmaps = -36;
    f.mp_start = -96;
  } else {
    f.heap_info_size = 32;
    f.mp_n_mmaps = -32;
    f.mp_start = -72;
  }
  return f;
}

}  // namespace mortem::native

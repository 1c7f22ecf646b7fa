// Purpose: the layout facts of glibc's malloc on x86-64, by glibc version, carried over from
// glibc's malloc/malloc.c and malloc/arena.c (struct malloc_state, malloc_par, heap_info,
// tcache_perthread_struct, safe-linking). Internal to mortem_native.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace mortem::native {

struct GlibcVersion {
  int major = 0, minor = 0;
  bool AtLeast(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
};

struct MallocFacts {
  // Chunks (SIZE_SZ 8, MALLOC_ALIGNMENT 16, MINSIZE 32).
  static constexpr uint64_t kSizeSz = 8, kAlign = 16, kMinSize = 32;
  static constexpr uint64_t kPrevInuse = 1, kIsMmapped = 2, kNonMainArena = 4, kFlagBits = 7;
  // struct malloc_state (2.27+, with have_fastchunks).
  static constexpr uint64_t kFastbins = 16, kNumFastbins = 10, kTop = 96, kBins = 112;
  static constexpr uint64_t kNumBins = 128;  // bins 1..127; 1 is the unsorted bin
  static constexpr uint64_t kNext = 2160, kAttachedThreads = 2176, kSystemMem = 2184,
                            kMaxSystemMem = 2192, kArenaSize = 2200;
  static constexpr uint64_t kFlagsNonContiguous = 2;  // in flags, the int after the mutex
  // Thread arenas' heaps: HEAP_MAX_SIZE (2 * DEFAULT_MMAP_THRESHOLD_MAX) on 64-bit.
  static constexpr uint64_t kHeapMaxSize = uint64_t{64} << 20;
  // tcache: TCACHE_MAX_BINS.
  static constexpr uint64_t kTcacheBins = 64;

  uint64_t heap_info_size = 48;     // heap_info: ar_ptr, prev, size, mprotect_size[, pagesize], pad
  bool safe_linking = true;         // tcache and fastbin next pointers are PROTECT_PTR'd (2.32+)
  bool tcache_counts_16bit = true;  // uint16_t counts[] (2.30+), else char
  // malloc_par, relative to its sbrk_base field.
  int64_t mp_n_mmaps = -36, mp_mmapped_mem = -16, mp_max_mmapped_mem = -8;
  int64_t mp_tcache_bins = 8;
  int64_t mp_start = -96;  // trim_threshold: where mp_ starts

  uint64_t TcacheChunkSize() const {  // the tcache_perthread_struct's chunk
    const uint64_t counts = tcache_counts_16bit ? 2 * kTcacheBins : kTcacheBins;
    return (counts + 8 * kTcacheBins + kSizeSz + kAlign - 1) & ~(kAlign - 1);
  }
  // The bin i (1..127) header's address: bin_at(m, i), a fake chunk whose fd/bk are bins[].
  static uint64_t BinAt(uint64_t arena, uint64_t i) { return arena + kBins + (i - 1) * 16 - 16; }
};

// The facts for a glibc version; nullopt for versions they do not cover (before 2.28).
std::optional<MallocFacts> FactsFor(const GlibcVersion& v);
std::optional<GlibcVersion> ParseGlibcVersion(const std::string& text);  // "2.36"
// The versions covered, in words, for warnings and docs.
std::string CoveredVersions();

}  // namespace mortem::native

// Unit tests of mortem_native's glibc malloc reader on fake memory laid out as glibc 2.36 lays
// it out (x86-64): a libc with its version string and a main_arena in its data, a brk heap of
// a few chunks, a thread arena in a 64 MiB heap; then the bad shapes a core can hold (a bin
// that loops, a corrupt chunk header, an arena list that leaves the core): bounded, reported,
// the rest accounted; and a non-contiguous main arena (brk heap and mmapped segments).
#include "mortem/native/glibc_malloc.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "glibc_fixture.h"

using namespace mortem;
using namespace mortem::test::glibc;

TEST_CASE("glibc malloc: main_arena and a thread arena found by shape and accounted") {
  Fixture f;
  const auto r = native::ReadMalloc(f.memory, f.mappings);
  CHECK(r.allocator == "glibc");
  CHECK(r.glibc_version == "2.36");
  CHECK(r.main_arena == kArena);
  CHECK(r.sbrk_base == kBrk);
  CHECK_FALSE(r.partial);
  REQUIRE(r.arenas.size() == 2);
  const auto& main = r.arenas[0];
  CHECK(main.main);
  CHECK(main.walked.count == 3);
  CHECK(main.walked_free.bytes == 0x200);
  CHECK(main.small_bins.bytes == 0x200);
  CHECK(main.top.bytes == kBrkSize - 0x400);
  CHECK(main.free_bytes() == 0x200 + kBrkSize - 0x400);
  CHECK(main.in_use_bytes() == 0x200);
  CHECK(r.arenas[1].address == kThreadArena);
  CHECK(r.arenas[1].walked.count == 1);
  CHECK(r.arenas[1].in_use_bytes() == 0x40);
}

TEST_CASE("glibc malloc: a looping bin and a corrupt chunk are bounded and reported") {
  Fixture f;
  // The free chunk's fd points at itself instead of back at its bin.
  f.memory.WriteWord(f.free_chunk + 16, f.free_chunk);
  // The in-use chunk after it claims to be larger than the heap.
  f.memory.WriteWord(f.free_chunk + 0x200 + 8, 0x7ffffff0);
  const auto r = native::ReadMalloc(f.memory, f.mappings);
  CHECK(r.partial);
  bool loop = false, corrupt = false;
  for (const auto& w : r.warnings) {
    loop = loop || w.find("loops") != std::string::npos;
    corrupt = corrupt || w.find("bad chunk header") != std::string::npos;
  }
  CHECK(loop);
  CHECK(corrupt);
  REQUIRE(r.arenas.size() == 2);
  // The looping chunk is counted once, not until the step cap.
  CHECK(r.arenas[0].small_bins.count == 1);
  CHECK(r.arenas[0].small_bins.bytes == 0x200);
  CHECK(r.arenas[1].in_use_bytes() == 0x40);  // the other arena still accounted
}

TEST_CASE("glibc malloc: an empty bin made to loop does not hide main_arena") {
  Fixture f;
  // Bin 62 was empty; its fd now points at a fake chunk whose fd points at itself, its bk
  // still at its own header (half of an empty bin overwritten).
  const Address fake = kBrk + 0x1000;
  f.memory.WriteWord(kArena + 112 + 61 * 16, fake);
  f.memory.WriteWord(fake + 8, 0x41);
  f.memory.WriteWord(fake + 16, fake);
  const auto r = native::ReadMalloc(f.memory, f.mappings);
  CHECK(r.main_arena == kArena);
  CHECK(r.partial);
  bool loop = false;
  for (const auto& w : r.warnings) loop = loop || w.find("loops") != std::string::npos;
  CHECK(loop);
  REQUIRE(r.arenas.size() == 2);
  CHECK(r.arenas[1].in_use_bytes() == 0x40);
}

TEST_CASE("glibc malloc: a region of many damaged bins is not taken for main_arena") {
  Fixture f;
  for (int i = 10; i < 13; ++i) f.memory.WriteWord(kArena + 112 + i * 16, 0);
  const auto r = native::ReadMalloc(f.memory, f.mappings);
  CHECK(r.main_arena != kArena);
}

TEST_CASE("glibc malloc: an arena list leaving the core stops there") {
  Fixture f;
  f.memory.WriteWord(kThreadArena + 2160, 0x5550000000);  // next: not mapped
  const auto r = native::ReadMalloc(f.memory, f.mappings);
  CHECK(r.partial);
  CHECK(r.arenas.size() == 2);
}

TEST_CASE("glibc malloc: jemalloc preloaded is named, not walked") {
  Fixture f;
  f.mappings.push_back({0x7f1000000000, 0x7f1000001000, true, false, true,
                        "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", 0, 0});
  const auto r = native::ReadMalloc(f.memory, f.mappings);
  CHECK(r.allocator == "jemalloc");
  CHECK(r.arenas.empty());
}

namespace {

// The fixture's main arena made non-contiguous, as sysmalloc leaves it when brk cannot grow:
// the brk heap ends in two fenceposts; one mapping holds two mmapped segments end to end (the
// first fenceposted, the second holding the top chunk); another holds a segment none of whose
// chunks is free (in no list).
constexpr Address kMerged = 0x7e1000000000, kLone = 0x7e2000000000;
constexpr uint64_t kMergedSize = 0x20000, kLoneSize = 0x8000;

void Fencepost(FakeMemory& m, Address segment_end) {
  m.WriteWord(segment_end - 32 + 8, 16 | kPrevInuse);
  m.WriteWord(segment_end - 16 + 8, 16 | kPrevInuse);
}

struct NonContiguous : Fixture {
  Address top = kMerged + 0x10000 + 0x800;

  NonContiguous() {
    memory.AddBlock(kMerged, kMergedSize);
    memory.AddBlock(kLone, kLoneSize);
    mappings.push_back({kMerged, kMerged + kMergedSize, true, true, false, "", 0, kMergedSize});
    mappings.push_back({kLone, kLone + kLoneSize, true, true, false, "", 0, kLoneSize});
    std::sort(mappings.begin(), mappings.end(),
              [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
    memory.WriteWord(kArena, uint64_t{2} << 32);  // flags: NONCONTIGUOUS_BIT
    // The brk heap's old top, in use, up to its fenceposts.
    const Address old_top = free_chunk + 0x300;
    memory.WriteWord(old_top + 8, (kBrk + kBrkSize - 32 - old_top) | kPrevInuse);
    Fencepost(memory, kBrk + kBrkSize);
    // Segment 1 of the merged mapping: two chunks in use, fenceposts.
    memory.WriteWord(kMerged + 8, 0x1000 | kPrevInuse);
    memory.WriteWord(kMerged + 0x1000 + 8, (0x10000 - 0x1000 - 32) | kPrevInuse);
    Fencepost(memory, kMerged + 0x10000);
    // Segment 2: one chunk in use, then the top chunk to the mapping's end.
    memory.WriteWord(kMerged + 0x10000 + 8, 0x800 | kPrevInuse);
    memory.WriteWord(top + 8, (kMerged + kMergedSize - top) | kPrevInuse);
    memory.WriteWord(kArena + 96, top);
    // The lone segment: one chunk in use, fenceposts.
    memory.WriteWord(kLone + 8, (kLoneSize - 32) | kPrevInuse);
    Fencepost(memory, kLone + kLoneSize);
    const uint64_t system = kBrkSize + kMergedSize + kLoneSize;
    memory.WriteWord(kArena + 2184, system);
    memory.WriteWord(kArena + 2192, system);
  }
};

}  // namespace

TEST_CASE("glibc malloc: a non-contiguous main arena's segments are found and walked") {
  NonContiguous f;
  const auto r = native::ReadMalloc(f.memory, f.mappings);
  INFO((r.warnings.empty() ? std::string() : r.warnings.front()));
  CHECK_FALSE(r.partial);
  CHECK(r.sbrk_base == kBrk);
  REQUIRE(r.arenas.size() == 2);
  const auto& main = r.arenas[0];
  CHECK_FALSE(main.contiguous);
  REQUIRE(main.heaps.size() == 4);
  CHECK(main.heaps[0].start == kBrk);
  CHECK(main.heaps[0].end == kBrk + kBrkSize);
  CHECK(main.heaps[1].start == kMerged);
  CHECK(main.heaps[1].end == kMerged + 0x10000);
  CHECK(main.heaps[2].start == kMerged + 0x10000);
  CHECK(main.heaps[2].end == kMerged + kMergedSize);
  CHECK(main.heaps[3].start == kLone);
  CHECK(main.heaps[3].end == kLone + kLoneSize);
  // brk: 4 chunks; merged: 2 + 1 (the top is not a walked chunk); lone: 1.
  CHECK(main.walked.count == 4 + 3 + 1);
  CHECK(main.small_bins.bytes == 0x200);
  CHECK(main.top.bytes == kMerged + kMergedSize - f.top);
  CHECK(main.free_bytes() + main.in_use_bytes() + 3 * 32 ==
        main.system_bytes);  // 3 fencepost pairs
}

TEST_CASE("glibc malloc: a bad chunk in a non-contiguous main arena is reported, the rest kept") {
  NonContiguous f;
  f.memory.WriteWord(f.free_chunk + 0x200 + 8, 0x7ffffffffff0);  // the chunk after the free one
  const auto r = native::ReadMalloc(f.memory, f.mappings);
  CHECK(r.partial);
  const bool bad = std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
    return w.find("bad chunk header at") != std::string::npos;
  });
  CHECK(bad);
  REQUIRE(!r.arenas.empty());
  const auto& main = r.arenas[0];
  CHECK(main.heaps.size() == 4);
  CHECK(main.small_bins.bytes == 0x200);
  CHECK(main.top.bytes == kMerged + kMergedSize - f.top);
}

TEST_CASE("glibc malloc: the search for a non-contiguous main arena's segments is bounded") {
  NonContiguous f;
  native::MallocLimits limits;
  limits.max_chunks_per_arena = 3;  // fewer steps than the segments have chunks
  const auto r = native::ReadMalloc(f.memory, f.mappings, limits);
  CHECK(r.partial);
  const bool said = std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
    return w.find("stopped after 3 chunk steps") != std::string::npos;
  });
  CHECK(said);
}

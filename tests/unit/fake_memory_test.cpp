// Unit tests of FakeMemory and the Memory helpers built on View/Read (IsReadable, ReadValue,
// ReadWord, ReadCString): blocks, gaps between blocks, reads that stop at the first gap.
#include "mortem/core/fake_memory.h"

#include <doctest/doctest.h>

#include <array>
#include <cstring>

#include "mortem/core/error.h"

using mortem::Address;
using mortem::FakeMemory;

TEST_CASE("FakeMemory: blocks are zero-filled and hold written words") {
  FakeMemory m;
  m.AddBlock(0x1000, 0x100);
  CHECK(m.ReadWord(0x1000) == 0u);
  m.WriteWord(0x1008, 0x1122334455667788ull);
  CHECK(m.ReadWord(0x1008) == 0x1122334455667788ull);
  CHECK(m.ReadValue<uint32_t>(0x1008) == 0x55667788u);
  CHECK(m.ReadValue<uint8_t>(0x100f) == 0x11u);
  // The last whole word of the block is readable; one byte further is not.
  m.WriteWord(0x10f8, 42);
  CHECK(m.ReadWord(0x10f8) == 42u);
  CHECK_FALSE(m.ReadWord(0x10f9).has_value());
  CHECK_FALSE(m.ReadWord(0x1100).has_value());
  CHECK_FALSE(m.ReadWord(0xff8).has_value());  // straddles the block start
}

TEST_CASE("FakeMemory: View is all-or-nothing within one block") {
  FakeMemory m;
  m.AddBlock(0x2000, 16);
  const char text[] = "abcdefgh";
  m.WriteBytes(0x2004, text, 8);
  auto view = m.View(0x2004, 8);
  REQUIRE(view.size() == 8);
  CHECK(std::memcmp(view.data(), text, 8) == 0);
  CHECK(m.View(0x2000, 16).size() == 16);
  CHECK(m.View(0x2000, 17).empty());
  CHECK(m.View(0x1fff, 2).empty());
  CHECK(m.View(0x3000, 1).empty());
}

TEST_CASE("FakeMemory: Read copies across adjacent blocks and stops at a gap") {
  FakeMemory m;
  m.AddBlock(0x1000, 8);
  m.AddBlock(0x1008, 8);  // adjacent: reads continue
  m.AddBlock(0x1020, 8);  // after a gap of 0x8 bytes
  m.WriteWord(0x1000, 0x0101010101010101ull);
  m.WriteWord(0x1008, 0x0202020202020202ull);
  std::array<uint8_t, 32> out{};
  CHECK(m.Read(0x1004, out.data(), 8) == 8);
  CHECK(out[0] == 1);
  CHECK(out[3] == 1);
  CHECK(out[4] == 2);
  CHECK(out[7] == 2);
  // A word across the two adjacent blocks is readable through ReadValue's Read fallback.
  CHECK(m.ReadWord(0x1004) == 0x0202020201010101ull);
  // Stops at the gap: 0x1000..0x1010 readable, 0x1010..0x1020 not.
  CHECK(m.Read(0x1000, out.data(), 32) == 16);
  CHECK(m.Read(0x1010, out.data(), 4) == 0);
  CHECK(m.IsReadable(0x1000, 16));
  CHECK_FALSE(m.IsReadable(0x1000, 17));
  CHECK(m.IsReadable(0x1020, 8));
  CHECK(m.IsReadable(0x5000, 0));
}

TEST_CASE("FakeMemory: Regions lists the blocks sorted") {
  FakeMemory m;
  m.AddBlock(0x9000, 0x10);
  m.AddBlock(0x1000, 0x20);
  auto regions = m.Regions();
  REQUIRE(regions.size() == 2);
  CHECK(regions[0].start == 0x1000u);
  CHECK(regions[0].end == 0x1020u);
  CHECK(regions[0].size() == 0x20u);
  CHECK(regions[1].start == 0x9000u);
  CHECK(regions[1].Contains(0x900f));
  CHECK_FALSE(regions[1].Contains(0x9010));
}

TEST_CASE("FakeMemory: writes outside the blocks throw mortem::Error") {
  FakeMemory m;
  m.AddBlock(0x1000, 8);
  CHECK_THROWS_AS(m.WriteWord(0x2000, 1), mortem::Error);
  CHECK_THROWS_AS(m.WriteWord(0x1004, 1), mortem::Error);  // runs past the block end
}

TEST_CASE("Memory::ReadCString stops at NUL, at max_length, and fails at unreadable bytes") {
  FakeMemory m;
  m.AddBlock(0x1000, 0x400);
  const char hello[] = "hello, world";
  m.WriteBytes(0x1000, hello, sizeof hello);
  CHECK(m.ReadCString(0x1000) == std::optional<std::string>("hello, world"));
  CHECK(m.ReadCString(0x1007) == std::optional<std::string>("world"));
  CHECK(m.ReadCString(0x1000, 5) == std::optional<std::string>("hello"));
  // A string longer than the 256-byte internal buffer.
  std::string long_text(300, 'q');
  m.WriteBytes(0x1100, long_text.c_str(), long_text.size() + 1);
  CHECK(m.ReadCString(0x1100) == std::optional<std::string>(long_text));
  // No NUL before the block ends: unreadable, not a runaway read.
  std::string tail(0x10, 'z');
  m.WriteBytes(0x13f0, tail.data(), tail.size());
  CHECK_FALSE(m.ReadCString(0x13f0).has_value());
  CHECK_FALSE(m.ReadCString(0x8000).has_value());
}

// Fuzz target: the layout loader on hostile v8dbg_* constants. The input picks a Node line's
// checked-in constants (first byte) and rewrites some of them (6-byte records: a constant's
// index, then its new int32 value); LoadLayout must accept them only if they are consistent,
// else throw an Error naming one. What uses the layout first (object sizes, map decoding) then
// runs on it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fake_target.h"
#include "mortem/core/error.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/object_size.h"

namespace {

const std::vector<mortem::test::LayoutFixture>& Fixtures() {
  static const auto fixtures = [] {
    std::vector<mortem::test::LayoutFixture> out;
    for (const char* release : {"18.20.8", "20.20.2", "22.22.2", "24.11.1", "26.12.1"})
      out.push_back(mortem::test::ReadLayoutFixture(std::string(MORTEM_SOURCE_DIR) +
                                                    "/fixtures/layout/v8dbg-" + release + ".txt"));
    return out;
  }();
  return fixtures;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  auto fixture = Fixtures()[data[0] % Fixtures().size()];
  for (size_t at = 1; at + 6 <= size; at += 6) {
    uint16_t index;
    int32_t value;
    std::memcpy(&index, data + at, 2);
    std::memcpy(&value, data + at + 2, 4);
    fixture.constants[index % fixture.constants.size()].second = value;
  }
  mortem::FakeMemory memory;
  mortem::test::FakeSymbols symbols;
  mortem::test::PlaceConstants(fixture, memory, symbols, 0x100000);
  // A map-shaped object for the decoder: 256 bytes after the constants' block.
  constexpr mortem::Address kMap = 0x200000;
  memory.AddBlock(kMap, 256);
  for (size_t i = 0; i < 256 && 1 + i < size; ++i) memory.WriteBytes(kMap + i, data + 1 + i, 1);
  try {
    const mortem::v8::Layout layout = mortem::v8::LoadLayout(memory, symbols);
    const mortem::v8::SizeRules sizes(layout, memory);
    mortem::v8::MapCache maps(memory, layout);
    if (const auto* map = maps.Get(kMap)) {
      std::vector<std::byte> body(256);
      (void)memory.Read(kMap, body.data(), body.size());
      (void)sizes.SizeOf(*map, body);
    }
  } catch (const mortem::Error&) {
    // Refused, naming the constant: the right answer.
  }
  return 0;
}

// Fuzz target: the decoders that read one object's bytes, on Node 26's layout: ScopeInfo
// (sections from its flags and counts, context local names inline or in their hash table,
// function names and positions), strings (every representation, bounded), and an object's own
// properties through its map. The input is the memory at and after the object.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fake_target.h"
#include "mortem/core/error.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/properties.h"
#include "mortem/v8/strings.h"
#include "scope_info.h"

namespace {

const mortem::v8::Layout& Node26() {
  static mortem::FakeMemory memory;
  static mortem::test::FakeSymbols symbols;
  static const mortem::v8::Layout layout = [] {
    mortem::test::PlaceConstants(
        mortem::test::ReadLayoutFixture(std::string(MORTEM_SOURCE_DIR) +
                                        "/fixtures/layout/v8dbg-26.12.1.txt"),
        memory, symbols, 0x100000);
    return mortem::v8::LoadLayout(memory, symbols);
  }();
  return layout;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const mortem::v8::Layout& layout = Node26();
  constexpr mortem::Address kObject = 0x10000000;
  mortem::FakeMemory memory;
  memory.AddBlock(kObject, size + 8);
  memory.WriteBytes(kObject, data, size);
  const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data), size);
  try {
    (void)mortem::v8::DecodeScopeInfo(layout, body);
    const mortem::v8::ScopeInfoReader scopes(memory, layout);
    (void)scopes.ContextLocals(kObject);
    (void)scopes.FunctionNames(kObject);
    (void)scopes.ContextSlotName(kObject, 5);
    const mortem::v8::StringReader strings(memory, layout);
    (void)strings.Read(kObject, 4096);
    (void)strings.ReadTagged(kObject + 1, 64);
    mortem::v8::MapCache maps(memory, layout);
    // The object's map: the first word of the input points into it (untagged with -1).
    uint64_t map_word = 0;
    if (memory.Read(kObject, &map_word, 8) == 8 && (map_word & 3) == 1)
      if (const auto* map = maps.Get(map_word - 1)) {
        const mortem::v8::PropertyReader properties(memory, layout);
        (void)properties.OwnProperties(kObject, *map, 256);
      }
  } catch (const mortem::Error&) {
  }
  return 0;
}

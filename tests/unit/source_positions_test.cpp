// Unit tests of the source position table decoder against tables encoded by V8's rules
// (codegen/source-position-table.cc: delta-coded, zig-zag VLQ, statement flag in the sign).
#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "mortem/v8/scripts.h"

namespace {

struct Entry {
  int64_t code_offset;
  int64_t script_offset;
  bool is_statement;
};

void EncodeInt(std::vector<std::byte>& out, int64_t value) {
  uint64_t encoded = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  do {
    uint8_t current = encoded & 0x7f;
    encoded >>= 7;
    if (encoded) current |= 0x80;
    out.push_back(static_cast<std::byte>(current));
  } while (encoded);
}

std::vector<std::byte> Encode(const std::vector<Entry>& entries) {
  std::vector<std::byte> out;
  int64_t code = -1, position = 0;  // the builder's first "previous" entry
  for (const auto& e : entries) {
    int64_t raw_position = (e.script_offset + 1) << 1;  // SourcePosition, not external
    int64_t code_delta = e.code_offset - code, position_delta = raw_position - position;
    EncodeInt(out, e.is_statement ? code_delta : -code_delta - 1);
    EncodeInt(out, position_delta);
    code = e.code_offset, position = raw_position;
  }
  return out;
}

// SourcePosition's bits as Encode writes them (the version facts' values).
mortem::v8::Offsets Bits() {
  mortem::v8::Offsets o{};
  o.source_position_external_bit = 0;
  o.source_position_offset_shift = 1;
  o.source_position_offset_bits = 30;
  return o;
}

int64_t Lookup(std::span<const std::byte> table, int64_t code_offset) {
  return mortem::v8::LookupSourcePosition(Bits(), table, code_offset);
}

}  // namespace

TEST_CASE("source positions: the last entry at or before the code offset") {
  auto table = Encode({{0, 10, true}, {5, 20, false}, {12, 400, true}, {300, 90000, true}});
  CHECK(Lookup(table, 0) == 10);
  CHECK(Lookup(table, 4) == 10);
  CHECK(Lookup(table, 5) == 20);
  CHECK(Lookup(table, 299) == 400);
  CHECK(Lookup(table, 5000) == 90000);
}

TEST_CASE("source positions: empty, truncated and hostile tables end cleanly") {
  CHECK(Lookup({}, 3) == -1);
  auto table = Encode({{0, 7, true}, {9, 70, true}});
  table.pop_back();  // the last varint cut in half
  CHECK(Lookup(table, 100) == 7);
  std::vector<std::byte> endless(64, std::byte{0xff});  // continuation bits forever
  CHECK(Lookup(endless, 100) == -1);
}

TEST_CASE("source positions: 14.6's packed entries (code delta << 2 | position flag | statement)") {
  // handleRequest's table from a Node 26.12.1 core of fixtures/scenarios/crash.js; the expected
  // offsets and positions are what `node --print-bytecode` printed for that function.
  const uint8_t raw[] = {0x02, 0xe0, 0x29, 0x07, 0x38, 0x22, 0x78, 0x2e, 0x9c,
                         0x01, 0x12, 0x27, 0x12, 0xcf, 0x01, 0x17, 0x98, 0x02};
  std::vector<std::byte> table;
  for (uint8_t b : raw) table.push_back(static_cast<std::byte>(b));
  mortem::v8::Offsets o = Bits();
  o.source_position_flagged_code = true;
  auto at = [&](int64_t offset) { return mortem::v8::LookupSourcePosition(o, table, offset); };
  CHECK(at(0) == 1349);
  CHECK(at(7) == 1349);
  CHECK(at(8) == 1379);
  CHECK(at(19) == 1418);
  CHECK(at(23) == 1408);
  CHECK(at(27) == 1356);
  CHECK(at(31) == 1356);
  CHECK(at(32) == 1426);
  // The same bytes read with the older encoding give other offsets: the fact matters.
  CHECK(Lookup(table, 27) != 1356);
}

// Golden tests of analysis and format together, on inputs cheap to build without a core: the
// `memory` command run on fake memory laid out as glibc 2.36 lays out malloc (glibc_fixture.h)
// with a process's mappings around it; `read` on fake memory in each of its formats, with bytes
// missing; and triage's conclusions (JudgeTriage: suspects and metrics) from gathered facts and
// that malloc's account. Each result is rendered as text and JSON as the CLI renders it and
// compared byte for byte with tests/golden/<command>[-variant].txt / .json (a mismatch fails
// with a unified diff).
//
// To accept a deliberate change: MORTEM_UPDATE_GOLDEN=1 build/tests/mortem_unit_tests
// -tc='golden*' rewrites the files; review `git diff tests/golden` by hand before committing.
#include <doctest/doctest.h>

#include <string>

#include "glibc_fixture.h"
#include "golden.h"
#include "mortem/analysis/memory.h"
#include "mortem/analysis/read.h"
#include "mortem/analysis/triage.h"

using namespace mortem;
using namespace mortem::test::glibc;
using mortem::test::CheckGolden;
using mortem::test::CheckGoldens;

namespace {

// No symbols: the V8 layout cannot be loaded, so the analyses go without the V8 heap.
class NoSymbols : public SymbolTable {
 public:
  std::optional<Symbol> Find(std::string_view) const override { return std::nullopt; }
  void ForEachWithPrefix(std::string_view,
                         const std::function<void(const Symbol&)>&) const override {}
  std::optional<Symbol> FindByAddress(Address) const override { return std::nullopt; }
};

constexpr Address kNode = 0x555500000000, kMmapped = 0x7e3000000000, kStack = 0x7ffd00000000;
constexpr uint64_t kMmappedSize = 0x21000, kIsMmapped = 2;

// The glibc fixture in a process: the node binary, an mmapped malloc chunk (counted in mp_),
// V8-like reservations, and the main thread's stack with its guard page.
struct Process : Fixture {
  ProcessFacts facts;

  Process() {
    memory.AddBlock(kMmapped, 0x1000);
    memory.WriteWord(kMmapped + 8, kMmappedSize | kIsMmapped);
    const Address mp = kArena + 0x8a0;
    memory.WriteBytes(mp + 60, "\x01\x00\x00\x00", 4);  // n_mmaps
    memory.WriteBytes(mp + 68, "\x01\x00\x00\x00", 4);  // max_n_mmaps
    memory.WriteWord(mp + 80, kMmappedSize);            // mmapped_mem
    memory.WriteWord(mp + 88, kMmappedSize);            // max_mmapped_mem
    facts.pid = 777;
    facts.command_line = "node app.js";
    facts.executable = facts.binary_path = "/usr/bin/node";
    facts.build_id = facts.core_build_id = "00112233445566778899aabbccddeeff00112233";
    facts.threads = {{777, 0x555500001000, kStack + 0x1f000, kStack + 0x1f100}};
    facts.mappings = mappings;
    facts.mappings.push_back(
        {kNode, kNode + 0x200000, true, false, true, "/usr/bin/node", 0, 0x200000});
    facts.mappings.push_back(
        {kMmapped, kMmapped + kMmappedSize, true, true, false, "", 0, kMmappedSize});
    facts.mappings.push_back({0x7e4000000000, 0x7e4040000000, false, false, false, "", 0, 0});
    facts.mappings.push_back({kStack - 0x1000, kStack, false, false, false, "", 0, 0});
    facts.mappings.push_back({kStack, kStack + 0x20000, true, true, false, "", 0, 0x20000});
    std::sort(facts.mappings.begin(), facts.mappings.end(),
              [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  }
};

}  // namespace

TEST_CASE("golden: memory of a process without a V8 heap, glibc 2.36 arenas accounted") {
  Process p;
  NoSymbols symbols;
  Session session(p.memory, symbols, p.facts);
  CheckGoldens("memory", RunMemory(session));
}

TEST_CASE("golden: memory with a looping bin and a corrupt chunk (partial)") {
  Process p;
  p.memory.WriteWord(p.free_chunk + 16, p.free_chunk);
  p.memory.WriteWord(p.free_chunk + 0x200 + 8, 0x7ffffff0);
  NoSymbols symbols;
  Session session(p.memory, symbols, p.facts);
  const MemoryResult r = RunMemory(session);
  CHECK(r.partial);
  CheckGoldens("memory-partial", r);
}

TEST_CASE("golden: read in each format, and bytes missing") {
  FakeMemory memory;
  constexpr Address kAt = 0x10000;
  memory.AddBlock(kAt, 64);
  const std::string text = "h\xc3\xa9llo, \"world\"\n\t\x01\xff";
  memory.WriteBytes(kAt, text.data(), text.size());
  const double numbers[] = {1.5, -0.0, 1e300};
  memory.WriteBytes(kAt + 32, numbers, sizeof numbers);
  NoSymbols symbols;
  Session session(memory, symbols, ProcessFacts{});
  CheckGoldens("read-hex", RunRead(session, kAt, 48, ReadFormat::kHex));
  CheckGoldens("read-utf8", RunRead(session, kAt, text.size(), ReadFormat::kUtf8));
  CheckGoldens("read-ascii", RunRead(session, kAt, text.size(), ReadFormat::kAscii));
  CheckGoldens("read-utf16", RunRead(session, kAt, 8, ReadFormat::kUtf16));
  CheckGoldens("read-u8", RunRead(session, kAt, 8, ReadFormat::kU8));
  CheckGoldens("read-u32", RunRead(session, kAt, 16, ReadFormat::kU32));
  CheckGoldens("read-f32", RunRead(session, kAt + 32, 8, ReadFormat::kF32));
  CheckGoldens("read-f64", RunRead(session, kAt + 32, 24, ReadFormat::kF64));
  CheckGoldens("read-missing", RunRead(session, kAt + 56, 16, ReadFormat::kHex));
}

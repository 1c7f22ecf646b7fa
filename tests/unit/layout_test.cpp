// Unit tests of the V8 model on synthetic input: the layout table loaded from the checked-in
// v8dbg_* constants of every supported Node line (fixtures/layout/, made by
// scripts/v8dbg-fixture.py) placed in fake memory, the report of missing constants, object sizes
// from synthetic object bodies, and bounded reading of a cyclic cons string.
#include "mortem/v8/layout.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "fake_target.h"
#include "mortem/core/error.h"
#include "mortem/core/fake_memory.h"
#include "mortem/v8/heap.h"
#include "mortem/v8/object_size.h"
#include "mortem/v8/snapshot_tags.h"
#include "mortem/v8/strings.h"
#include "mortem/v8/walker.h"

namespace {

using mortem::Address;

using mortem::test::FakeSymbols;

// Fake memory with the constants of fixtures/layout/v8dbg-RELEASE.txt, minus `omit`, with the
// values of `replace` instead of the fixture's.
struct FakeTarget {
  mortem::FakeMemory memory;
  FakeSymbols symbols;
  explicit FakeTarget(const std::vector<std::string>& omit = {},
                      const std::map<std::string, int32_t>& replace = {},
                      const std::string& release = "24.11.1") {
    auto fixture = mortem::test::ReadLayoutFixture(MORTEM_SOURCE_DIR "/fixtures/layout/v8dbg-" +
                                                   release + ".txt");
    std::vector<std::pair<std::string, int64_t>> kept;
    for (auto [name, value] : fixture.constants) {
      if (std::find(omit.begin(), omit.end(), name) != omit.end()) continue;
      if (auto it = replace.find(name); it != replace.end()) value = it->second;
      kept.emplace_back(name, value);
    }
    fixture.constants = std::move(kept);
    mortem::test::PlaceConstants(fixture, memory, symbols, 0x100000);
  }
};

// The releases of scripts/node-versions.txt: the test matrix, one fixture each.
std::vector<std::string> MatrixReleases() {
  std::ifstream in(MORTEM_SOURCE_DIR "/scripts/node-versions.txt");
  std::vector<std::string> releases;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] >= '0' && line[0] <= '9') releases.push_back(line);
  return releases;
}

std::vector<std::byte> Body(std::initializer_list<uint64_t> words) {
  std::vector<std::byte> bytes(words.size() * 8);
  std::memcpy(bytes.data(), std::data(words), bytes.size());
  return bytes;
}

uint64_t Smi(int64_t v) {
  return static_cast<uint64_t>(v) << 32;
}

}  // namespace

TEST_CASE("the layout loads from Node 24's constants with the 13.6 facts") {
  FakeTarget target;
  auto layout = mortem::v8::LoadLayout(target.memory, target.symbols);
  CHECK(layout.v8.ToString() == "13.6.233.10");
  CHECK(layout.types.map == 272);
  CHECK(layout.types.js_object == 1057);
  CHECK(layout.off.function_shared == 32);
  CHECK(layout.off.sfi_name_or_scope_info == 24);  // Tagged_NameOrScopeInfoT_ suffix matched
  CHECK(layout.types.native_context == layout.types.last_context - 2);
  CHECK(layout.types.filler == layout.types.free_space - 1);
  CHECK(layout.page.kind == mortem::v8::PageHeaderKind::kOffPageMetadata);
  CHECK(layout.isolate.roots_offset == 640);
  CHECK(layout.off.view_buffer == 32);
  CHECK(layout.TypeName(1057) == "JS_OBJECT_TYPE");
  CHECK(layout.TypeName(layout.types.native_context) == "NATIVE_CONTEXT_TYPE");
}

// The releases with a checked-in fixture (fixtures/layout/v8dbg-RELEASE.txt).
std::vector<std::string> FixtureReleases() {
  std::vector<std::string> releases;
  for (const auto& entry :
       std::filesystem::directory_iterator(MORTEM_SOURCE_DIR "/fixtures/layout")) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("v8dbg-") && name.ends_with(".txt"))
      releases.push_back(name.substr(6, name.size() - 10));
  }
  std::sort(releases.begin(), releases.end());
  return releases;
}

TEST_CASE("every release of the matrix has a fixture") {
  const auto fixtures = FixtureReleases();
  for (const auto& release : MatrixReleases()) {
    CAPTURE(release);
    CHECK(std::find(fixtures.begin(), fixtures.end(), release) != fixtures.end());
  }
}

TEST_CASE("every fixture's layout loads with its line's facts") {
  const auto releases = FixtureReleases();
  REQUIRE(releases.size() >= 5);
  for (const auto& release : releases) {
    CAPTURE(release);
    FakeTarget target({}, {}, release);
    auto layout = mortem::v8::LoadLayout(target.memory, target.symbols);
    REQUIRE(layout.line != nullptr);
    CHECK(layout.line->node_line == release.substr(0, release.find('.')));
    const auto& t = layout.types;
    // Derived types stand where their neighbours say, and no derived type collides with an
    // exported one of another name.
    CHECK(t.filler == t.free_space - 1);
    CHECK(layout.TypeName(t.free_space) != "JS_OBJECT_TYPE");
    for (uint16_t derived : {t.filler, t.free_space, t.native_context, t.feedback_metadata}) {
      auto it = layout.type_names.find(derived);
      if (it != layout.type_names.end()) {
        CHECK((it->second == "FILLER_TYPE" || it->second == "FREE_SPACE_TYPE" ||
               it->second == "NATIVE_CONTEXT_TYPE" || it->second == "FEEDBACK_METADATA_TYPE"));
      }
    }
    CHECK(layout.IsContext(t.native_context));
    CHECK(t.first_js_function <= t.js_function);
    CHECK(t.js_function <= t.last_js_function);
    CHECK(layout.spaces.names.size() > static_cast<size_t>(layout.spaces.old_space));
    CHECK(layout.off.typed_array_length > layout.off.view_byte_length);
    mortem::v8::SizeRules rules(layout, target.memory);  // builds for every line
  }
}

TEST_CASE("a pointer-compressed build is refused by name") {
  for (const auto& [name, value] : std::vector<std::pair<std::string, int32_t>>{
           {"v8dbg_TaggedSize", 4}, {"v8dbg_SmiShiftSize", 0}}) {
    CAPTURE(name);
    FakeTarget target({}, {{name, value}});
    try {
      mortem::v8::LoadLayout(target.memory, target.symbols);
      FAIL("LoadLayout accepted a pointer-compressed layout");
    } catch (const mortem::Error& e) {
      CHECK(std::string(e.what()).find("pointer compression") != std::string::npos);
      CHECK(e.code() == mortem::ExitCode::kBadInput);
    }
  }
}

TEST_CASE("a V8 line without a row is refused by name") {
  FakeTarget target;
  int32_t minor = 7;  // 13.7: no such row
  auto sym = target.symbols.Find("_ZN2v88internal7Version6minor_E");
  REQUIRE(sym);
  target.memory.WriteBytes(sym->address, &minor, 4);
  try {
    mortem::v8::LoadLayout(target.memory, target.symbols);
    FAIL("LoadLayout accepted V8 13.7");
  } catch (const mortem::Error& e) {
    std::string message = e.what();
    CHECK(message.find("13.7") != std::string::npos);
    CHECK(message.find("14.6") != std::string::npos);  // the supported lines are listed
  }
}

TEST_CASE("every missing constant is reported in one error") {
  FakeTarget target({"v8dbg_class_Map__instance_type__uint16_t",
                     "v8dbg_type_JSObject__JS_OBJECT_TYPE", "v8dbg_prop_desc_size"});
  try {
    mortem::v8::LoadLayout(target.memory, target.symbols);
    FAIL("LoadLayout accepted a layout with missing constants");
  } catch (const mortem::Error& e) {
    std::string message = e.what();
    CHECK(message.find("class_Map__instance_type") != std::string::npos);
    CHECK(message.find("JS_OBJECT_TYPE") != std::string::npos);
    CHECK(message.find("prop_desc_size") != std::string::npos);
  }
}

TEST_CASE("a layout constant out of range is refused, naming it") {
  // One hostile value at a time, each where a decoder would read out of bounds, shift by the
  // word size or more, or index past the instance-type range.
  const std::pair<const char*, int32_t> hostile[] = {
      {"v8dbg_FirstNonstringType", 70000},         // SizeRules sizes its table by 65536 types
      {"v8dbg_class_Map__bit_field__char", 5000},  // MapCache::Decode copies 24 bytes
      {"v8dbg_class_Map__bit_field2__char", -1},
      {"v8dbg_class_Map__bit_field3__int", 22},
      {"v8dbg_class_Map__instance_type__uint16_t", 23},
      {"v8dbg_class_Map__instance_size_in_words__char", 24},
      {"v8dbg_class_String__length__int32_t", 4096},  // read from every string's header
      {"v8dbg_bit_field3_is_dictionary_map_shift", 40},
      {"v8dbg_bit_field3_number_of_own_descriptors_shift", 32},
      {"v8dbg_bit_field3_number_of_own_descriptors_mask", 0x3FF},  // below its shift
      {"v8dbg_bit_field2_elements_kind_shift", 8},
      {"v8dbg_bit_field2_elements_kind_mask", 0x1FC},  // wider than bit_field2
      {"v8dbg_prop_location_shift", 33},
      {"v8dbg_prop_index_shift", -1},
      {"v8dbg_prop_representation_mask", 0},
      {"v8dbg_prop_kind_Accessor", 2},       // compared with a 1-bit field
      {"v8dbg_elements_fast_elements", 64},  // bit_field2 holds 6 bits of elements kind
      {"v8dbg_type_Map__MAP_TYPE", 65536 + 272},
      {"v8dbg_LastContextType", -5},
      {"v8dbg_IsNotStringMask", 0},
      {"v8dbg_StringRepresentationMask", 1000},
      {"v8dbg_ThinStringTag", 13},
      {"v8dbg_class_ConsString__second__String", 20},
      {"v8dbg_class_JSObject__elements__Object", 1 << 20},
      {"v8dbg_prop_desc_key", 3},
      {"v8dbg_namedictionaryshape_entry_size", 1},
      {"v8dbg_context_idx_prev", 2},
      {"v8dbg_off_fp_function", -17},
  };
  {
    FakeTarget unaltered;
    CHECK_NOTHROW(mortem::v8::LoadLayout(unaltered.memory, unaltered.symbols));
  }
  for (const auto& [constant, value] : hostile) {
    const std::string name = constant;
    // The layout's name: without the v8dbg_ prefix and the C type suffix of class fields.
    std::string shown = name.substr(6);
    if (shown.starts_with("class_")) shown = shown.substr(0, shown.rfind("__"));
    INFO(name << " = " << value);
    FakeTarget target({}, {{name, value}});
    try {
      mortem::v8::LoadLayout(target.memory, target.symbols);
      FAIL_CHECK("LoadLayout accepted " << name << " = " << value);
    } catch (const mortem::Error& e) {
      const std::string message = e.what();
      INFO(message);
      CHECK(e.code() == mortem::ExitCode::kBadInput);
      CHECK(message.find(shown + " = " + std::to_string(value)) != std::string::npos);
    }
  }
}

TEST_CASE("a binary without V8 is refused") {
  mortem::FakeMemory memory;
  FakeSymbols symbols;
  CHECK_THROWS_AS(mortem::v8::LoadLayout(memory, symbols), mortem::Error);
}

TEST_CASE("object sizes from synthetic bodies (13.6 rules)") {
  FakeTarget target;
  auto layout = mortem::v8::LoadLayout(target.memory, target.symbols);
  mortem::v8::SizeRules rules(layout, target.memory);
  auto size_of = [&](uint16_t type, std::vector<std::byte> body) {
    mortem::v8::MapInfo map;
    map.instance_type = type;
    map.is_map = true;
    return rules.SizeOf(map, body);
  };
  // SeqOneByteString "hello": 16-byte header + 5 chars, 8-aligned.
  CHECK(size_of(40, Body({1, uint64_t{5} << 32, 0x6f6c6c6568})) == 24);
  // FixedArray of 3.
  CHECK(size_of(layout.types.fixed_array, Body({1, Smi(3), 0, 0, 0})) == 40);
  // FeedbackMetadata with 8 slots and 3 closure slots: 16 + 2 words of kinds + 3 u16 -> 32.
  CHECK(size_of(layout.types.feedback_metadata, Body({1, (uint64_t{3} << 32) | 8, 0, 0})) == 32);
  // FeedbackVector of 4 slots after the 48-byte 13.6 header.
  CHECK(size_of(layout.types.feedback_vector, Body({1, 4, 0, 0, 0, 0})) == 80);
  // ScopeInfo of a function scope with a function name, an inferred name and an outer scope:
  // map, flags, parameter_count, context_local_count, position x2, name x2, inferred, outer.
  uint64_t flags = 4 /* FUNCTION_SCOPE */ | (3u << 12) | (1u << 14) | (1u << 22);
  CHECK(size_of(layout.types.scope_info, Body({1, flags, Smi(1), Smi(0), Smi(5), Smi(9)})) == 80);
  // A length that does not fit is refused, not trusted.
  CHECK_FALSE(size_of(layout.types.fixed_array, Body({1, Smi(-1)})).has_value());
  // Fields beyond the given bytes are not read.
  CHECK_FALSE(size_of(layout.types.fixed_array, Body({1})).has_value());
}

// V8 sizes an object from its map unless the map says kVariableSizeSentinel; then
// HeapObject::SizeFromMap (objects/objects.cc of the 13.x line, with SIMPLE_HEAP_OBJECT_LIST2 and
// the Torque classes with indexed fields) computes it per type. These are those types, by name;
// every exported type not named here is sized by its map.
const char* const kVariableSizeTypes[] = {"SEQ_TWO_BYTE_STRING_TYPE",
                                          "SEQ_ONE_BYTE_STRING_TYPE",
                                          "INTERNALIZED_TWO_BYTE_STRING_TYPE",
                                          "INTERNALIZED_ONE_BYTE_STRING_TYPE",
                                          "FIXED_ARRAY_TYPE",
                                          "BYTE_ARRAY_TYPE",
                                          "FIXED_DOUBLE_ARRAY_TYPE",
                                          "SLOPPY_ARGUMENTS_ELEMENTS_TYPE",
                                          "BYTECODE_ARRAY_TYPE",
                                          "TRUSTED_BYTE_ARRAY_TYPE",
                                          "TRUSTED_FIXED_ARRAY_TYPE",
                                          "PROTECTED_FIXED_ARRAY_TYPE",
                                          "PROTECTED_WEAK_FIXED_ARRAY_TYPE",
                                          "TRUSTED_WEAK_FIXED_ARRAY_TYPE",
                                          "INSTRUCTION_STREAM_TYPE",
                                          "ARRAY_LIST_TYPE",
                                          "CLOSURE_FEEDBACK_CELL_ARRAY_TYPE",
                                          "COVERAGE_INFO_TYPE",
                                          "EMBEDDER_DATA_ARRAY_TYPE",
                                          "FEEDBACK_VECTOR_TYPE",
                                          "FREE_SPACE_TYPE",
                                          "OBJECT_BOILERPLATE_DESCRIPTION_TYPE",
                                          "PREPARSE_DATA_TYPE",
                                          "PROPERTY_ARRAY_TYPE",
                                          "REG_EXP_MATCH_INFO_TYPE",
                                          "SCOPE_INFO_TYPE",
                                          "SCRIPT_CONTEXT_TABLE_TYPE",
                                          "SWISS_NAME_DICTIONARY_TYPE",
                                          "SMALL_ORDERED_HASH_MAP_TYPE",
                                          "SMALL_ORDERED_HASH_SET_TYPE",
                                          "SMALL_ORDERED_NAME_DICTIONARY_TYPE",
                                          "DESCRIPTOR_ARRAY_TYPE",
                                          "STRONG_DESCRIPTOR_ARRAY_TYPE",
                                          "WEAK_FIXED_ARRAY_TYPE",
                                          "WEAK_ARRAY_LIST_TYPE",
                                          "WASM_TYPE_INFO_TYPE",
                                          "WASM_NULL_TYPE",
                                          "TURBOSHAFT_WORD32_SET_TYPE_TYPE",
                                          "TURBOSHAFT_WORD64_SET_TYPE_TYPE",
                                          "TURBOSHAFT_FLOAT64_SET_TYPE_TYPE",
                                          "WASM_ARRAY_TYPE",
                                          "WASM_STRUCT_TYPE",
                                          "INTERNAL_CLASS_WITH_STRUCT_ELEMENTS_TYPE"};
// Variable-size types mortem has no rule for yet, each with why: WasmArray's element size and a
// large WasmStruct's size live in the map's WasmTypeInfo's C++ type (wasm GC modules only);
// InternalClassWithStructElements is a Torque test class no production heap holds.
const char* const kKnownGaps[] = {"WASM_ARRAY_TYPE", "WASM_STRUCT_TYPE",
                                  "INTERNAL_CLASS_WITH_STRUCT_ELEMENTS_TYPE"};

TEST_CASE("every variable-size instance type of Node 24's list has a size rule") {
  FakeTarget target;
  auto layout = mortem::v8::LoadLayout(target.memory, target.symbols);
  mortem::v8::SizeRules rules(layout, target.memory);
  auto is_in = [](const auto& list, const std::string& name) {
    return std::find_if(std::begin(list), std::end(list),
                        [&](const char* n) { return name == n; }) != std::end(list);
  };
  size_t variable = 0, checked = 0;
  std::vector<std::string> missing;
  for (const auto& [type, name] : layout.type_names) {
    ++checked;
    bool needs_rule = is_in(kVariableSizeTypes, name) || layout.IsFixedArrayShaped(type) ||
                      layout.IsContext(type);
    if (!needs_rule || is_in(kKnownGaps, name)) continue;
    ++variable;
    if (rules.RuleFor(type).kind == mortem::v8::SizeKind::kUnknown)
      missing.push_back(name + " (" + std::to_string(type) + ")");
  }
  // Types V8 does not export but whose objects the heap holds: contexts and their native
  // context, and 13.6's WasmDispatchTable (type 189 in 24.11.1).
  for (uint32_t type = layout.types.first_context; type <= layout.types.last_context; ++type)
    if (rules.RuleFor(static_cast<uint16_t>(type)).kind == mortem::v8::SizeKind::kUnknown)
      missing.push_back("context type " + std::to_string(type));
  auto dispatch =
      mortem::v8::SizeRules::PlacedType(layout, layout.line->types.wasm_dispatch_tables[0]);
  REQUIRE(dispatch.has_value());
  CHECK(*dispatch == 189);
  if (rules.RuleFor(*dispatch).kind == mortem::v8::SizeKind::kUnknown)
    missing.push_back("WASM_DISPATCH_TABLE_TYPE (189)");
  std::string list;
  for (const auto& m : missing) list += " " + m;
  INFO("variable-size types with no size rule:" << list);
  CHECK(missing.empty());
  CHECK(checked == layout.type_names.size());
  CHECK(checked > 200);   // the whole exported list was walked
  CHECK(variable >= 40);  // and the variable-size names matched it
  // Every name of the list is exported by 24.11.1: a renamed type cannot slip past unchecked.
  for (const char* name : kVariableSizeTypes) {
    bool exported = std::any_of(layout.type_names.begin(), layout.type_names.end(),
                                [&](const auto& entry) { return entry.second == name; });
    CHECK_MESSAGE(exported, name << " is not in the 24.11.1 type list");
  }
  // 13.6 WasmTypeInfo: {map, two u32 indices, supertypes_length Smi @16, supertypes[]} [obs].
  auto size_of = [&](uint16_t type, std::vector<std::byte> body) {
    mortem::v8::MapInfo map;
    map.instance_type = type;
    map.is_map = true;
    return rules.SizeOf(map, body);
  };
  CHECK(size_of(294, Body({1, 0x20a00000323, Smi(3), 0, 0, 0})) == 48);
  // WasmDispatchTable of capacity 4: 40-byte header + 4 entries of 24 bytes [obs].
  CHECK(size_of(189, Body({1, (uint64_t{4} << 32) | 4, 0, 0, 0x925})) == 136);
  // Its length (u32 @8) within its capacity (u32 @12): length 2 of 4 is a table, length 5 of 4
  // is not one (no size: the walker resyncs rather than trust it).
  CHECK(size_of(189, Body({1, (uint64_t{4} << 32) | 2, 0, 0, 0x925})) == 136);
  CHECK_FALSE(size_of(189, Body({1, (uint64_t{4} << 32) | 5, 0, 0, 0x925})).has_value());
}

// 11.3 (Node 20): an InstructionStream {map, code} takes its size from its Code; a stream whose
// Code slot was collected and reused (here by a cons string) is dead and has no size.
TEST_CASE("an 11.3 code stream whose Code no longer points back is dead") {
  FakeTarget target({}, {}, "20.20.2");
  auto layout = mortem::v8::LoadLayout(target.memory, target.symbols);
  REQUIRE(layout.types.instruction_stream.has_value());
  auto& m = target.memory;
  constexpr Address kMeta = 0x300000, kCodeMap = 0x300100, kConsMap = 0x300200;
  constexpr Address kCode = 0x301000, kStream = 0x302000, kOther = 0x303000;
  m.AddBlock(kMeta, 0x10000);
  m.WriteWord(kMeta, kMeta + 1);
  uint16_t map_type = layout.types.map, code_type = layout.types.code, cons_type = 41;
  m.WriteBytes(kMeta + layout.off.map_instance_type, &map_type, 2);
  m.WriteWord(kCodeMap, kMeta + 1);
  m.WriteBytes(kCodeMap + layout.off.map_instance_type, &code_type, 2);
  m.WriteWord(kConsMap, kMeta + 1);
  m.WriteBytes(kConsMap + layout.off.map_instance_type, &cons_type, 2);
  // The Code: instruction_size 200 at +56, metadata_size 40 at +60, its stream at +32.
  m.WriteWord(kCode, kCodeMap + 1);
  m.WriteWord(kCode + layout.off.code_instruction_stream, kStream + 1);
  const int32_t sizes[2] = {200, 40};
  m.WriteBytes(kCode + 56, sizes, 8);
  mortem::v8::SizeRules rules(layout, m);
  mortem::v8::MapInfo stream_map;
  stream_map.instance_type = *layout.types.instruction_stream;
  const auto live = Body({1, kCode + 1, 0, 0});
  CHECK(rules.SizeOf(stream_map, live, kStream) == 256);  // roundup64(16 + 200 + 40)
  CHECK_FALSE(rules.IsDeadCodeStream(stream_map, live, kStream));
  // Another stream naming the same Code: the Code does not point back at it.
  CHECK(rules.IsDeadCodeStream(stream_map, live, kOther));
  CHECK_FALSE(rules.SizeOf(stream_map, live, kOther).has_value());
  // The Code's memory reused by a cons string.
  m.WriteWord(kCode, kConsMap + 1);
  CHECK(rules.IsDeadCodeStream(stream_map, live, kStream));
  // Without the stream's address the rule cannot tell, and sizes it as before.
  m.WriteWord(kCode, kCodeMap + 1);
  CHECK(rules.SizeOf(stream_map, live) == 256);
  // Code not in the core: unknown, not dead.
  CHECK_FALSE(rules.IsDeadCodeStream(stream_map, Body({1, 0x7770001, 0, 0}), kStream));
}

// One old-space page of a 13.6 heap in fake memory (off-page metadata, v8-heap-brief.md 3.2), with
// the Heap, its Isolate's roots and two maps (the meta map and a 32-byte JS_OBJECT_TYPE map)
// beside it. The page holds: a live object at +16; the stale copy of a moved object (its map word
// the live copy's address, MapWord::FromForwardingAddress); a live object; the unused tail of an
// allocation area whose top holds stale bytes (not an object start); a live object after its
// limit. With lab, a LinearAllocationArea {start, top, limit} of that area sits in C++ memory.
struct FakeHeap {
  static constexpr Address kChunk = 0x40000000, kData = 0x50000000;
  static constexpr Address kMeta = kData, kSpace = kData + 0x200, kHeap = kData + 0x400,
                           kIsolate = kData + 0x800, kMetaMap = kData + 0x2000,
                           kObjectMap = kData + 0x2100, kLab = kData + 0x3000;
  static constexpr Address kArea = kChunk + 16, kTop = kArea + 96, kLimit = kArea + 256;
  FakeTarget target;
  mortem::v8::Layout layout;
  explicit FakeHeap(bool lab) : layout(mortem::v8::LoadLayout(target.memory, target.symbols)) {
    auto& m = target.memory;
    m.AddBlock(kChunk, mortem::v8::kPageSize);
    m.AddBlock(kData, 0x10000);
    const auto& p = layout.page;
    m.WriteWord(kChunk + p.flags, 0x104);  // an old page's flags [obs]
    m.WriteWord(kChunk + 8, kMeta);
    m.WriteWord(kMeta + p.metadata_chunk, kChunk);
    m.WriteWord(kMeta + p.size, mortem::v8::kPageSize);
    m.WriteWord(kMeta + p.area_start, kArea);
    m.WriteWord(kMeta + p.area_end, kChunk + mortem::v8::kPageSize);
    m.WriteWord(kMeta + p.heap, kHeap);
    m.WriteWord(kMeta + p.owner, kSpace);
    m.WriteWord(kSpace + 8, kHeap);
    m.WriteWord(kSpace + 16, static_cast<uint64_t>(layout.spaces.old_space));
    m.WriteWord(kHeap + layout.isolate.heap_isolate_pointer, kIsolate);
    for (int i = 0; i < 16; ++i)
      m.WriteWord(kIsolate + layout.isolate.roots_offset + 8 * i, kMetaMap + 1);
    // The meta map is its own map; the object map is a map of 4-word JS objects.
    m.WriteWord(kMetaMap, kMetaMap + 1);
    uint16_t map_type = layout.types.map, object_type = layout.types.js_object;
    m.WriteBytes(kMetaMap + layout.off.map_instance_type, &map_type, 2);
    m.WriteWord(kObjectMap, kMetaMap + 1);
    uint8_t words = 4;
    m.WriteBytes(kObjectMap + layout.off.map_instance_size_in_words, &words, 1);
    m.WriteBytes(kObjectMap + layout.off.map_instance_type, &object_type, 2);
    // The free-space map, which the heap checks against FREE_SPACE_TYPE.
    constexpr Address kFreeSpaceMap = kData + 0x2200;
    uint16_t free_space_type = layout.types.free_space;
    m.WriteWord(kFreeSpaceMap, kMetaMap + 1);
    m.WriteBytes(kFreeSpaceMap + layout.off.map_instance_type, &free_space_type, 2);
    m.WriteWord(kIsolate + layout.isolate.roots_offset +
                    8 * static_cast<uint64_t>(layout.isolate.roots.free_space_map),
                kFreeSpaceMap + 1);
    m.WriteWord(kArea, kObjectMap + 1);       // live
    m.WriteWord(kArea + 32, kArea);           // moved: forwards to the live copy at kArea
    m.WriteWord(kArea + 64, kObjectMap + 1);  // live
    m.WriteWord(kTop, 0x1234);                // stale bytes at the allocation top
    m.WriteWord(kTop + 8, 0xdeadbeef00);
    m.WriteWord(kLimit, kObjectMap + 1);  // live, after the area's limit
    if (lab) {
      m.WriteWord(kLab, kArea + 64);  // start
      m.WriteWord(kLab + 8, kTop);    // top
      m.WriteWord(kLab + 16, kLimit);
    }
  }
};

// A stale page header below the heap's page (its metadata checks out, its owner does not: a
// freed large page, or hostile bytes) claims a size that spans the real page: the real page is
// still found, and the stale one is not a page.
TEST_CASE("heap discovery: a header whose owner does not check out hides no page after it") {
  FakeHeap fake(true);
  auto& m = fake.target.memory;
  const auto& p = fake.layout.page;
  constexpr Address kStale = FakeHeap::kChunk - 4 * mortem::v8::kPageSize;
  constexpr Address kStaleMeta = FakeHeap::kData + 0x4000;
  m.AddBlock(kStale, mortem::v8::kPageSize);
  m.WriteWord(kStale + p.flags, 0x104);
  m.WriteWord(kStale + 8, kStaleMeta);
  m.WriteWord(kStaleMeta + p.metadata_chunk, kStale);
  m.WriteWord(kStaleMeta + p.size, 64 * mortem::v8::kPageSize);  // over the real page
  m.WriteWord(kStaleMeta + p.area_start, kStale + 16);
  m.WriteWord(kStaleMeta + p.area_end, kStale + mortem::v8::kPageSize);
  m.WriteWord(kStaleMeta + p.heap, FakeHeap::kHeap);
  m.WriteWord(kStaleMeta + p.owner, FakeHeap::kData + 0x4800);  // no space points back
  auto heap = mortem::v8::Heap::Discover(m, fake.layout);
  REQUIRE(heap.pages().size() == 1);
  CHECK(heap.pages()[0].start == FakeHeap::kChunk);
}

TEST_CASE("the walker: moved objects and an allocation area found by its shape") {
  for (bool lab : {true, false}) {
    CAPTURE(lab);
    FakeHeap fake(lab);
    auto heap = mortem::v8::Heap::Discover(fake.target.memory, fake.layout);
    REQUIRE(heap.pages().size() == 1);
    mortem::v8::HeapWalker walker(fake.target.memory, fake.layout, heap);
    std::vector<Address> visited;
    auto result = walker.WalkAll(
        1, [&](unsigned, const mortem::v8::HeapObject& o) { visited.push_back(o.address); });
    const auto& w = result.total;
    CHECK(w.moved_objects == 1);
    CHECK(w.moved_bytes == 32);
    if (lab) {
      CHECK(heap.LabLimitAt(FakeHeap::kTop) == FakeHeap::kLimit);
      CHECK_FALSE(heap.LabLimitAt(FakeHeap::kTop + 8).has_value());
      CHECK(w.skipped_bytes == 0);
      CHECK(w.resyncs == 0);
      CHECK(w.lab_bytes == FakeHeap::kLimit - FakeHeap::kTop);
      CHECK(visited ==
            std::vector<Address>{FakeHeap::kArea, FakeHeap::kArea + 64, FakeHeap::kLimit});
    } else {
      // Without the triple the same bytes are unparsed: the walk reports them.
      CHECK(w.skipped_bytes > 0);
      CHECK(w.resyncs == 1);
      CHECK(w.lab_bytes == 0);
    }
  }
}

TEST_CASE("a cyclic cons string is read with bounded effort") {
  FakeTarget target;
  auto layout = mortem::v8::LoadLayout(target.memory, target.symbols);
  constexpr Address kMeta = 0x200000, kConsMap = 0x200100, kString = 0x200200;
  target.memory.AddBlock(kMeta, 0x1000);
  auto& m = target.memory;
  m.WriteWord(kMeta, kMeta + 1);                         // the meta map is its own map
  uint16_t map_type = layout.types.map, cons_type = 41;  // CONS_ONE_BYTE_STRING_TYPE
  m.WriteBytes(kMeta + layout.off.map_instance_type, &map_type, 2);
  m.WriteWord(kConsMap, kMeta + 1);
  m.WriteBytes(kConsMap + layout.off.map_instance_type, &cons_type, 2);
  m.WriteWord(kString, kConsMap + 1);
  int32_t length = 10;
  m.WriteBytes(kString + layout.off.string_length, &length, 4);
  m.WriteWord(kString + layout.off.cons_first, kString + 1);  // first part: itself
  m.WriteWord(kString + layout.off.cons_second, kString + 1);
  mortem::v8::StringReader reader(m, layout);
  auto value = reader.Read(kString);
  REQUIRE(value.has_value());
  CHECK(value->truncated);
  CHECK(value->length == 10);
}

namespace {

// A holder of `type` with `words` as its bytes, at `address`.
struct FakeHolder {
  mortem::v8::MapInfo map;
  std::vector<std::byte> bytes;
  mortem::v8::HeapObject object;
  FakeHolder(const FakeHolder&) = delete;
  FakeHolder(uint16_t type, Address address, const std::vector<uint64_t>& words)
      : bytes(words.size() * 8) {
    if (!words.empty()) std::memcpy(bytes.data(), words.data(), bytes.size());
    map.instance_type = type;
    map.is_map = true;
    object.address = address;
    object.map = &map;
    object.size = bytes.size();
    object.body = bytes;
  }
};

}  // namespace

TEST_CASE("the snapshot's re-typing by holder (13.6 facts): what each holder tags") {
  FakeTarget target;
  auto layout = mortem::v8::LoadLayout(target.memory, target.symbols);
  const auto& t = layout.types;
  const auto& o = layout.off;
  auto& m = target.memory;
  constexpr Address kHeap = 0x300000, kFixedArrayMap = kHeap, kByteArrayMap = kHeap + 0x100;
  constexpr Address kPool = kHeap + 0x200, kInner = kHeap + 0x300, kBytes = kHeap + 0x400;
  constexpr Address kMetaMap = kHeap + 0x500;
  m.AddBlock(kHeap, 0x1000);
  auto set_type = [&](Address map, uint16_t type) {
    m.WriteWord(map, kMetaMap + 1);  // maps are maps: their map is the meta map
    m.WriteBytes(map + o.map_instance_type, &type, 2);
  };
  set_type(kMetaMap, t.map);
  set_type(kFixedArrayMap, t.fixed_array);
  set_type(kByteArrayMap, t.byte_array);
  // A constant pool holding a nested array, itself (a cycle) and a byte array.
  m.WriteWord(kPool, kFixedArrayMap + 1);
  m.WriteWord(kPool + 8, Smi(3));
  m.WriteWord(kPool + 16, kInner + 1);
  m.WriteWord(kPool + 24, kPool + 1);
  m.WriteWord(kPool + 32, kBytes + 1);
  m.WriteWord(kInner, kFixedArrayMap + 1);
  m.WriteWord(kInner + 8, Smi(0));
  m.WriteWord(kBytes, kByteArrayMap + 1);
  mortem::v8::TypeTagger tagger(m, layout);
  using mortem::v8::NodeKind;
  auto tags_of = [&](const FakeHolder& h) {
    mortem::v8::TagSink sink(m, layout);
    tagger.Collect(h.object, sink);
    std::map<Address, NodeKind> by_address;
    for (const auto& tag : sink.tags) by_address[tag.object] = tag.kind;
    return std::pair{sink.tags.size(), by_address};
  };

  SUBCASE("a BytecodeArray tags its constant pool three levels deep (FixedArrays only)") {
    std::vector<uint64_t> words(8, Smi(0));
    words[o.bytecode_array_constant_pool / 8] = kPool + 1;
    words[o.bytecode_array_handler_table / 8] = kBytes + 1;
    FakeHolder h(t.bytecode_array, kHeap + 0x800, words);
    auto [count, tags] = tags_of(h);
    CHECK(tags.size() == 3);  // the pool, the nested array, the handler table
    CHECK(tags[kPool] == NodeKind::kCode);
    CHECK(tags[kInner] == NodeKind::kCode);
    CHECK(tags[kBytes] == NodeKind::kCode);
    CHECK(count <= 8);  // the cycle ends at the depth limit
  }
  SUBCASE("an EnumCache tags its keys and indices as object shape") {
    FakeHolder h(t.enum_cache, kHeap + 0x800, {1, kPool + 1, kInner + 1});
    auto [count, tags] = tags_of(h);
    CHECK(count == 2);
    CHECK(tags[kPool] == NodeKind::kObjectShape);
    CHECK(tags[kInner] == NodeKind::kObjectShape);
  }
  SUBCASE("a TransitionArray tags its prototype transitions only when it has them") {
    FakeHolder with(t.transition_array, kHeap + 0x800, {1, Smi(2), kPool + 1, 0});
    CHECK(tags_of(with).second.at(kPool) == NodeKind::kObjectShape);
    FakeHolder without(t.transition_array, kHeap + 0x800, {1, Smi(2), Smi(0), 0});
    CHECK(tags_of(without).first == 0);
  }
  SUBCASE("a FeedbackVector tags FixedArrays in strong slots, not weak ones or byte arrays") {
    // 13.6: the slot count is the int32 at +8, slots from +48.
    FakeHolder h(t.feedback_vector, kHeap + 0x800,
                 {1, 3, 0, 0, 0, 0, kPool + 1, kInner + 3, kBytes + 1});
    auto [count, tags] = tags_of(h);
    CHECK(count == 1);
    CHECK(tags[kPool] == NodeKind::kCode);
  }
  SUBCASE("hostile counts are bounded by the holder's bytes") {
    FakeHolder h(t.feedback_vector, kHeap + 0x800, {1, 0x7fffffff, 0, 0, 0, 0, kPool + 1});
    CHECK(tags_of(h).first == 1);
    m.WriteWord(kInner + 8, Smi(1) << 20);  // the nested array claims 2^20 elements
    std::vector<uint64_t> words(8, Smi(0));
    words[o.bytecode_array_constant_pool / 8] = kPool + 1;
    FakeHolder pool_with_huge_length(t.bytecode_array, kHeap + 0x800, words);
    CHECK(tags_of(pool_with_huge_length).first < 70000);
    // Many holders sharing one pool whose elements are big arrays: each array is read once per
    // depth, however many holders point at it.
    mortem::v8::TagSink shared(m, layout);
    for (int i = 0; i < 1000; ++i) tagger.Collect(pool_with_huge_length.object, shared);
    CHECK(shared.expanded.size() == 2);  // the pool and the nested array
    CHECK(shared.tags.size() < 1000 * 8);
  }
}

TEST_CASE("the walker: a dead object whose tail the allocator reused is dropped, not resynced") {
  FakeHeap fake(true);
  auto& m = fake.target.memory;
  // A map of 6-word objects; after the live object at kLimit (4 words): a dead 4-word object D,
  // an object O of 6 words that starts inside D and ends past it (allocated into memory the
  // sweeper freed, which began in the middle of D), then a live 4-word object.
  constexpr Address kMap6 = FakeHeap::kData + 0x2300;
  uint8_t words = 6;
  uint16_t object_type = fake.layout.types.js_object;
  m.WriteWord(kMap6, FakeHeap::kMetaMap + 1);
  m.WriteBytes(kMap6 + fake.layout.off.map_instance_size_in_words, &words, 1);
  m.WriteBytes(kMap6 + fake.layout.off.map_instance_type, &object_type, 2);
  const Address dead = FakeHeap::kLimit + 32, overlapping = dead + 16, after = overlapping + 48;
  m.WriteWord(dead, FakeHeap::kObjectMap + 1);
  m.WriteWord(overlapping, kMap6 + 1);
  m.WriteWord(dead + 32, 0x1234);  // O's field where D ends: not an object start
  m.WriteWord(after, FakeHeap::kObjectMap + 1);
  auto heap = mortem::v8::Heap::Discover(m, fake.layout);
  mortem::v8::HeapWalker walker(m, fake.layout, heap);
  std::vector<Address> visited;
  auto result = walker.WalkAll(
      1, [&](unsigned, const mortem::v8::HeapObject& o) { visited.push_back(o.address); });
  const auto& w = result.total;
  CHECK(w.skipped_bytes == 0);
  CHECK(w.resyncs == 0);
  CHECK(visited == std::vector<Address>{FakeHeap::kArea, FakeHeap::kArea + 64, FakeHeap::kLimit,
                                        overlapping, after});
  CHECK(w.objects == visited.size());
}

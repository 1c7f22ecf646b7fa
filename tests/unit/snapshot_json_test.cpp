// The snapshot writer's JSON text and string table, and V8's system node names.
#include "mortem/analysis/snapshot_json.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "mortem/v8/snapshot_edges.h"

using namespace mortem;

namespace {

// What the writer puts in a file for `write`.
template <typename Write>
std::string Written(Write&& write) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  {
    snapshot_json::Writer w(f);
    write(w);
  }
  std::rewind(f);
  std::string out;
  for (int c; (c = std::fgetc(f)) != EOF;) out.push_back(static_cast<char>(c));
  std::fclose(f);
  return out;
}

}  // namespace

TEST_CASE("snapshot strings: quotes, backslashes and control bytes escaped, bad UTF-8 replaced") {
  CHECK(Written([](auto& w) { w.String("a\"b\\c"); }) == R"("a\"b\\c")");
  CHECK(Written([](auto& w) { w.String(std::string("\x01\n\x1f", 3)); }) ==
        R"("\u0001\u000a\u001f")");
  CHECK(Written([](auto& w) { w.String("caf\xc3\xa9 \xe2\x82\xac"); }) ==
        "\"caf\xc3\xa9 \xe2\x82\xac\"");
  CHECK(Written([](auto& w) { w.String("\xff\xc3"); }) == R"("\ufffd\ufffd")");
  CHECK(Written([](auto& w) { w.String("\xed\xa0\x80"); }) == R"("\ufffd\ufffd\ufffd")");
  CHECK(Written([](auto& w) {
          w.Number(0);
          w.Raw(",");
          w.Number(18446744073709551615ull);
        }) == "0,18446744073709551615");
}

TEST_CASE("snapshot string table: <dummy> first, each string once, numbered by first use") {
  snapshot_json::StringTable table;
  CHECK(table.Intern("<dummy>") == 0);
  CHECK(table.Intern("map") == 1);
  CHECK(table.Intern("elements") == 2);
  for (int i = 0; i < 100000; ++i) table.Intern(std::to_string(i % 5000));
  CHECK(table.Intern("map") == 1);
  CHECK(table.size() == 5003);
  CHECK(Written([&](auto& w) {
          snapshot_json::StringTable small;
          small.Intern("x");
          small.WriteAll(w);
        }) == "\"<dummy>\",\n\"x\"");
}

TEST_CASE("system node names as V8 writes them") {
  CHECK(v8::SystemTypeName("FIXED_ARRAY_TYPE") == "FixedArray");
  CHECK(v8::SystemTypeName("MAP_TYPE") == "Map");
  CHECK(v8::SystemTypeName("ACCESSOR_PAIR_TYPE") == "AccessorPair");
}

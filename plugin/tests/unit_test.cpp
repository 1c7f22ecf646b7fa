// Unit tests of the plugin's llnode-name translation, from the registry's descriptors (no
// debugger needed).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "translate.h"

using mortem::lldb_plugin::Aliases;
using mortem::lldb_plugin::IsPlainNumber;
using mortem::lldb_plugin::Translate;
using Args = std::vector<std::string>;

namespace {
// The options these tests use that take a value (the plugin asks the registry instead).
bool TakesValue(const std::string&, const std::string& option) {
  for (const char* o : {"--depth", "--string-length", "--limit", "--kind", "--top", "--sort",
                        "--paths", "--frames", "--thread", "--lines"})
    if (option == o) return true;
  return false;
}
}  // namespace

TEST_CASE("registry commands pass through") {
  std::string error;
  auto t = Translate("objects", {"--json", "--top", "5"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "objects");
  CHECK(t->args == Args{"--json", "--top", "5"});
  CHECK(!t->address_arg);
}

TEST_CASE("findjsobjects is objects --all (llnode's: everything on the heap); -d is dropped") {
  std::string error;
  auto t = Translate("findjsobjects", {"-d", "--json"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "objects");
  CHECK(t->args == Args{"--all", "--json"});
  CHECK(t->notes.size() == 1);
}

TEST_CASE("findjsobjects shows the top rows unless --top or --json asks otherwise") {
  std::string error;
  auto t = Translate("findjsobjects", {}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->args == Args{"--all", "--top", "50"});
  t = Translate("findjsobjects", {"--top", "0"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->args == Args{"--all", "--top", "0"});
}

TEST_CASE("findjsinstances [-n N] NAME") {
  std::string error;
  auto t = Translate("findjsinstances", {"-n", "2", "RequestRecord"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "instances");
  CHECK(t->args == Args{"RequestRecord", "--all", "--limit", "2"});
  t = Translate("findjsinstances", {"Dog", "--json"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->args == Args{"Dog", "--json", "--all"});
  CHECK(!Translate("findjsinstances", {"-n", "2"}, error, TakesValue));
  CHECK(error.find("missing") != std::string::npos);
  CHECK(!Translate("findjsinstances", {"Dog", "-n"}, error, TakesValue));
}

TEST_CASE("inspect and print take an address or an expression") {
  std::string error;
  auto t = Translate("inspect", {"--depth", "3", "$rdi", "-m", "+", "8"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "inspect");
  CHECK(t->args == Args{"--depth", "3", "$rdi + 8"});
  REQUIRE(t->address_arg);
  CHECK(*t->address_arg == 2);
  t = Translate("print", {"0x1234"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "inspect");
  CHECK(t->args == Args{"0x1234", "--depth", "0"});
  CHECK(t->address_arg == 0u);
  t = Translate("inspect", {"-l", "40", "0x10"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->args == Args{"--string-length", "40", "0x10"});
  CHECK(t->address_arg == 2u);
  // -s: the function's source; -F: full strings; both switches, so the expression stays whole.
  t = Translate("inspect", {"-s", "-F", "fn", "+", "1"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->args == Args{"--source", "--full-string", "fn + 1"});
  CHECK(t->address_arg == 2u);
}

TEST_CASE("nodeinfo is info") {
  std::string error;
  auto t = Translate("nodeinfo", {"--json"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "info");
  CHECK(t->args == Args{"--json"});
}

TEST_CASE("plain numbers") {
  CHECK(IsPlainNumber("0x1f"));
  CHECK(IsPlainNumber("4096"));
  CHECK(!IsPlainNumber("0x"));
  CHECK(!IsPlainNumber("$rax"));
  CHECK(!IsPlainNumber("ptr+8"));
  CHECK(!IsPlainNumber(""));
}

TEST_CASE("bt [N] is stack of the selected thread") {
  std::string error;
  auto t = Translate("bt", {"20"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "stack");
  CHECK(t->args == Args{"--frames", "20"});
  CHECK(t->selected_thread);
  CHECK(!t->selected_frame);
}

TEST_CASE("findrefs: -v EXPR, -n NAME, -s TEXT, -r") {
  std::string error;
  auto t = Translate("findrefs", {"-v", "obj", "+", "8"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "refs");
  REQUIRE(t->address_arg);
  CHECK(t->args[*t->address_arg] == "obj + 8");
  t = Translate("findrefs", {"-n", "cartId"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->args == Args{"cartId", "--name"});
  CHECK(!t->address_arg);
  t = Translate("findrefs", {"-s", "hello", "world"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->args == Args{"hello world", "--string"});
  t = Translate("findrefs", {"-r", "0x1000"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "retainers");
  CHECK(!Translate("findrefs", {"-n"}, error, TakesValue));
  CHECK(!Translate("findrefs", {"-r", "-n", "x"}, error, TakesValue));
}

TEST_CASE("source list [-l N]; getactivehandles; getactiverequests") {
  std::string error;
  auto t = Translate("source", {"list", "-l", "3"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "source");
  CHECK(t->args == Args{"--lines", "3"});
  CHECK(t->selected_thread);
  CHECK(t->selected_frame);
  t = Translate("getactivehandles", {}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->command == "handles");
  CHECK(t->args == Args{"--handles-only"});
  t = Translate("getactiverequests", {"--json"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->args == Args{"--json", "--requests-only"});
}

TEST_CASE("read: the address may be an expression of several words (the registry's options)") {
  std::string error;
  auto t = Translate("read", {"ptr", "+", "8", "--length", "4"}, error,
                     mortem::commands::OptionTakesValue);
  REQUIRE(t);
  CHECK(t->command == "read");
  CHECK(t->args == Args{"ptr + 8", "--length", "4"});
  CHECK(t->address_arg == 0u);
}

TEST_CASE("refs --name takes its argument as it is") {
  std::string error;
  auto t = Translate("refs", {"cart", "id", "--name"}, error, TakesValue);
  REQUIRE(t);
  CHECK(t->args == Args{"cart", "id", "--name"});
  CHECK(!t->address_arg);
}

TEST_CASE("every llnode alias of the registry runs a registry command") {
  CHECK(Aliases().size() >= 10);
  for (const auto* a : Aliases()) {
    CAPTURE(a->name);
    std::string error;
    auto t = Translate(a->name, {"0x10"}, error, TakesValue);
    REQUIRE(t);
    CHECK(mortem::commands::FindCommand(t->command) != nullptr);
  }
}

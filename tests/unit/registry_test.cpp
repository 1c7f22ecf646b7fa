// Unit tests of the command registry against what documents it: every command's descriptor
// names a schema file that exists in docs/schema/, every command has its row in docs/json.md's
// and the README's command tables, every llnode alias is in the README's plugin section, every
// schema file belongs to a command, and the descriptors are consistent (unique names and aliases,
// the second core as first positional).
#include "mortem/commands/registry.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using mortem::commands::Registry;

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(MORTEM_SOURCE_DIR) + "/" + relative);
  REQUIRE_MESSAGE(in, relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Whether a line of a Markdown table in text starts with prefix ("| `info` |").
bool HasTableRow(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(prefix)) return true;
  return false;
}

}  // namespace

TEST_CASE("every command has its schema file in docs/schema") {
  for (const auto& c : Registry()) {
    CAPTURE(c.name);
    REQUIRE(!c.schema.empty());
    CHECK(fs::is_regular_file(fs::path(MORTEM_SOURCE_DIR) / "docs/schema" / c.schema));
  }
}

TEST_CASE("every schema file in docs/schema is a command's, or the --batch line's") {
  std::set<std::string> schemas = {"batch-line.json"};
  for (const auto& c : Registry()) schemas.insert(c.schema);
  for (const auto& entry : fs::directory_iterator(fs::path(MORTEM_SOURCE_DIR) / "docs/schema")) {
    if (!entry.is_regular_file()) continue;
    CAPTURE(entry.path().filename().string());
    CHECK(schemas.count(entry.path().filename().string()) == 1);
  }
}

TEST_CASE("every command has its row in docs/json.md's table, with its schema") {
  const std::string json_md = ReadSourceFile("docs/json.md");
  for (const auto& c : Registry()) {
    CAPTURE(c.name);
    CHECK(HasTableRow(json_md, "| `" + c.name + "` | [" + c.schema + "](schema/" + c.schema + ")"));
  }
}

TEST_CASE("every command has its row in the README's command table") {
  const std::string readme = ReadSourceFile("README.md");
  for (const auto& c : Registry()) {
    CAPTURE(c.name);
    CHECK(HasTableRow(readme, "| `mortem " + c.name + " "));
  }
}

TEST_CASE("every llnode alias is in the README's LLDB plugin section") {
  const std::string readme = ReadSourceFile("README.md");
  const size_t plugin = readme.find("## LLDB plugin");
  REQUIRE(plugin != std::string::npos);
  const std::string section = readme.substr(plugin, readme.find("\n## ", plugin + 1) - plugin);
  for (const auto& c : Registry())
    for (const auto& a : c.aliases) {
      CAPTURE(a.name);
      CHECK(section.find("`v8 " + a.name) != std::string::npos);
    }
}

TEST_CASE("names and llnode aliases are unique; an alias named as a command is that command's") {
  std::set<std::string> names, aliases;
  for (const auto& c : Registry()) CHECK(names.insert(c.name).second);
  for (const auto& c : Registry())
    for (const auto& a : c.aliases) {
      CAPTURE(a.name);
      CHECK(aliases.insert(a.name).second);
      CHECK((names.count(a.name) == 0 || a.name == c.name));
      CHECK(!a.usage.empty());
      CHECK(!a.means.empty());
      CHECK(a.translate);
    }
}

TEST_CASE("a command comparing two cores takes the second core as its first positional") {
  for (const auto& c : Registry()) {
    CAPTURE(c.name);
    if (c.second_core) CHECK(!c.positionals.empty());
  }
}

TEST_CASE("one document for all isolates: partial if any isolate's is") {
  using mortem::IsolateInfo;
  auto doc = [](bool partial) {
    return nlohmann::json{{"schema", 1},
                          {"references", nlohmann::json::array({{{"holder", "0x1"}}})},
                          {"partial", partial},
                          {"warnings", nlohmann::json::array()}};
  };
  IsolateInfo main_isolate, worker;
  worker.index = 1;
  const auto merged =
      mortem::commands::MergeIsolateDocuments({{main_isolate, doc(false)}, {worker, doc(true)}});
  CHECK(merged["partial"] == true);
  CHECK(merged["isolates"][0]["partial"] == false);
  CHECK(merged["isolates"][1]["partial"] == true);
  CHECK(merged["references"].size() == 2);
  CHECK(mortem::commands::MergeIsolateDocuments(
            {{main_isolate, doc(false)}, {worker, doc(false)}})["partial"] == false);
}

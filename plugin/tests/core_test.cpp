// The plugin in the real lldb on the e2e classes core of one Node version: `v8 objects --json`
// gives exactly the CLI's rows, the scenario's class counts, llnode's names work, and a failing
// command is reported as an error without ending lldb.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "lldb_runner.h"

using namespace mortem;
using namespace mortem::plugin_test;
using nlohmann::json;

namespace {

std::string Dir() {
  return e2e::Require("MORTEM_E2E_DIR");
}
std::string Core() {
  return Dir() + "/core";
}
std::string Node() {
  return Dir() + "/node";
}

json Scenario() {
  std::ifstream in(Dir() + "/scenario.json");
  return json::parse(in);
}

std::string Transcript(const e2e::RunResult& r) {
  return r.Describe() + "\n--- stdout\n" + r.out.substr(0, 4000) + "\n--- stderr\n" +
         r.err.substr(0, 4000);
}

// The "0x..." addresses at the starts of the lines that mention name.
std::vector<std::string> AddressesOf(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  static const std::regex address(R"(^\s*(0x[0-9a-fA-F]+)\b)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.find(name) != std::string::npos && std::regex_search(line, m, address))
      out.push_back(m[1]);
  }
  return out;
}

// One batch run serves the checks below (lldb's start and the heap walk are the slow parts).
const e2e::RunResult& MainRun() {
  static const e2e::RunResult run =
      RunLldbBatch({"v8 objects --json", "v8 findjsinstances -n 2 RequestRecord", "v8 nodeinfo",
                    "v8 help", "v8 findjsobjects -d", "v8 memory --json"},
                   {"-c", Core(), Node()});
  return run;
}

}  // namespace

TEST_CASE("the plugin loads and every command of the run succeeds") {
  const auto& r = MainRun();
  INFO(Transcript(r));
  REQUIRE(r.CleanExit());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("(lldb) plugin load") != std::string::npos);
  CHECK(r.err.find("error") == std::string::npos);
}

// The heap rows of `v8 objects --json` from one lldb run against the CLI's, and the scenario's
// class counts.
static void CheckObjectsJson(const e2e::RunResult& r) {
  INFO(Transcript(r));
  REQUIRE(r.CleanExit());
  const std::string text = OutputOf(r.out, "v8 objects --json");
  REQUIRE(!text.empty());
  json in_lldb = json::parse(text);
  static const e2e::RunResult cli = e2e::RunCli({"objects", Core(), "--binary", Node(), "--json"});
  INFO("CLI: " << cli.Describe() << " " << cli.err);
  REQUIRE(cli.exit_code == 0);
  json from_cli = json::parse(cli.out);
  CHECK(in_lldb["schema"] == from_cli["schema"]);
  CHECK(in_lldb["types"].size() == from_cli["types"].size());
  CHECK(in_lldb["types"] == from_cli["types"]);
  CHECK(in_lldb["total"] == from_cli["total"]);
  for (const auto& [name, count] : Scenario()["counts"].items()) {
    uint64_t found = 0;
    for (const auto& row : in_lldb["types"])
      if (row["kind"] == "object" && row["name"] == name) found = row["count"].get<uint64_t>();
    INFO("class " << name);
    CHECK(found == count.get<uint64_t>());
  }
}

TEST_CASE("v8 objects --json equals the CLI's objects --json (core opened by mortem)") {
  CheckObjectsJson(MainRun());
}

TEST_CASE("v8 objects --json equals the CLI's objects --json (memory read through lldb)") {
  // MORTEM_LLDB_MEMORY=sb: SBProcess/SBTarget reads with the block cache, lldb's symbols - the
  // path live processes take.
  CheckObjectsJson(RunLldbBatch({"v8 objects --json", "v8 info"}, {"-c", Core(), Node()}, 600,
                                {{"MORTEM_LLDB_MEMORY", "sb"}}));
}

TEST_CASE("llnode names: findjsinstances, nodeinfo, findjsobjects -d; v8 help") {
  const auto& r = MainRun();
  INFO(Transcript(r));
  REQUIRE(r.CleanExit());
  const auto instances = OutputOf(r.out, "v8 findjsinstances -n 2 RequestRecord");
  INFO(instances);
  CHECK(AddressesOf(instances, "RequestRecord").size() == 2);

  const std::string version = Scenario()["version"].get<std::string>().substr(1);  // "v24..."
  CHECK(OutputOf(r.out, "v8 nodeinfo").find(version) != std::string::npos);

  const auto help = OutputOf(r.out, "v8 help");
  for (const char* word : {"objects", "instances", "inspect", "buffers", "read", "info",
                           "findjsobjects", "findjsinstances", "nodeinfo", "print"})
    CHECK_MESSAGE(help.find(word) != std::string::npos, word);

  const auto detailed = OutputOf(r.out, "v8 findjsobjects -d");
  CHECK(detailed.find("note: llnode's -d is ignored") != std::string::npos);
  CHECK(detailed.find("RequestRecord") != std::string::npos);
  CHECK(detailed.find("smaller rows not shown") != std::string::npos);  // the top rows only
}

TEST_CASE("v8 memory equals the CLI's memory --json (one descriptor serves both)") {
  const auto& r = MainRun();
  INFO(Transcript(r));
  REQUIRE(r.CleanExit());
  const std::string text = OutputOf(r.out, "v8 memory --json");
  REQUIRE(!text.empty());
  const json in_lldb = json::parse(text);
  const e2e::RunResult cli = e2e::RunCli({"memory", Core(), "--binary", Node(), "--json"});
  REQUIRE(cli.exit_code == 0);
  const json from_cli = json::parse(cli.out);
  CHECK(in_lldb["malloc"] == from_cli["malloc"]);
  CHECK(in_lldb["totals"] == from_cli["totals"]);
  CHECK(in_lldb["malloc"]["arenas"].size() >= 1);
}

TEST_CASE("a failing command is an lldb error; in batch mode lldb stops there, cleanly") {
  // lldb -b ends at the first failing -o command (exit 1): the error must be lldb's ordinary
  // command error, not a crash, and the commands after it are not run.
  auto r = RunLldbBatch({"v8 inspect 0x1", "v8 info"}, {"-c", Core(), Node()});
  INFO(Transcript(r));
  REQUIRE(r.CleanExit());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: mortem inspect") != std::string::npos);
  CHECK(r.out.find("(lldb) v8 info") == std::string::npos);
}

TEST_CASE("interactive lldb keeps running after failing v8 commands; expressions as addresses") {
  // Commands on lldb's standard input, as a user types them: errors, then commands that work.
  const auto addresses = AddressesOf(
      OutputOf(MainRun().out, "v8 findjsinstances -n 2 RequestRecord"), "RequestRecord");
  REQUIRE(!addresses.empty());
  const std::string script = "plugin load " + PluginPath() +
                             "\n"
                             "v8 inspect 0x1\n"
                             "v8 no-such-command\n"
                             "v8 findjsinstances\n"
                             "v8 objects --sort nonsense\n"
                             "v8 print " +
                             addresses[0] +
                             " + 0\n"
                             "v8 info\n"
                             "quit\n";
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("mortem-plugin-" + std::to_string(getpid()));
  std::ofstream(file) << script;
  auto r =
      e2e::Run({"/bin/sh", "-c", "exec \"$0\" --no-use-colors -c \"$1\" \"$2\" < \"$3\"",
                LldbPath(), Core(), Node(), file.string()},
               std::chrono::seconds(600), {{"PYTHONPATH", e2e::Env("PYTHONPATH").value_or("")}});
  std::filesystem::remove(file);
  INFO(Transcript(r));
  REQUIRE(r.CleanExit());
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("error: mortem inspect") != std::string::npos);
  CHECK(r.err.find("findjsinstances: missing the type name") != std::string::npos);
  CHECK(r.err.find("error: mortem objects: --sort") != std::string::npos);
  // The expression was evaluated by lldb and inspected at depth 0.
  CHECK(OutputOf(r.out, "v8 print " + addresses[0] + " + 0").find("RequestRecord") !=
        std::string::npos);
  const std::string version = Scenario()["version"].get<std::string>().substr(1);
  CHECK(OutputOf(r.out, "v8 info").find(version) != std::string::npos);
}

int main(int argc, char** argv) {
  if (!std::filesystem::exists(Core()) || !std::filesystem::exists(Node())) {
    std::printf("SKIP: no classes core in %s (the e2e_cores fixture makes it)\n", Dir().c_str());
    return e2e::Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1
                                                                              : e2e::kSkipExitCode;
  }
  doctest::Context context(argc, argv);
  return context.run();
}

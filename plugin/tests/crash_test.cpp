// The plugin in the real lldb on the e2e crash core of one Node version (a process that died on
// an uncaught exception with sockets and an fs request open):
//  - `v8 bt` (lldb's own unwinder) shows the JS frames the CLI's `stack` shows (libunwind), the
//    same functions at the same script:line:column (the CLI's are checked against V8's own
//    printout by the e2e tier);
//  - `v8 source list` shows the crashing line of the scenario's file, marked;
//  - `v8 getactivehandles` / `getactiverequests` list what Node listed before the crash;
//  - `v8 findrefs -n cartId` finds the holder of that property (no expression evaluation);
//  - `v8 inspect -s` shows the function's source; `v8 settings` says where memory comes from;
//  - `v8 diff NEW_CORE` against the growth scenario's core gives the CLI's diff rows.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "lldb_runner.h"

using namespace mortem;
using namespace mortem::plugin_test;
using nlohmann::json;

namespace {

std::string Dir() {
  return e2e::Require("MORTEM_E2E_DIR");
}

// The address of validateCart's JSFunction, from the CLI's stack.
std::string ValidateCart() {
  auto r = e2e::RunCli({"stack", Dir() + "/core", "--json"});
  json stack = json::parse(r.out);
  for (const auto& f : stack["threads"][0]["frames"])
    if (f["kind"] == "js" && f["function"] == "validateCart") return f["function_address"];
  return "0";
}

// The growth scenario's last core, for `v8 diff` (unset: no growth cores).
std::optional<std::string> GrowthCore() {
  auto growth = e2e::Env("MORTEM_E2E_GROWTH_DIR");
  if (!growth || !std::ifstream(*growth + "/core")) return std::nullopt;
  return *growth + "/core";
}

std::string DiffCommand(const std::string& other_core) {
  return "v8 diff " + other_core + " --json --paths 0";
}

// One lldb for every check: lldb 14 itself takes 10-60 s to load a crash core (perf: most of it
// disassembling, in its private state thread), the plugin's commands well under a second.
const e2e::RunResult& MainRun() {
  static const e2e::RunResult run = [] {
    std::vector<std::string> commands{"v8 bt",
                                      "v8 source list",
                                      "v8 getactivehandles",
                                      "v8 getactiverequests",
                                      "v8 findrefs -n cartId",
                                      "v8 inspect -s " + ValidateCart(),
                                      "v8 settings"};
    if (auto other = GrowthCore()) commands.push_back(DiffCommand(*other));
    return RunLldbBatch(commands, {"-c", Dir() + "/core", Dir() + "/node"});
  }();
  return run;
}

// "JS name(...) at location  [" lines of a text stack, as "name at location".
std::vector<std::string> JsFrames(const std::string& text) {
  std::vector<std::string> frames;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto js = line.find("  JS ");
    if (js == std::string::npos) continue;
    auto paren = line.find('(', js);
    auto at = line.rfind(") at ");
    auto end = line.find("  [", at);
    if (paren == std::string::npos || at == std::string::npos || end == std::string::npos) continue;
    frames.push_back(line.substr(js + 5, paren - js - 5) + " at " +
                     line.substr(at + 5, end - at - 5));
  }
  return frames;
}

}  // namespace

TEST_CASE("v8 bt: lldb's unwinder gives the CLI's JS frames") {
  const auto& r = MainRun();
  INFO(r.Describe() << "\n" << r.out.substr(0, 3000) << "\n" << r.err.substr(0, 2000));
  REQUIRE(r.exit_code == 0);
  auto cli = e2e::RunCli({"stack", Dir() + "/core"});
  REQUIRE(cli.exit_code == 0);
  auto expected = JsFrames(cli.out);
  auto got = JsFrames(OutputOf(r.out, "v8 bt"));
  REQUIRE(expected.size() >= 4);
  CHECK(got == expected);
  CHECK(OutputOf(r.out, "v8 bt").find("Uncaught CheckoutError") != std::string::npos);
}

TEST_CASE("v8 source list: the crashing line of the scenario") {
  const auto& r = MainRun();
  std::string out = OutputOf(r.out, "v8 source list");
  INFO(out);
  std::ifstream script(e2e::Require("MORTEM_SCENARIO_SCRIPT"));
  std::string line, throwing;
  while (std::getline(script, line))
    if (line.find("throw new CheckoutError") != std::string::npos) throwing = line;
  REQUIRE(!throwing.empty());
  auto marked = out.find("-> ");
  REQUIRE(marked != std::string::npos);
  CHECK(out.substr(marked, out.find('\n', marked) - marked).find(throwing) != std::string::npos);
  CHECK(out.find("validateCart") != std::string::npos);
}

TEST_CASE("v8 getactivehandles / getactiverequests: what Node listed") {
  const auto& r = MainRun();
  std::ifstream in(Dir() + "/scenario.json");
  json scenario = json::parse(in);
  // _getActiveHandles()' Servers and Sockets are, as getActiveResourcesInfo() names them,
  // TCPServerWrap and TCPSocketWrap handles.
  size_t servers = 0, sockets = 0;
  for (const auto& h : scenario["active_handles"]) {
    servers += h == "Server";
    sockets += h == "Socket";
  }
  std::string handles = OutputOf(r.out, "v8 getactivehandles");
  INFO(handles);
  const auto summary = handles.find("active handles: " + std::to_string(servers + sockets) + " (");
  REQUIRE(summary != std::string::npos);
  const std::string line = handles.substr(summary, handles.find('\n', summary) - summary);
  if (servers) CHECK(line.find(std::to_string(servers) + " TCPServerWrap") != std::string::npos);
  if (sockets) CHECK(line.find(std::to_string(sockets) + " TCPSocketWrap") != std::string::npos);
  CHECK(handles.find("active requests") == std::string::npos);
  std::string requests = OutputOf(r.out, "v8 getactiverequests");
  INFO(requests);
  CHECK(requests.find("active requests: " + std::to_string(scenario["active_requests"].size())) !=
        std::string::npos);
  CHECK(requests.find("FSReqCallback") != std::string::npos);
}

TEST_CASE("v8 findrefs -n: a property name, not an expression") {
  const auto& r = MainRun();
  std::string refs = OutputOf(r.out, "v8 findrefs -n cartId");
  INFO(refs << r.err.substr(0, 1000));
  CHECK(r.err.find("cannot evaluate") == std::string::npos);
  CHECK(refs.find("cartId") != std::string::npos);
}

TEST_CASE("v8 inspect -s: the function's source; v8 settings") {
  const auto& r = MainRun();
  std::string out = OutputOf(r.out, "v8 inspect -s " + ValidateCart());
  INFO(out);
  CHECK(out.find("source:") != std::string::npos);
  CHECK(out.find("throw new CheckoutError") != std::string::npos);
  std::string settings = OutputOf(r.out, "v8 settings");
  INFO(settings);
  CHECK(settings.find("memory:") != std::string::npos);
  CHECK(settings.find("unwinder: lldb") != std::string::npos);
}

TEST_CASE("v8 diff NEW_CORE: the debugged core against another, as the CLI's diff") {
  const auto other = GrowthCore();
  if (!other) {
    MESSAGE("no growth cores");
    return;
  }
  const auto& r = MainRun();
  INFO(r.Describe() << "\n" << r.err.substr(0, 2000));
  REQUIRE(r.exit_code == 0);
  json in_lldb = json::parse(OutputOf(r.out, DiffCommand(*other)));
  auto cli = e2e::RunCli({"diff", Dir() + "/core", *other, "--json", "--paths", "0"});
  REQUIRE(cli.exit_code == 0);
  json from_cli = json::parse(cli.out);
  REQUIRE(in_lldb.contains("types"));
  CHECK(in_lldb["types"] == from_cli["types"]);
  CHECK(in_lldb["total"] == from_cli["total"]);
  CHECK(!from_cli["types"].empty());  // two processes' heaps: rows that differ
}

int main(int argc, char** argv) {
  if (!std::ifstream(Dir() + "/core")) {
    std::cout << "[plugin] crash: SKIPPED, no core in " << Dir() << "\n";
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}

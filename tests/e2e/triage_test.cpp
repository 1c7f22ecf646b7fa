// End-to-end test of `mortem triage` (and `--batch`) on the scenario cores of one Node version.
// Truth comes from V8's heap snapshot of the same heap, from the scenario (scenario.json) and
// from the other commands that are themselves checked against the snapshot:
//  - count(RequestRecord) in the metrics equals the snapshot's count of that class, and
//    `--fail-if` holds exactly from that count on (exit 6 / exit 0);
//  - the top types by count are `objects`' rows sorted by count;
//  - the bytes wasted by duplicated strings are within 5% of the snapshot's (same value, same
//    size, "string" nodes: all copies but one);
//  - on the crash core the first suspect is the uncaught exception, named with the scenario's
//    class and message, and the handles are Node's;
//  - Markdown output is Markdown;
//  - `--batch` over a directory with a truncated core, a core of another program and a good
//    core prints three JSON lines in order (two errors, one report) and exits 5 (partial).
// Environment: MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_LABEL, MORTEM_E2E_SCRATCH.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

fs::path Dir(const std::string& scenario) {
  return fs::path(Require("MORTEM_E2E_DIR")) / scenario;
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// The snapshot's "string" nodes grouped by (value, self size): bytes of all copies but one.
uint64_t SnapshotDuplicateBytes(const json& snapshot) {
  const auto& meta = snapshot["snapshot"]["meta"];
  std::vector<std::string> fields = meta["node_fields"];
  auto index = [&](const char* name) {
    return static_cast<size_t>(std::find(fields.begin(), fields.end(), name) - fields.begin());
  };
  size_t type = index("type"), name = index("name"), self = index("self_size"), n = fields.size();
  const auto& types = meta["node_types"][0];
  const auto& nodes = snapshot["nodes"];
  const auto& strings = snapshot["strings"];
  std::map<std::pair<std::string, uint64_t>, uint64_t> groups;
  for (size_t i = 0; i + n <= nodes.size(); i += n)
    if (types[nodes[i + type].get<size_t>()] == "string")
      ++groups[{strings[nodes[i + name].get<size_t>()], nodes[i + self].get<uint64_t>()}];
  uint64_t wasted = 0;
  for (const auto& [key, count] : groups) wasted += (count - 1) * key.second;
  return wasted;
}

}  // namespace

TEST_CASE("triage: metrics and --fail-if against the snapshot's counts") {
  auto core = (Dir("classes") / "core").string();
  auto snapshot = LoadSnapshot(Dir("classes") / "heap.heapsnapshot");
  uint64_t records = snapshot.rows[RowKey{"object", "RequestRecord"}].count;
  REQUIRE(records > 0);
  std::string at = std::to_string(records);
  json report = RunCliJson({"triage", core, "--fail-if", "count(RequestRecord) >= " + at}, 6);
  CHECK(report["metrics"]["count(RequestRecord)"] == records);
  CHECK(report["failed_conditions"].size() == 1);
  json quiet = RunCliJson({"triage", core, "--no-retained", "--fail-if",
                           "count(RequestRecord) > " + at, "--fail-if", "slab_waste > 1GiB"});
  CHECK(quiet["failed_conditions"].empty());
  auto bad = RunCli({"triage", core, "--fail-if", "count(RequestRecord) >> 5"});
  CHECK(bad.CleanExit());
  CHECK(bad.exit_code == 2);
  auto unknown = RunCli({"triage", core, "--fail-if", "no_such_metric > 5"});
  CHECK(unknown.exit_code == 2);
  // The top types by count are objects' rows by count.
  json objects = RunCliJson({"objects", core, "--sort", "count", "--top", "10"});
  REQUIRE(report["top_by_count"].size() == objects["types"].size());
  for (size_t i = 0; i < objects["types"].size(); ++i) {
    CHECK(report["top_by_count"][i]["name"] == objects["types"][i]["name"]);
    CHECK(report["top_by_count"][i]["count"] == objects["types"][i]["count"]);
  }
  CHECK(report["top_by_retained"].size() > 0);
  CHECK(report["dominators"].size() > 0);
}

TEST_CASE("triage: duplicated strings as the snapshot counts them") {
  for (const char* scenario : {"classes", "strings"}) {
    uint64_t expected = SnapshotDuplicateBytes(ReadJson(Dir(scenario) / "heap.heapsnapshot"));
    // With the heap graph: the live strings, as the snapshot has them.
    json report = RunCliJson({"triage", (Dir(scenario) / "core").string()});
    uint64_t got = report["duplicate_strings"]["wasted_bytes"];
    INFO(scenario << ": snapshot " << expected << " bytes, mortem " << got);
    CHECK(std::fabs(double(got) - double(expected)) <= 0.05 * double(expected));
    // Without it (--no-retained), every string in the heap, garbage included: no fewer.
    json quick = RunCliJson({"triage", (Dir(scenario) / "core").string(), "--no-retained"});
    CHECK(quick["duplicate_strings"]["wasted_bytes"].get<uint64_t>() >= got);
    std::cout << "[e2e] " << Require("MORTEM_E2E_LABEL") << " triage " << scenario
              << ": duplicated strings " << got << " bytes (snapshot " << expected << ")\n";
  }
}

TEST_CASE("triage: the crash is the first suspect; handles; markdown") {
  auto core = (Dir("crash") / "core").string();
  json scenario = ReadJson(Dir("crash") / "scenario.json");
  json report = RunCliJson({"triage", core});
  REQUIRE(report["suspects"].size() >= 1);
  const json& first = report["suspects"][0];
  CHECK(first["kind"] == "crash");
  std::string sentence = first["sentence"];
  CHECK(sentence.find(scenario["error"]["type"].get<std::string>()) != std::string::npos);
  CHECK(sentence.find(scenario["error"]["message"].get<std::string>()) != std::string::npos);
  CHECK(report["exception"]["type"] == scenario["error"]["type"]);
  size_t sockets = 0;
  for (const auto& h : scenario["active_handles"]) sockets += h == "Server" || h == "Socket";
  CHECK(report["handles"].value("TCPServerWrap", size_t{0}) +
            report["handles"].value("TCPSocketWrap", size_t{0}) ==
        sockets);
  CHECK(report["metrics"]["exception"] == 1);
  auto markdown = RunCli({"triage", core, "--markdown", "--no-retained"});
  CHECK((markdown.exit_code == 0 || (markdown.exit_code == 5 && report["partial"] == true)));
  CHECK(markdown.out.starts_with("# mortem triage"));
  CHECK(markdown.out.find("\n## Suspects\n") != std::string::npos);
  CHECK(markdown.out.find("|---|") != std::string::npos);
  // --no-retained leaves the retained column out instead of printing 0 bytes in it.
  CHECK(markdown.out.find("| type | count | self | kind |") != std::string::npos);
  CHECK(markdown.out.find("| retained |") == std::string::npos);
}

TEST_CASE("triage --batch: two clear errors and one report, in order, exit partial") {
  fs::path scratch = fs::path(Require("MORTEM_E2E_SCRATCH")) / "batch";
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  {  // a core cut to 1 MiB
    std::ifstream in(Dir("crash") / "core", std::ios::binary);
    std::vector<char> head(1 << 20);
    in.read(head.data(), head.size());
    std::ofstream(scratch / "a-truncated.core", std::ios::binary).write(head.data(), in.gcount());
  }
  // a core of another program (sleep), written by the kernel
  auto other = Run({"/bin/bash", "-c",
                    "cd '" + scratch.string() +
                        "' && ulimit -c unlimited && (sleep 30 & p=$!; sleep 0.3; kill -ABRT $p; "
                        "wait $p; true) && f=$(ls core* 2>/dev/null | head -1) && "
                        "[ -n \"$f\" ] && mv \"$f\" b-other.core"},
                   std::chrono::seconds(60));
  bool have_other = fs::exists(scratch / "b-other.core");
  fs::create_symlink(Dir("crash") / "core", scratch / "c-good.core");
  auto r = RunCli({"triage", "--batch", scratch.string(), "--no-retained"});
  INFO(r.Describe() << "\n" << r.out.substr(0, 2000) << "\nstderr:\n" << r.err);
  REQUIRE(r.CleanExit());
  CHECK(r.exit_code == 5);
  std::vector<json> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  REQUIRE(lines.size() == (have_other ? 3u : 2u));
  CHECK(lines.front().contains("error"));
  CHECK(lines.front()["core"].get<std::string>().ends_with("a-truncated.core"));
  if (have_other) {
    CHECK(lines[1].contains("error"));
    CHECK(lines[1]["exit_code"] != 0);
  }
  CHECK((lines.back()["exit_code"] == 0 ||
         (lines.back()["exit_code"] == 5 && lines.back()["result"]["partial"] == true)));
  CHECK(lines.back()["result"]["suspects"][0]["kind"] == "crash");
  CHECK(r.ErrLines().size() == (have_other ? 2u : 1u));
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR");
      root && (!fs::exists(fs::path(*root) / "classes" / "core") ||
               !fs::exists(fs::path(*root) / "crash" / "core"))) {
    std::cout << "[e2e] triage: SKIPPED, no cores in " << *root << "\n";
    return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
  }
  doctest::Context context(argc, argv);
  return context.run();
}

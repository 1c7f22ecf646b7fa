// End-to-end test of `mortem buffers` and `mortem read` on the buffers scenario of one Node
// version. Truth comes from the scenario itself (scenario.json): process.memoryUsage() taken
// right before the core, and the buffers, views, offsets, lengths and bytes it made.
//  - allocator bytes (off-heap, not wasm, not resizable) equal memoryUsage().arrayBuffers +-1%;
//  - every kind of view is found with the right offset and length, on a buffer of the right size;
//  - the bytes read back from the core equal what the scenario wrote;
//  - the 50 slabs kept by 16-byte views are named as retention with their sentence;
//  - the text output is the same with any --threads (also on the classes and oom cores).
// Environment: MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

fs::path Dir() {
  return fs::path(Require("MORTEM_E2E_DIR")) / "buffers";
}

uint64_t Hex(const json& v) {
  return std::stoull(v.get<std::string>(), nullptr, 16);
}

std::string Addr(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// The buffers with this byte length that have a view of this offset and length.
std::vector<json> BuffersWithView(const json& buffers, uint64_t buffer_length, uint64_t offset,
                                  uint64_t length) {
  std::vector<json> out;
  for (const auto& b : buffers) {
    if (b["byte_length"] != buffer_length) continue;
    for (const auto& v : b["views"])
      if (v["byte_offset"] == offset && v["byte_length"] == length) {
        out.push_back(b);
        break;
      }
  }
  return out;
}

}  // namespace

TEST_CASE("buffers agree with what the scenario made") {
  const fs::path dir = Dir();
  const std::string core = (dir / "core").string();
  std::ifstream in(dir / "scenario.json");
  REQUIRE(in.good());
  const json scenario = json::parse(in);
  const json& expect = scenario["buffers"];
  const json r = RunCliJson({"buffers", core, "--top", "0"});
  const json& buffers = r["array_buffers"];
  const std::string label = Env("MORTEM_E2E_LABEL").value_or("?");

  // Allocator-accounted backing stores vs process.memoryUsage().arrayBuffers.
  const double allocator = r["totals"]["allocator_bytes"].get<double>();
  const double reported = scenario["memoryUsage"]["arrayBuffers"].get<double>();
  std::cout << "[e2e] " << label << " buffers: allocator bytes " << allocator
            << ", memoryUsage().arrayBuffers " << reported << ", " << r["totals"]["array_buffers"]
            << " ArrayBuffers, " << r["totals"]["views"] << " views\n";
  CHECK(std::fabs(allocator - reported) <= 0.01 * reported);

  // The 1 MiB buffer kept by a 16-byte view, and its bytes.
  const json& big = expect["big_view"];
  auto with_big =
      BuffersWithView(buffers, big["buffer_byte_length"], big["byte_offset"], big["byte_length"]);
  REQUIRE(with_big.size() == 1);
  auto text = RunCliJson({"read", core, with_big[0]["backing_store"].get<std::string>(), "--length",
                          "16", "--format", "ascii"});
  CHECK(text["text"] == big["text"]);

  // The 50 slabs: 16-byte views of 256 KiB buffers, named as retention.
  const json& slabs = expect["slabs"];
  auto with_slab = BuffersWithView(buffers, slabs["buffer_byte_length"], 0, slabs["byte_length"]);
  CHECK(with_slab.size() == slabs["count"].get<size_t>());
  bool sentence = false;
  for (const auto& c : r["retention"])
    if (c["cause"] == "small views of larger buffers" &&
        c["sentence"].get<std::string>().find("50 views of 16 bytes keep 50 x 256.0 KiB") !=
            std::string::npos)
      sentence = true;
  CHECK_MESSAGE(sentence, "retention: " << r["retention"].dump());
  // With --paths, the example slab view's retainer path names the scenario's `slabs` array.
  const json with_paths = RunCliJson({"buffers", core, "--paths", "--top", "1"});
  bool via_slabs = false;
  for (const auto& c : with_paths["retention"])
    if (c["cause"] == "small views of larger buffers")
      for (const auto& step : c["example_path"]["steps"]) via_slabs |= step["edge"] == "slabs";
  CHECK_MESSAGE(via_slabs, "retention: " << with_paths["retention"].dump());

  // The Float32Array at offset 1024 of a 4 MiB buffer, and its values.
  const json& floats = expect["floats"];
  auto with_floats = BuffersWithView(buffers, floats["buffer_byte_length"], floats["byte_offset"],
                                     floats["byte_length"]);
  REQUIRE(with_floats.size() == 1);
  bool typed = false;
  for (const auto& v : with_floats[0]["views"]) typed |= v["type"] == "Float32Array";
  CHECK(typed);
  const uint64_t data =
      Hex(with_floats[0]["backing_store"]) + floats["byte_offset"].get<uint64_t>();
  auto values = RunCliJson({"read", core, Addr(data), "--length", "16", "--format", "f32"});
  CHECK(values["values"] == floats["first"]);

  // Pooled Buffers: 10-byte views of one 8 KiB pool, whose text starts with "pool".
  size_t pooled = 0;
  for (const auto& b : buffers) {
    if (b["kind"] != "buffer pool") continue;
    // One read of the whole pool, then each 10-byte view's text from it.
    auto dump = RunCliJson({"read", core, b["backing_store"].get<std::string>(), "--length",
                            std::to_string(b["byte_length"].get<uint64_t>()), "--format", "hex"});
    const std::string hex = dump["hex"];
    for (const auto& v : b["views"]) {
      if (v["byte_length"] != 10) continue;
      std::string prefix;
      for (uint64_t i = 0; i < 4; ++i) {
        size_t at = 2 * (v["byte_offset"].get<uint64_t>() + i);
        if (at + 2 <= hex.size())
          prefix.push_back(static_cast<char>(std::stoi(hex.substr(at, 2), nullptr, 16)));
      }
      pooled += prefix == "pool";
    }
  }
  CHECK(pooled == expect["pooled"]["count"].get<size_t>());

  // WebAssembly memory: its length, flag and the marker the scenario wrote.
  size_t wasm = 0;
  for (const auto& b : buffers) {
    if (b["kind"] != "wasm memory") continue;
    ++wasm;
    CHECK(b["byte_length"] == expect["wasm"]["byte_length"]);
    auto marker =
        RunCliJson({"read", core,
                    Addr(Hex(b["backing_store"]) + expect["wasm"]["marker_offset"].get<uint64_t>()),
                    "--length", "8", "--format", "ascii"});
    CHECK(marker["text"] == expect["wasm"]["marker"]);
  }
  CHECK(wasm == 1);
  CHECK(r["totals"]["wasm_memories"] == 1);
  CHECK(r["totals"]["wasm_bytes"] == expect["wasm"]["byte_length"]);
  // triage names it and tests it: its totals, and --fail-if on wasm_memory.
  const RunResult triage = RunCli({"triage", core, "--no-retained", "--json", "--fail-if",
                                   "wasm_memory >= " + expect["wasm"]["byte_length"].dump()});
  REQUIRE(triage.CleanExit());
  CHECK(triage.exit_code == 6);
  const json t = json::parse(triage.out);
  CHECK(t["buffers"]["wasm_memories"] == 1);
  CHECK(t["metrics"]["wasm_memory"] == expect["wasm"]["byte_length"]);
  const RunResult below = RunCli({"triage", core, "--no-retained", "--fail-if",
                                  "wasm_memory > " + expect["wasm"]["byte_length"].dump()});
  CHECK(below.exit_code == 0);
  CHECK(below.out.find("1 WebAssembly memory: ") != std::string::npos);

  // The detached buffer, and the resizable one where the Node line has them.
  size_t detached = 0, resizable = 0;
  for (const auto& b : buffers) {
    const auto& flags = b["flags"];
    if (std::find(flags.begin(), flags.end(), "detached") != flags.end()) ++detached;
    if (std::find(flags.begin(), flags.end(), "resizable") != flags.end() &&
        !expect["resizable"].is_null()) {
      resizable += b["byte_length"] == expect["resizable"]["byte_length"] &&
                   b["max_byte_length"] == expect["resizable"]["max_byte_length"];
    }
  }
  CHECK(detached >= 1);
  CHECK(resizable == (expect["resizable"].is_null() ? 0u : 1u));
}

// Runs per --threads value: $MORTEM_E2E_THREAD_RUNS, default 10. Which page a thread walks does
// not depend on the Node line: tests/CMakeLists.txt asks 10 of the newest line's default tree,
// 2 of the others, 1 of the sanitizer tree.
int RunsPerThreadCount() {
  const auto v = Env("MORTEM_E2E_THREAD_RUNS");
  const int runs = v ? std::atoi(v->c_str()) : 10;
  return runs > 0 ? runs : 10;
}

TEST_CASE("buffers prints the same text whatever --threads is") {
  // Which thread walks which page changes from run to run: nothing printed may follow it.
  const fs::path root = Require("MORTEM_E2E_DIR");
  for (const std::string scenario : {"buffers", "classes", "oom"}) {
    const fs::path core = root / scenario / "core";
    if (!fs::exists(core)) continue;
    const auto one = RunCli({"buffers", core.string(), "--threads", "1"});
    REQUIRE(one.CleanExit());
    size_t differ = 0, runs = 0;
    std::string example;
    for (const std::string threads : {"2", "3", "4", "8"})
      for (int run = 0; run < RunsPerThreadCount(); ++run, ++runs) {
        const auto r = RunCli({"buffers", core.string(), "--threads", threads});
        REQUIRE(r.CleanExit());
        if (r.out == one.out && r.exit_code == one.exit_code) continue;
        ++differ;
        if (example.empty()) example = "--threads " + threads + ":\n" + r.out;
      }
    INFO(scenario << ": --threads 1:\n" << one.out << "\n" << example);
    CHECK_MESSAGE(differ == 0, differ << " of " << runs << " runs differ from --threads 1");
    std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " buffers " << scenario
              << ": " << runs << " runs with 2-8 threads, " << differ << " differ\n";
  }
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR");
      root && !fs::exists(fs::path(*root) / "buffers" / "core")) {
    std::cout << "[e2e] buffers: SKIPPED, no core in " << *root << "/buffers\n";
    return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
  }
  doctest::Context context(argc, argv);
  return context.run();
}

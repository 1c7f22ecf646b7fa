// Purpose: golden files for the unit tests: a command result rendered (text or JSON, as the CLI
// renders it) compared byte for byte with tests/golden/NAME. A mismatch fails with a unified
// diff; MORTEM_UPDATE_GOLDEN=1 rewrites the file instead (then review `git diff tests/golden`).
#pragma once
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "mortem/commands/registry.h"
#include "mortem/core/escape.h"
#include "mortem/format/render.h"
#include "temp_file.h"

namespace mortem::test {

inline std::filesystem::path GoldenPath(const std::string& name) {
  return std::filesystem::path(MORTEM_SOURCE_DIR) / "tests" / "golden" / name;
}

inline std::string ReadWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// `diff -u` of the golden file and the actual text (the first lines of it).
inline std::string UnifiedDiff(const std::filesystem::path& golden, const std::string& actual) {
  TempFile file(actual);
  const std::string command = "diff -u --label golden/" + golden.filename().string() +
                              " --label actual '" + golden.string() + "' '" + file.path() + "'";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0 && out.size() < 20000)
      out.append(buffer, n);
    ::pclose(pipe);
  }
  return out.empty() ? "(no diff output: is diff installed?)" : out;
}

// Compares actual with tests/golden/NAME, or rewrites it with MORTEM_UPDATE_GOLDEN=1.
inline void CheckGolden(const std::string& name, const std::string& actual) {
  const auto path = GoldenPath(name);
  const char* update = std::getenv("MORTEM_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    CHECK_MESSAGE(out.good(), "cannot write " << path.string());
    return;
  }
  if (!std::filesystem::exists(path)) {
    FAIL_CHECK("golden file " << path.string()
                              << " is missing: run with MORTEM_UPDATE_GOLDEN=1 and review it");
    return;
  }
  const std::string expected = ReadWhole(path);
  if (expected == actual) return;
  FAIL_CHECK("output differs from golden file " << path.string()
                                                << " (MORTEM_UPDATE_GOLDEN=1 rewrites it):\n"
                                                << UnifiedDiff(path, actual));
}

// As the CLI prints text: through ControlEscaper (control bytes but newline and tab as \xNN).
template <typename Result>
std::string RenderText(const Result& r) {
  std::ostringstream out;
  format::PrintText(r, out);
  return EscapeControls(out.str());
}

// As the CLI emits --json (commands/command_helpers.h: Emit).
template <typename Result>
std::string RenderJson(const Result& r) {
  return format::ToJson(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// NAME.txt and NAME.json of a command that describes the process (info, memory, read, stack,
// source) or one isolate as it is (snapshot): its document as it is.
template <typename Result>
void CheckGoldens(const std::string& name, const Result& r) {
  CheckGolden(name + ".txt", RenderText(r));
  CheckGolden(name + ".json", RenderJson(r));
}

// A command run once per isolate, as the CLI prints it (commands/registry.cpp: RunTargets): text
// in sections "== isolate N: ... ==" where there are several isolates; JSON, each run's document
// (to_json) merged into one. Goldens NAME.txt and NAME.json.
template <typename Result, typename ToJson>
void CheckIsolateGoldens(const std::string& name,
                         const std::vector<std::pair<IsolateInfo, Result>>& runs,
                         const ToJson& to_json) {
  std::string text;
  std::vector<std::pair<IsolateInfo, nlohmann::json>> docs;
  for (size_t n = 0; n < runs.size(); ++n) {
    if (runs.size() > 1)
      text += std::string(n ? "\n" : "") + "== " + commands::IsolateTitle(runs[n].first) + " ==\n";
    text += RenderText(runs[n].second);
    docs.emplace_back(runs[n].first, to_json(runs[n].second));
  }
  CheckGolden(name + ".txt", text);
  CheckGolden(name + ".json", commands::MergeIsolateDocuments(docs).dump(
                                  2, ' ', false, nlohmann::json::error_handler_t::replace) +
                                  "\n");
}

template <typename Result>
void CheckIsolateGoldens(const std::string& name,
                         const std::vector<std::pair<IsolateInfo, Result>>& runs) {
  CheckIsolateGoldens(name, runs, [](const Result& r) { return format::ToJson(r); });
}

// The main thread's isolate of a process of pid 4242 (most goldens describe one isolate).
inline IsolateInfo MainIsolate() {
  return {0, 0x55d0c1000000, 0x55d0c1010000, 4242, true, 0x7ffd12000000};
}

// One run on the main thread's isolate.
template <typename Result>
void CheckIsolateGoldens(const std::string& name, const Result& r) {
  CheckIsolateGoldens(name, std::vector<std::pair<IsolateInfo, Result>>{{MainIsolate(), r}});
}

}  // namespace mortem::test

// Purpose: shared plumbing of the end-to-end tests: run the real mortem CLI as a child process
// (captured stdout/stderr, exit status, timeout), read the test configuration from the
// environment CTest sets, and aggregate a V8 .heapsnapshot into DevTools-style summary rows.
#pragma once
#include <elf.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mortem::e2e {

struct RunResult {
  bool exited = false;  // normal exit (exit_code valid)
  int exit_code = -1;
  bool signaled = false;  // killed by a signal (term_signal valid)
  int term_signal = 0;
  bool timed_out = false;  // we killed it after the timeout
  std::string out, err;
  double seconds = 0;

  // "exit 3", "signal 11 (SIGSEGV)", "timed out after ..." - for messages.
  std::string Describe() const;
  // True if the process ended on its own with an exit code below 128 and without a sanitizer
  // report: whatever it printed, it did not crash.
  bool CleanExit() const;
  // Lines of stderr with content.
  std::vector<std::string> ErrLines() const;
};

// Runs argv (argv[0] is a path) with the given extra environment, capturing stdout and stderr.
RunResult Run(const std::vector<std::string>& argv, std::chrono::seconds timeout,
              const std::vector<std::pair<std::string, std::string>>& env = {});

// The mortem CLI under test: $MORTEM_CLI, else the path compiled in from $<TARGET_FILE:mortem>.
std::string CliPath();
// Runs `mortem ARGS...` with a timeout of $MORTEM_E2E_TIMEOUT seconds (default 600).
RunResult RunCli(const std::vector<std::string>& args);
// Runs `mortem ARGS... --json` and returns the document; the run must end cleanly with
// expected_exit. Where 0 is expected, 5 (partial) is accepted if the document says "partial"
// (a core of a process that died mid-GC may hold a few bytes of unswept garbage).
nlohmann::json RunCliJson(std::vector<std::string> args, int expected_exit = 0);
// Runs `mortem ARGS... --json` and returns the document; the run must end cleanly with exit 0
// (no partial result accepted).
nlohmann::json RunCliJsonStrict(std::vector<std::string> args);
// Whether the CLI knows a command (its --help lists it).
bool CliHasCommand(const std::string& command);

// Environment lookups; Require() fails the test with a message if the variable is unset.
std::optional<std::string> Env(const char* name);
std::string Require(const char* name);
std::vector<std::string> SplitList(const std::string& s, char separator = ',');

// Copies the first `length` bytes of `from` to `to` (a REQUIRE failure if it cannot), leaving
// blocks of zeros as holes so that a copy of a core takes no more disk than the core does.
void CopyPrefix(const std::filesystem::path& from, const std::filesystem::path& to,
                uint64_t length);

// The program headers of an ELF file (a core); empty if they cannot be read.
std::vector<Elf64_Phdr> ReadProgramHeaders(const std::filesystem::path& file);
// The file offset of a virtual address whose `length` bytes the core's PT_LOAD segments hold; 0
// if none holds them.
uint64_t CoreFileOffset(const std::filesystem::path& core, uint64_t address, uint64_t length = 8);

// Exit code the tests return when their input (the scenario cores) does not exist: CTest reports
// the test as skipped (SKIP_RETURN_CODE) unless MORTEM_E2E_REQUIRED=1 makes it a failure.
constexpr int kSkipExitCode = 77;

// A row of the DevTools Summary view, keyed by (kind, name) with mortem's naming rule.
struct RowKey {
  std::string kind;  // the snapshot node type word: "object", "closure", "string", ...
  std::string name;  // constructor/function/native name, or "(string)", "(system)", ...
  auto operator<=>(const RowKey&) const = default;
};
struct RowStats {
  uint64_t count = 0;
  uint64_t self_size = 0;
  bool operator==(const RowStats&) const = default;
};
using Rows = std::map<RowKey, RowStats>;

// mortem's row name for a node of this kind and snapshot node name.
std::string RowName(const std::string& kind, const std::string& node_name);
// Kinds left out of every comparison: "synthetic" (roots, not objects) and "native" (embedder
// and backing-store nodes, e.g. "system / JSArrayBufferData", "Node / ...", which have no V8 heap
// object and so can't be found by a heap walk).
bool IsComparedKind(const std::string& kind);

struct Snapshot {
  Rows rows;              // compared kinds only
  uint64_t nodes = 0;     // all nodes
  uint64_t excluded = 0;  // nodes of kinds left out
  std::vector<std::string> node_fields;
};
// Reads a V8 .heapsnapshot (field layout from snapshot.meta, not assumed).
Snapshot LoadSnapshot(const std::filesystem::path& path);

// mortem's `objects --json` rows (every kind; compared kinds are filtered by the caller), of
// every isolate or of one.
Rows ParseObjectsJson(const std::string& json_text, std::optional<size_t> isolate = std::nullopt);

// Fixed-width table for failure messages.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);
std::string WithCommas(uint64_t n);

}  // namespace mortem::e2e

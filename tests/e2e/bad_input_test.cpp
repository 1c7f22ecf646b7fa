// End-to-end tests of the real CLI on bad input, per Node version: truncated copies of a real
// core (first 1 MB, first half), a file that is not a core (the node binary itself), missing and
// empty files, and a wrong --binary (another version's node). mortem must never crash: it exits
// below 128 without a signal or sanitizer report, and says what is wrong.
// Environment (set by tests/CMakeLists.txt): MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_SCENARIO
// (a subdirectory holding a core), MORTEM_E2E_NODE (this version's node), MORTEM_E2E_OTHER_NODE
// (another version's node), MORTEM_E2E_SCRATCH (a directory for truncated copies).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iostream>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;

namespace {

fs::path Core() {
  return fs::path(Require("MORTEM_E2E_DIR")) / Require("MORTEM_E2E_SCENARIO") / "core";
}

fs::path Scratch() {
  fs::path dir = Require("MORTEM_E2E_SCRATCH");
  fs::create_directories(dir);
  return dir;
}

// Copies the first `length` bytes of `from` to `to`.
void CopyPrefix(const fs::path& from, const fs::path& to, uint64_t length) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  REQUIRE_MESSAGE((in && out), "cannot copy " << from << " to " << to);
  std::vector<char> buffer(1 << 20);
  while (length > 0 && in) {
    in.read(buffer.data(), static_cast<std::streamsize>(std::min<uint64_t>(buffer.size(), length)));
    auto got = static_cast<uint64_t>(in.gcount());
    out.write(buffer.data(), static_cast<std::streamsize>(got));
    length -= got;
  }
  REQUIRE_MESSAGE(out.good(), "writing " << to << " failed (disk full?)");
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The run ended without a crash and failed with an explanation: either a bad-input error
// (exit 3) on one stderr line, or a result with a warning (e.g. exit 5, partial).
void CheckRejectedOrWarned(const RunResult& r, const std::string& what) {
  INFO(what << ": " << r.Describe() << " in " << r.seconds << "s\nstderr:\n"
            << r.err << "stdout (first 600 bytes):\n"
            << r.out.substr(0, 600));
  REQUIRE_MESSAGE(r.CleanExit(), what << " crashed or hung: " << r.Describe());
  const std::string all = Lower(r.err + r.out);
  const bool warned =
      all.find("warning") != std::string::npos || all.find("truncated") != std::string::npos;
  CHECK_MESSAGE(r.exit_code != 0,
                what << " exited 0 on a truncated core"
                     << (warned ? " (it did print a warning)" : " and said nothing"));
  CHECK_MESSAGE(r.exit_code != 70,
                what << " failed with an internal error (a bug, not a diagnosis)");
  if (r.exit_code == 3) {
    auto lines = r.ErrLines();
    CHECK_MESSAGE(lines.size() == 1, what << ": a bad-input error should be one stderr line");
    CHECK_MESSAGE(Lower(r.err).find("error") != std::string::npos, what << ": no error message");
  } else {
    CHECK_MESSAGE(warned, what << " exited " << r.exit_code << " without an error or a warning");
  }
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " " << what << ": "
            << r.Describe() << (warned ? ", with a warning" : "") << ", "
            << (r.ErrLines().empty() ? std::string("(no stderr)") : r.ErrLines()[0]) << "\n";
}

std::vector<std::vector<std::string>> Commands(const fs::path& core) {
  std::vector<std::vector<std::string>> commands{{"info", core.string()},
                                                 {"info", core.string(), "--json"}};
  if (CliHasCommand("objects"))
    commands.push_back({"objects", core.string(), "--json"});
  else
    MESSAGE("the CLI has no `objects` command yet: only `info` is run on the damaged cores");
  return commands;
}

void CheckTruncated(const std::string& name, uint64_t length) {
  fs::path core = Core();
  fs::path copy = Scratch() / name;
  CopyPrefix(core, copy, length);
  for (const auto& args : Commands(copy)) {
    std::string what = "mortem";
    for (const auto& a : args) what += " " + (a == copy.string() ? name : a);
    CheckRejectedOrWarned(RunCli(args), what);
  }
  fs::remove(copy);
}

}  // namespace

TEST_CASE("a core truncated to its first 1 MB") {
  CheckTruncated("core-first-1MB", 1 << 20);
}

TEST_CASE("a core truncated to its first half") {
  CheckTruncated("core-first-half", fs::file_size(Core()) / 2);
}

TEST_CASE("the node binary passed as CORE is a clear bad-input error (exit 3)") {
  std::string node = fs::canonical(Require("MORTEM_E2E_NODE")).string();
  auto r = RunCli({"info", node});
  INFO(r.Describe() << "\nstderr:\n" << r.err);
  REQUIRE(r.CleanExit());
  CHECK(r.exit_code == 3);
  auto lines = r.ErrLines();
  REQUIRE(lines.size() == 1);
  CHECK(Lower(lines[0]).find("core") != std::string::npos);
  CHECK(lines[0].find(node) != std::string::npos);
}

TEST_CASE("missing, empty and directory CORE paths are bad-input errors (exit 3)") {
  fs::path empty = Scratch() / "empty-core";
  { std::ofstream touch(empty); }
  for (const std::string& path :
       {(Scratch() / "no-such-core").string(), empty.string(), Scratch().string()}) {
    auto r = RunCli({"info", path});
    INFO(path << ": " << r.Describe() << "\nstderr:\n" << r.err);
    REQUIRE(r.CleanExit());
    CHECK(r.exit_code == 3);
    CHECK(r.ErrLines().size() == 1);
  }
  fs::remove(empty);
}

TEST_CASE("--binary of another Node version is refused with exit 4 and names the build-id") {
  std::string other = Require("MORTEM_E2E_OTHER_NODE");
  std::vector<std::vector<std::string>> commands{{"info", Core().string(), "--binary", other}};
  if (CliHasCommand("objects"))
    commands.push_back({"objects", Core().string(), "--json", "--binary", other});
  for (const auto& args : commands) {
    auto r = RunCli(args);
    INFO(args[0] << ": " << r.Describe() << "\nstderr:\n" << r.err);
    REQUIRE(r.CleanExit());
    CHECK(r.exit_code == 4);
    CHECK(r.err.find("build-id") != std::string::npos);
    std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " mortem " << args[0]
              << " --binary OTHER: " << r.Describe() << "\n";
  }
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR"); root && Env("MORTEM_E2E_SCENARIO")) {
    fs::path core = fs::path(*root) / *Env("MORTEM_E2E_SCENARIO") / "core";
    if (!fs::exists(core)) {
      std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " bad input: SKIPPED, no "
                << core.string() << " (the e2e_cores fixture could not make it)\n";
      return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

TEST_CASE("a core with garbage stamped through it never crashes or hangs") {
  // Every 1 MiB, 512 bytes of a repeating pattern overwrite the core: page headers, maps, object
  // bodies and strings of the heap among them. mortem may reject the core (3), give a partial
  // result (5) or still a full one (0) -- never a signal, a sanitizer report or a hang.
  const fs::path core = Core();
  const fs::path copy = Scratch() / "core-stamped";
  CopyPrefix(core, copy, fs::file_size(core));
  {
    std::fstream f(copy, std::ios::binary | std::ios::in | std::ios::out);
    REQUIRE(f.good());
    std::vector<char> garbage(512);
    for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(0xA5 ^ (i * 37));
    const uint64_t size = fs::file_size(copy);
    // Keep the ELF and program headers: past them every byte is fair game.
    for (uint64_t offset = 1 << 20; offset + garbage.size() < size; offset += 1 << 20) {
      f.seekp(static_cast<std::streamoff>(offset));
      f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    REQUIRE(f.good());
  }
  const std::string node = Require("MORTEM_E2E_NODE");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"info", copy.string()},
        std::vector<std::string>{"objects", copy.string(), "--json"},
        std::vector<std::string>{"buffers", copy.string(), "--json"},
        std::vector<std::string>{"dominators", copy.string(), "--top", "3"},
        std::vector<std::string>{"triage", copy.string(), "--json"}}) {
    args.insert(args.end(), {"--binary", node});
    auto r = RunCli(args);
    INFO(r.Describe() << "\nstderr:\n" << r.err);
    REQUIRE_MESSAGE(r.CleanExit(), "crashed or hung on a stamped core: " << r.Describe());
    CHECK((r.exit_code == 0 || r.exit_code == 3 || r.exit_code == 5));
    std::cout << "[e2e] " << Require("MORTEM_E2E_DIR") << " stamped core, " << args[0] << ": exit "
              << r.exit_code << "\n";
    // Pointers the garbage left dangling are counted and said, never followed.
    if (auto at = r.out.find(" at no object start"); at != std::string::npos) {
      const size_t line = r.out.rfind('\n', at) + 1;  // npos + 1 == 0 on the first line
      std::cout << "[e2e]   " << r.out.substr(line, r.out.find('\n', at) - line) << "\n";
    }
  }
  fs::remove(copy);
}

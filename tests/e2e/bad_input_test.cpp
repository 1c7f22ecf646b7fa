// End-to-end tests of the real CLI on bad input, per Node version: truncated copies of a real
// core (first 1 MB, first half), a file that is not a core (the node binary itself), missing and
// empty files, a wrong --binary (another version's node), and FIFOs as the core, the binary, a
// --batch entry and a library the core names, hostile v8dbg constants in the core, and a core
// whose binary was replaced after the process started ("PATH (deleted)"). mortem
// must never crash or hang: it exits below 128 without a signal or sanitizer report, and says
// what is wrong.
// Environment (set by tests/CMakeLists.txt): MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_SCENARIO
// (a subdirectory holding a core), MORTEM_E2E_NODE (this version's node), MORTEM_E2E_OTHER_NODE
// (another version's node), MORTEM_E2E_SCRATCH (a directory for truncated copies).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <elf.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>

#include "mortem/elf/core_target.h"
#include "mortem/v8/heap.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/page_lists.h"
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
  const int failed = context.run();
  // The copy the page-list damages shared, if one of them made it.
  if (auto scratch = Env("MORTEM_E2E_SCRATCH")) {
    std::error_code ignored;
    for (const char* scenario : {"classes", "busy"})
      fs::remove(fs::path(*scratch) / ("core-page-list-" + std::string(scenario)), ignored);
  }
  return failed;
}

// A process whose node binary is replaced after it started (a deploy over a running service):
// the kernel then names it "PATH (deleted)" and gcore's core records that.
TEST_CASE("a core naming its binary PATH (deleted): the file now at PATH if its build-id matches") {
  const fs::path dir = Scratch() / "deleted-binary";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path node = dir / "node", ready = dir / "ready";
  fs::copy_file(Require("MORTEM_E2E_NODE"), node);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::string script =
        "require('fs').writeFileSync('" + ready.string() + "', ''); setInterval(() => {}, 1000)";
    ::execl(node.c_str(), node.c_str(), "-e", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 300 && !fs::exists(ready); ++i) ::usleep(100 * 1000);
  const bool started = fs::exists(ready);
  // Removed and put back: the running process's executable is now "node (deleted)".
  fs::remove(node);
  fs::copy_file(Require("MORTEM_E2E_NODE"), node);
  const auto gcore = Run({"/usr/bin/gcore", "-o", (dir / "core").string(), std::to_string(pid)},
                         std::chrono::seconds(120));
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  REQUIRE(started);
  const fs::path core = dir / ("core." + std::to_string(pid));
  INFO("gcore: " << gcore.Describe() << "\n" << gcore.err);
  REQUIRE(fs::exists(core));

  auto same = RunCli({"info", core.string(), "--json"});
  INFO("same build-id: " << same.Describe() << "\nstderr:\n" << same.err);
  REQUIRE(same.CleanExit());
  CHECK(same.exit_code == 0);
  const auto info = nlohmann::json::parse(same.out);
  CHECK(info.at("warnings").dump().find("(deleted)") != std::string::npos);

  // Another Node's binary at PATH now: refused by its build-id, as --binary would be.
  fs::remove(node);
  fs::copy_file(Require("MORTEM_E2E_OTHER_NODE"), node);
  auto other = RunCli({"info", core.string()});
  INFO("other build-id: " << other.Describe() << "\nstderr:\n" << other.err);
  REQUIRE(other.CleanExit());
  CHECK(other.exit_code == 4);
  CHECK(other.err.find("build-id") != std::string::npos);
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?")
            << " binary replaced after start: same build-id " << same.Describe() << ", another "
            << other.Describe() << "\n";
  fs::remove_all(dir);
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
  std::map<std::string, int> exits;
  for (std::vector<std::string> args :
       {std::vector<std::string>{"info", copy.string()},
        std::vector<std::string>{"objects", copy.string(), "--json"},
        std::vector<std::string>{"buffers", copy.string(), "--json"},
        std::vector<std::string>{"refs", copy.string(), "x", "--string", "--json"},
        std::vector<std::string>{"memory", copy.string(), "--json"},
        std::vector<std::string>{"dominators", copy.string(), "--top", "3"},
        std::vector<std::string>{"triage", copy.string(), "--json"},
        std::vector<std::string>{"instances", copy.string(), "Object", "--json"},
        std::vector<std::string>{"instances", copy.string(), "Object", "--all"},
        std::vector<std::string>{"handles", copy.string(), "--json"}}) {
    const std::string key = args[0] + (args.back() == "--all" ? " --all" : "");
    args.insert(args.end(), {"--binary", node});
    auto r = RunCli(args);
    INFO(r.Describe() << "\nstderr:\n" << r.err);
    REQUIRE_MESSAGE(r.CleanExit(), "crashed or hung on a stamped core: " << r.Describe());
    CHECK((r.exit_code == 0 || r.exit_code == 3 || r.exit_code == 5));
    exits[key] = r.exit_code;
    // A partial result says so: in its JSON (`partial`, or the walk's unparsed bytes), in its
    // text, or on stderr.
    if (r.exit_code == 5 && args[0] != "info" && args[0] != "memory") {
      const auto said = [](const std::string& text) {
        for (const char* why : {"\"partial\": true", "could not be parsed", "partial heap:"})
          if (text.find(why) != std::string::npos) return true;
        // objects --json: its walk's unparsed bytes.
        const size_t at = text.find("\"skipped_bytes\": ");
        return at != std::string::npos && text.compare(at + 17, 1, "0") != 0;
      };
      CHECK_MESSAGE((said(r.out) || said(r.err)), key << " exits 5 without saying why");
    }
    std::cout << "[e2e] " << Require("MORTEM_E2E_DIR") << " stamped core, " << key << ": exit "
              << r.exit_code << "\n";
    // Pointers the garbage left dangling are counted and said, never followed.
    if (auto at = r.out.find(" at no object start"); at != std::string::npos) {
      const size_t line = r.out.rfind('\n', at) + 1;  // npos + 1 == 0 on the first line
      std::cout << "[e2e]   " << r.out.substr(line, r.out.find('\n', at) - line) << "\n";
    }
  }
  // The commands that walk the heap walk the same pages: unparsed bytes make each of them
  // partial (exit 5), not only some.
  for (const char* command :
       {"buffers", "refs", "dominators", "triage", "instances", "instances --all"})
    CHECK_MESSAGE(exits[command] == exits["objects"], command);
  // `snapshot` still writes a snapshot; what the graph lost is named in a synthetic node of it
  // and on stderr, with exit 5.
  const fs::path file = Scratch() / "stamped.heapsnapshot";
  auto r = RunCli({"snapshot", copy.string(), "-o", file.string(), "--binary", node});
  INFO(r.Describe() << "\nstderr:\n" << r.err);
  REQUIRE_MESSAGE(r.CleanExit(), "snapshot crashed or hung on a stamped core: " << r.Describe());
  CHECK((r.exit_code == 0 || r.exit_code == 3 || r.exit_code == 5));
  if (r.exit_code != 3) {
    std::ifstream in(file);
    const auto doc = nlohmann::json::parse(in);
    const auto& meta = doc["snapshot"]["meta"];
    const size_t fields = meta["node_fields"].size();
    bool named = false;
    for (size_t i = 0; i < doc["nodes"].size(); i += fields)
      named |= doc["strings"][doc["nodes"][i + 1].get<size_t>()].get<std::string>().starts_with(
          "(mortem: missing from this snapshot:");
    CHECK(named == (r.exit_code == 5));
    if (r.exit_code == 5) CHECK(r.err.find("partial:") != std::string::npos);
    std::cout << "[e2e] stamped core, snapshot: exit " << r.exit_code
              << (named ? ", the missing parts named in the snapshot" : "") << "\n";
  }
  fs::remove(file);
  fs::remove(copy);
}

namespace {

// A FIFO nobody writes to: opening it for reading blocks until a writer comes, so a reader that
// opens before checking the file type hangs. Removed with the object.
struct Fifo {
  fs::path path;
  explicit Fifo(fs::path p) : path(std::move(p)) {
    fs::remove(path);
    REQUIRE_MESSAGE(::mkfifo(path.c_str(), 0600) == 0, "mkfifo " << path << " failed");
  }
  ~Fifo() { fs::remove(path); }
};

// Removes a scratch file or directory when the test case ends, passed or failed.
struct Removed {
  fs::path path;
  ~Removed() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// Runs mortem with a bound far below the tier's timeout: a hang fails the test in seconds.
RunResult RunBounded(std::vector<std::string> args) {
  args.insert(args.begin(), CliPath());
  return Run(args, std::chrono::seconds(30));
}

void CheckRefusedAtOnce(const RunResult& r, const std::string& what, const std::string& path) {
  INFO(what << ": " << r.Describe() << " in " << r.seconds << "s\nstderr:\n" << r.err);
  REQUIRE_MESSAGE(!r.timed_out, what << " hung (blocked opening a FIFO?)");
  REQUIRE(r.CleanExit());
  CHECK(r.exit_code == 3);
  auto lines = r.ErrLines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(path) != std::string::npos);
  CHECK(lines[0].find("FIFO") != std::string::npos);
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " " << what << ": "
            << r.Describe() << " in " << r.seconds << "s, " << lines[0] << "\n";
}

// The notes of a core follow its program headers at the start of the file.
constexpr size_t kNotesArea = 8 << 20;

std::string ReadHead(std::istream& in) {
  std::string bytes(kNotesArea, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  in.clear();
  return bytes;
}

// Replaces every NUL-terminated occurrence of `from` in the file's notes area by `to` (of the
// same length).
size_t ReplaceCString(const fs::path& file, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  const std::string bytes = ReadHead(f);
  const std::string needle = from + '\0';
  size_t count = 0;
  for (size_t at = bytes.find(needle); at != std::string::npos; at = bytes.find(needle, at + 1)) {
    f.seekp(static_cast<std::streamoff>(at));
    f.write(to.data(), static_cast<std::streamsize>(to.size()));
    ++count;
  }
  REQUIRE(f.good());
  return count;
}

// The path of the libc the core's NT_FILE note names ("/.../libc.so.6").
std::string LibcPathIn(const fs::path& core) {
  std::ifstream in(core, std::ios::binary);
  const std::string bytes = ReadHead(in);
  const std::string tail = "/libc.so.6";
  for (size_t at = bytes.find(tail + '\0'); at != std::string::npos;
       at = bytes.find(tail + '\0', at + 1)) {
    size_t start = bytes.rfind('\0', at);
    start = start == std::string::npos ? 0 : start + 1;
    std::string path = bytes.substr(start, at + tail.size() - start);
    if (path.starts_with("/") && path.size() >= 24) return path;
  }
  return {};
}

}  // namespace

TEST_CASE("a FIFO as CORE or as --binary is refused at once (exit 3), never opened") {
  Fifo fifo(Scratch() / "fifo");
  CheckRefusedAtOnce(RunBounded({"info", fifo.path.string()}), "mortem info FIFO",
                     fifo.path.string());
  CheckRefusedAtOnce(RunBounded({"info", Core().string(), "--binary", fifo.path.string()}),
                     "mortem info CORE --binary FIFO", fifo.path.string());
}

TEST_CASE("--batch says which entries it skips and never blocks on a FIFO") {
  const fs::path dir = Scratch() / "batch-odd";
  fs::remove_all(dir);
  const Removed cleanup{dir};
  fs::create_directories(dir / "b-subdirectory");
  Fifo fifo(dir / "a-fifo");
  fs::create_symlink("c-loop", dir / "c-loop");  // a symbolic link loop
  fs::create_symlink(Core(), dir / "d-good.core");
  const std::string node = Require("MORTEM_E2E_NODE");
  auto r = RunBounded({"info", "--batch", dir.string(), "--binary", node});
  INFO(r.Describe() << " in " << r.seconds << "s\nstdout:\n" << r.out << "stderr:\n" << r.err);
  REQUIRE_MESSAGE(!r.timed_out, "--batch over a directory with a FIFO hung");
  REQUIRE(r.CleanExit());
  CHECK(r.exit_code == 0);  // the one core is fine; the others are no cores to run
  std::istringstream out(r.out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(out, line);) lines.push_back(line);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("d-good.core") != std::string::npos);
  const auto err_lines = r.ErrLines();
  for (const std::string entry : {"a-fifo", "b-subdirectory", "c-loop"}) {
    const auto said = std::count_if(err_lines.begin(), err_lines.end(), [&](auto& l) {
      return l.find(entry) != std::string::npos && l.find("skipped") != std::string::npos;
    });
    CHECK_MESSAGE(said == 1, "no stderr line says that " << entry << " was skipped");
  }
  // A glob that matches the FIFO runs it as a core: an error line at once, exit 5.
  auto g = RunBounded({"info", "--batch", (dir / "a-*").string(), "--binary", node});
  INFO(g.Describe() << " in " << g.seconds << "s\nstdout:\n" << g.out << "stderr:\n" << g.err);
  REQUIRE_MESSAGE(!g.timed_out, "--batch over a glob matching a FIFO hung");
  REQUIRE(g.CleanExit());
  CHECK(g.exit_code == 5);
  CHECK(g.out.find("FIFO") != std::string::npos);
}

TEST_CASE("a library path in the core's NT_FILE note that is a FIFO here is not opened") {
  const fs::path core = Core();
  const std::string libc = LibcPathIn(core);
  if (libc.empty()) {
    MESSAGE("no libc.so.6 path in the core: nothing to replace");
    return;
  }
  // A FIFO path as long as libc's, so the note keeps its size.
  std::string fifo_path = "/tmp/mortem-fifo-" + std::to_string(::getpid()) + "-";
  REQUIRE(fifo_path.size() < libc.size());
  fifo_path.resize(libc.size(), 'x');
  Fifo fifo(fifo_path);
  const fs::path copy = Scratch() / "core-fifo-library";
  const Removed cleanup{copy};
  CopyPrefix(core, copy, fs::file_size(core));
  REQUIRE(ReplaceCString(copy, libc, fifo_path) > 0);
  const std::string node = Require("MORTEM_E2E_NODE");
  const auto original = RunBounded({"info", core.string(), "--binary", node});
  for (const std::string command : {"info", "stack"}) {
    auto r = RunBounded({command, copy.string(), "--binary", node});
    INFO(command << ": " << r.Describe() << " in " << r.seconds << "s\nstderr:\n" << r.err);
    REQUIRE_MESSAGE(!r.timed_out, "mortem " << command << " hung opening " << fifo_path);
    REQUIRE(r.CleanExit());
    if (command == "info") CHECK(r.exit_code == original.exit_code);
    std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " mortem " << command
              << " with libc a FIFO: " << r.Describe() << " in " << r.seconds << "s\n";
  }
}

namespace {

// The address of a symbol in an ELF file's .symtab (0 if absent), read with <elf.h> alone.
uint64_t SymbolAddress(const fs::path& elf, const std::string& wanted) {
  std::ifstream in(elf, std::ios::binary);
  auto read_at = [&](uint64_t offset, void* out, size_t size) {
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
    return in.good();
  };
  Elf64_Ehdr eh{};
  if (!read_at(0, &eh, sizeof eh)) return 0;
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  if (!read_at(eh.e_shoff, sections.data(), sections.size() * sizeof(Elf64_Shdr))) return 0;
  for (const auto& s : sections) {
    if (s.sh_type != SHT_SYMTAB || s.sh_link >= sections.size()) continue;
    const auto& names = sections[s.sh_link];
    std::string strtab(names.sh_size, '\0');
    std::vector<Elf64_Sym> symbols(s.sh_size / sizeof(Elf64_Sym));
    if (!read_at(names.sh_offset, strtab.data(), strtab.size()) ||
        !read_at(s.sh_offset, symbols.data(), symbols.size() * sizeof(Elf64_Sym)))
      return 0;
    for (const auto& sym : symbols)
      if (sym.st_name < strtab.size() && strtab.c_str() + sym.st_name == wanted)
        return sym.st_value;
  }
  return 0;
}

// The file offset of a virtual address in a core's PT_LOAD segments (0 if not in the file).

}  // namespace

TEST_CASE("hostile v8dbg constants in the core are refused, named, exit 3") {
  // The postmortem constants are read from the core's copy of the binary's data, so a damaged
  // core chooses them. Each of these once crashed or read out of bounds.
  const std::pair<const char*, int32_t> hostile[] = {
      {"v8dbg_FirstNonstringType", 70000},           // SizeRules' 65536-type table
      {"v8dbg_class_Map__bit_field__char", 5000},    // MapCache::Decode's 24-byte copy
      {"v8dbg_class_String__length__int32_t", 4096}  // RunRefsToString's read
  };
  const fs::path core = Core();
  const std::string node = Require("MORTEM_E2E_NODE");
  const fs::path copy = Scratch() / "core-hostile-constants";
  const Removed cleanup{copy};
  CopyPrefix(core, copy, fs::file_size(core));
  {
    std::fstream f(copy, std::ios::binary | std::ios::in | std::ios::out);
    for (const auto& [name, value] : hostile) {
      const uint64_t address = SymbolAddress(node, name);
      const uint64_t offset = address ? CoreFileOffset(copy, address, sizeof value) : 0;
      if (offset == 0) {
        MESSAGE(name << " is not in the core's memory (address " << address << "): skipped");
        return;
      }
      f.seekp(static_cast<std::streamoff>(offset));
      f.write(reinterpret_cast<const char*>(&value), sizeof value);
    }
    REQUIRE(f.good());
  }
  for (const std::string command : {"objects", "refs"}) {
    std::vector<std::string> args{command, copy.string(), "--binary", node};
    if (command == "refs") args.insert(args.begin() + 2, {"some text", "--string"});
    auto r = RunBounded(args);
    INFO(command << ": " << r.Describe() << "\nstderr:\n" << r.err);
    REQUIRE(r.CleanExit());
    CHECK(r.exit_code == 3);
    auto lines = r.ErrLines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("FirstNonstringType = 70000") != std::string::npos);
    CHECK(lines[0].find("class_Map__bit_field = 5000") != std::string::npos);
    CHECK(lines[0].find("class_String__length = 4096") != std::string::npos);
    std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " mortem " << command
              << " with hostile constants: " << r.Describe() << "\n";
  }
}

namespace {

// Where V8's page list of the main heap's old space links one page to the next, in the core file:
// that page's ListNode next_ and the prev_ of the page it names. The list offsets and the pages
// come from mortem's own model (page_lists.h), the damage from the test.
struct OldSpaceLinks {
  uint64_t node = 0, successor = 0;             // the two pages' list nodes (addresses)
  uint64_t next_at = 0, successor_prev_at = 0;  // file offsets of node's next_, successor's prev_
};

OldSpaceLinks FindOldSpaceLinks(const fs::path& core, const std::string& node) {
  namespace v8 = mortem::v8;
  auto target = mortem::CoreTarget::Open({core.string(), node, false});
  const v8::Layout layout = v8::LoadLayout(*target, target->binary());
  const v8::Heap heap = v8::Heap::Discover(*target, layout);
  std::vector<v8::PageCandidate> candidates;
  for (const auto& p : heap.pages())
    if (!p.read_only)
      if (auto c = v8::ReadPageCandidate(*target, layout, p.start)) candidates.push_back(*c);
  const auto shape = v8::LearnPageListShape(*target, candidates);
  REQUIRE_MESSAGE(shape, "no page list offsets learnt from this core");
  for (const auto& c : candidates) {
    if (c.page.space != layout.spaces.old_space) continue;
    auto next = target->ReadWord(c.node_base + shape->node);
    if (!next || *next == 0) continue;
    OldSpaceLinks links{c.node_base, *next, CoreFileOffset(core, c.node_base + shape->node),
                        CoreFileOffset(core, *next + shape->node + 8)};
    REQUIRE(links.next_at != 0);
    REQUIRE(links.successor_prev_at != 0);
    return links;
  }
  FAIL("the old space lists fewer than two pages");
  return {};
}

uint64_t ExchangeWordAt(const fs::path& file, uint64_t offset, uint64_t value) {
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  uint64_t old = 0;
  f.seekg(static_cast<std::streamoff>(offset));
  f.read(reinterpret_cast<char*>(&old), sizeof old);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(reinterpret_cast<const char*>(&value), sizeof value);
  REQUIRE(f.good());
  return old;
}

// One word of a copy of the core overwritten while it lives, then put back: the damages share
// one copy (copying the core was half of each damage's time).
class OverwrittenWord {
 public:
  OverwrittenWord(fs::path file, uint64_t offset, uint64_t value)
      : file_(std::move(file)), offset_(offset), old_(ExchangeWordAt(file_, offset_, value)) {}
  ~OverwrittenWord() { ExchangeWordAt(file_, offset_, old_); }
  OverwrittenWord(const OverwrittenWord&) = delete;
  OverwrittenWord& operator=(const OverwrittenWord&) = delete;

 private:
  fs::path file_;
  uint64_t offset_, old_;
};

// The copy of a scenario's core the page-list damages share (made by the first that needs it).
fs::path PageListCopy(const fs::path& core) {
  static std::map<fs::path, fs::path> copies;
  auto [it, made] = copies.emplace(
      core, Scratch() / ("core-page-list-" + core.parent_path().filename().string()));
  if (made) CopyPrefix(core, it->second, fs::file_size(core));
  return it->second;
}

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// Runs `objects --json` on a damaged core: exit 5, said on stderr; the rows by name.
Rows DamagedObjects(const fs::path& copy, const std::string& node, const std::string& said) {
  auto objects = RunCli({"objects", copy.string(), "--json", "--binary", node});
  INFO("objects: " << objects.Describe() << "\nstderr:\n" << objects.err);
  REQUIRE(objects.CleanExit());
  CHECK(objects.exit_code == 5);
  CHECK(Contains(objects.err, "partial heap: "));
  CHECK(Contains(objects.err, said));
  return ParseObjectsJson(objects.out, 0);  // the main thread's, as V8's snapshot is
}

// The commands of the whole process say it too (they use the same heap).
void CheckProcessCommandsSay(const fs::path& copy, const std::string& node,
                             const std::string& said) {
  for (std::vector<std::string> args : {std::vector<std::string>{"stack", copy.string()},
                                        std::vector<std::string>{"source", copy.string()},
                                        std::vector<std::string>{"buffers", copy.string()}}) {
    args.insert(args.end(), {"--binary", node});
    auto r = RunCli(args);
    INFO(args[0] << ": " << r.Describe() << "\nstderr:\n" << r.err);
    REQUIRE(r.CleanExit());
    CHECK(r.exit_code == 5);
    CHECK(Contains(r.err, "partial heap: "));
    CHECK(Contains(r.err, said));
  }
}

nlohmann::json DamagedInfo(const fs::path& copy, const std::string& node) {
  auto info = RunCli({"info", copy.string(), "--json", "--binary", node});
  INFO("info: " << info.Describe() << "\nstderr:\n" << info.err);
  REQUIRE(info.CleanExit());
  CHECK(info.exit_code == 5);
  return nlohmann::json::parse(info.out);
}

RowStats RowOf(const Rows& rows, const RowKey& key) {
  auto it = rows.find(key);
  return it == rows.end() ? RowStats{} : it->second;
}

// What both page-list cases start from: the core and its binary, the links they damage, the
// scenario's classes, V8's snapshot of the heap, and the copy the damage goes into.
struct PageListCase {
  fs::path core;
  std::string node = Require("MORTEM_E2E_NODE");
  OldSpaceLinks links = FindOldSpaceLinks(core, node);
  nlohmann::json scenario = [this] {
    std::ifstream in(core.parent_path() / "scenario.json");
    return nlohmann::json::parse(in);
  }();
  Snapshot snapshot = LoadSnapshot(core.parent_path() / "heap.heapsnapshot");
  fs::path copy = PageListCopy(core);
};

bool Warns(const nlohmann::json& doc, const std::string& a, const std::string& b) {
  for (const auto& w : doc["warnings"])
    if (Contains(w.get<std::string>(), a) && Contains(w.get<std::string>(), b)) return true;
  return false;
}

}  // namespace

namespace {

// One link of V8's own list of old-space pages overwritten (three ways, or only the first: a
// loop). The list is doubly linked, so its links the other way still list every page: the
// scenario's classes are still counted exactly (count and self size as V8's snapshot of the
// main thread's heap), and every command, those of the whole process (stack, source, buffers)
// too, says the list was damaged and exits 5.
void CheckOneLinkDamages(const fs::path& scenario_core, bool every_damage) {
  PageListCase c{scenario_core};
  const auto& [core, node, links, scenario, snapshot, copy] = c;
  struct Damage {
    const char* name;
    uint64_t at, value;
    const char* said;  // in the space's warning
    const char* way;
  };
  const Damage damages[] = {
      {"a list that loops", links.next_at, links.node, "its list loops at", "back links"},
      {"a list that leaves the heap", links.next_at, uint64_t{0x7e5700000000},
       "which is no page header of this space", "back links"},
      {"a back link that disagrees", links.successor_prev_at, links.successor, "back link at",
       "forward links"},
  };
  // After "partial heap: ", and "isolate N: " where the process has several.
  const std::string said = "1 space's page list is damaged at a link";
  for (const Damage& d : std::span(damages, every_damage ? 3 : 1)) {
    INFO(core.parent_path().filename().string() << ": " << d.name);
    const OverwrittenWord damage(copy, d.at, d.value);
    const auto doc = DamagedInfo(copy, node);
    const auto& lists = doc["isolates"][0]["page_lists"];
    CHECK(lists["scanned_spaces"] == 0);
    CHECK(lists["recovered_spaces"] == 1);
    CHECK_MESSAGE(Warns(doc, "old_space", d.said), "no warning names old_space and: " << d.said);
    CHECK_MESSAGE(Warns(doc, "old_space", d.way), "no warning says it followed its " << d.way);
    const Rows rows = DamagedObjects(copy, node, said);
    for (const auto& [name, made] : scenario["counts"].items()) {
      const RowStats ours = RowOf(rows, {"object", name}),
                     v8 = RowOf(snapshot.rows, {"object", name});
      CHECK_MESSAGE(ours == v8, name << ": " << ours.count << " (" << ours.self_size
                                     << " bytes), V8's snapshot " << v8.count << " ("
                                     << v8.self_size << ")");
    }
    CheckProcessCommandsSay(copy, node, said);
    std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " "
              << core.parent_path().filename().string() << " page list damaged (" << d.name
              << "): followed by its " << d.way << ", classes exact, exit 5\n";
  }
}

}  // namespace

TEST_CASE("a page list damaged at one link: followed the other way, no page lost, exit 5") {
  CheckOneLinkDamages(Core(), true);
}

TEST_CASE("a page list damaged at one link on a busy core (no GC before it): the same") {
  // The busy scenario's gcore core, its snapshot written after the core: garbage, moved objects
  // and allocation areas in the heap; its BusyOrders exact against V8's snapshot.
  CheckOneLinkDamages(fs::path(Require("MORTEM_E2E_DIR")) / "busy" / "core", false);
}

TEST_CASE("a page list damaged both ways: that space from the header scan, said, exit 5") {
  // A forward and a back link overwritten: the old space's pages come from the page-header scan,
  // for that space only, and every command says so. The scan's pages may include pages V8 has
  // pooled, whose stale copies a stale stack word can still reach, so the scenario's classes are
  // counted at least as V8's snapshot counts them, not exactly.
  PageListCase c{Core()};
  const auto& [core, node, links, scenario, snapshot, copy] = c;
  const OverwrittenWord next(copy, links.next_at, uint64_t{0x7e5700000000});
  const OverwrittenWord back(copy, links.successor_prev_at, uint64_t{0x7e5700000000});
  const auto doc = DamagedInfo(copy, node);
  const auto& lists = doc["isolates"][0]["page_lists"];
  CHECK(lists["scanned_spaces"] == 1);
  CHECK(lists["recovered_spaces"] == 0);
  CHECK(lists["listed_spaces"].get<int>() >= 2);
  CHECK(Warns(doc, "old_space", "its pages come from the page-header scan"));
  const std::string said = "1 space's page list is damaged: its pages come from";
  const Rows rows = DamagedObjects(copy, node, said);
  for (const auto& [name, made] : scenario["counts"].items()) {
    const uint64_t ours = RowOf(rows, {"object", name}).count;
    const uint64_t v8 = RowOf(snapshot.rows, {"object", name}).count;
    CHECK_MESSAGE(ours >= v8, name << ": " << ours << ", V8's snapshot " << v8);
  }
  CheckProcessCommandsSay(copy, node, said);
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?")
            << " page list damaged both ways: old space scanned, exit 5\n";
}

// The damaged-core tier: a deterministic mutator over a real scenario core, and every command of
// the CLI on each damaged copy, under the sanitizer tree. Each damage (numbered; the number is
// its seed) is one of: bit flips, a zeroed 4 KiB block, forged words that point near
// themselves, absurd lengths and sizes (three times in four in the V8 heap's pages, which
// mortem's own model finds, else anywhere the core holds memory), a page header's bytes
// overwritten, bytes of the notes (threads, mapped files) overwritten. The core is copied once;
// each damage is applied to the copy and undone after its commands. mortem must answer every run
// within its bound with a documented exit code (0, 3 bad input, 4 wrong binary, 5 partial), without
// a signal, a sanitizer report or an internal error (70). Environment (tests/CMakeLists.txt):
// MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_SCENARIO (a subdirectory with a core),
// MORTEM_E2E_NODE, MORTEM_E2E_SCRATCH, MORTEM_E2E_DAMAGES (how many damages, default 10),
// MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <elf.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "mortem/elf/core_target.h"
#include "mortem/v8/heap.h"
#include "mortem/v8/layout.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;

namespace {

constexpr auto kBound = std::chrono::seconds(60);  // per run: a hang fails in a minute

fs::path Core() {
  return fs::path(Require("MORTEM_E2E_DIR")) / Require("MORTEM_E2E_SCENARIO") / "core";
}

struct Segment {
  uint64_t vaddr = 0, offset = 0, size = 0;  // the bytes the file holds
};

struct CoreShape {
  std::vector<Segment> loads;  // PT_LOAD with file bytes
  Segment notes;               // the PT_NOTE segment
  uint64_t load_bytes = 0;
  std::vector<Segment> pages;  // the V8 heap's pages (mortem's model finds them)
  uint64_t page_bytes = 0;
};

// The file's bytes of every page of every heap, so that most damage lands where the heap model
// reads (most of a core's memory is other mappings).
void AddHeapPages(const fs::path& core, const std::string& node, CoreShape& shape) {
  auto target = mortem::CoreTarget::Open({core.string(), node, false});
  const mortem::v8::Layout layout = mortem::v8::LoadLayout(*target, target->binary());
  for (const auto& heap : mortem::v8::Heap::DiscoverAll(*target, layout).heaps)
    for (const auto& page : heap.pages())
      for (const auto& s : shape.loads)
        if (page.start >= s.vaddr && page.start + page.size <= s.vaddr + s.size) {
          shape.pages.push_back({page.start, s.offset + (page.start - s.vaddr), page.size});
          shape.page_bytes += page.size;
        }
  REQUIRE(!shape.pages.empty());
}

CoreShape ReadShape(const fs::path& core) {
  CoreShape shape;
  for (const auto& p : ReadProgramHeaders(core)) {
    if (p.p_type == PT_NOTE) shape.notes = {0, p.p_offset, p.p_filesz};
    if (p.p_type != PT_LOAD || p.p_filesz < 4096) continue;
    shape.loads.push_back({p.p_vaddr, p.p_offset, p.p_filesz});
    shape.load_bytes += p.p_filesz;
  }
  REQUIRE(!shape.loads.empty());
  REQUIRE(shape.notes.size > 0);
  return shape;
}

// The damage's writes, and what they overwrote (to undo them).
class Damage {
 public:
  Damage(fs::path file, const CoreShape& shape, unsigned seed)
      : file_(std::move(file)), shape_(shape), random_(seed) {}
  ~Damage() {
    std::fstream f(file_, std::ios::binary | std::ios::in | std::ios::out);
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
      f.seekp(static_cast<std::streamoff>(it->first));
      f.write(it->second.data(), static_cast<std::streamsize>(it->second.size()));
    }
  }
  Damage(const Damage&) = delete;
  Damage& operator=(const Damage&) = delete;

  // What the damage of this seed does, applied.
  std::string Apply(unsigned kind) {
    switch (kind % 6) {
      case 0:
        for (int i = 0; i < 256; ++i) {
          const uint64_t at = AnyLoadOffset();
          char byte = Read(at, 1)[0];
          Write(at, std::string(1, static_cast<char>(byte ^ (1 << Below(8)))));
        }
        return "256 bit flips";
      case 1: {
        const uint64_t at = AnyLoadOffset() & ~uint64_t{4095};
        Write(at, std::string(4096, '\0'));
        return "a zeroed 4 KiB block";
      }
      case 2:
        for (int i = 0; i < 128; ++i) {
          const auto [at, vaddr] = AnyLoadWord();
          Write(at, Word(vaddr + 8 * Below(64) + 1));  // a tagged pointer nearby
        }
        return "128 forged pointers";
      case 3: {
        const Segment& page = shape_.pages[Below(shape_.pages.size())];
        std::string bytes(64, '\0');
        for (auto& b : bytes) b = static_cast<char>(Below(256));
        Write(page.offset + 8 * Below(32), bytes);
        return "a page header's bytes";
      }
      case 4:
        for (int i = 0; i < 128; ++i) {
          const uint64_t absurd[] = {~uint64_t{0}, uint64_t{0x7fffffff} << 32, uint64_t{0xfffffff0},
                                     uint64_t{1} << 62};
          Write(AnyLoadWord().first, Word(absurd[Below(4)]));
        }
        return "128 absurd lengths and sizes";
      default:
        for (int i = 0; i < 64; ++i)
          Write(shape_.notes.offset + Below(shape_.notes.size), std::string(1, char(Below(256))));
        return "64 bytes of the notes";
    }
  }

 private:
  uint64_t Below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(random_); }
  // Where a damage lands: three times in four in the heap's pages, else anywhere the core holds
  // memory, every byte of the chosen set as likely.
  const std::vector<Segment>& AnySet(uint64_t& bytes) {
    const bool heap = Below(4) != 0;
    bytes = heap ? shape_.page_bytes : shape_.load_bytes;
    return heap ? shape_.pages : shape_.loads;
  }
  uint64_t AnyLoadOffset() { return AnyLoadWord().first + Below(8); }
  std::pair<uint64_t, uint64_t> AnyLoadWord() {  // file offset, vaddr
    uint64_t bytes = 0;
    const std::vector<Segment>& set = AnySet(bytes);
    uint64_t n = Below(bytes) & ~uint64_t{7};
    for (const auto& s : set) {
      if (n + 8 <= s.size) return {s.offset + n, s.vaddr + n};
      n = n >= s.size ? n - s.size : 0;
    }
    return {set.front().offset, set.front().vaddr};
  }
  static std::string Word(uint64_t value) {
    return std::string(reinterpret_cast<const char*>(&value), 8);
  }
  std::string Read(uint64_t at, size_t n) {
    std::ifstream f(file_, std::ios::binary);
    std::string bytes(n, '\0');
    f.seekg(static_cast<std::streamoff>(at));
    f.read(bytes.data(), static_cast<std::streamsize>(n));
    return bytes;
  }
  void Write(uint64_t at, const std::string& bytes) {
    undo_.emplace_back(at, Read(at, bytes.size()));
    std::fstream f(file_, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(at));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(f.good());
  }

  fs::path file_;
  const CoreShape& shape_;
  std::mt19937_64 random_;
  std::vector<std::pair<uint64_t, std::string>> undo_;
};

// Every command, with arguments that make it do its work on this core (an object address of
// the undamaged core for those that take one).
std::vector<std::vector<std::string>> EveryCommand(const std::string& core,
                                                   const std::string& object,
                                                   const std::string& snapshot) {
  return {{"info", core, "--json"},
          {"objects", core, "--json"},
          {"objects", core, "--all", "--retained", "--top", "5"},
          {"instances", core, "Object", "--json"},
          {"inspect", core, object, "--json"},
          {"buffers", core, "--json"},
          {"read", core, object, "--length", "64"},
          {"memory", core, "--json"},
          {"dominators", core, "--top", "5"},
          {"refs", core, object, "--json"},
          {"retainers", core, object, "--json"},
          {"snapshot", core, "-o", snapshot},
          {"stack", core, "--all", "--json"},
          {"triage", core, "--json"},
          {"source", core},
          {"handles", core, "--json"},
          {"diff", core, core, "--json"}};
}

}  // namespace

TEST_CASE("damaged cores: every command answers with a documented exit code, never a crash") {
  const fs::path core = Core();
  const std::string node = Require("MORTEM_E2E_NODE");
  const int damages = std::stoi(Env("MORTEM_E2E_DAMAGES").value_or("10"));
  const fs::path scratch = Require("MORTEM_E2E_SCRATCH");
  fs::create_directories(scratch);
  const fs::path copy = scratch / "core-damaged", snapshot = scratch / "damaged.heapsnapshot";
  CopyPrefix(core, copy, fs::file_size(core));
  CoreShape shape = ReadShape(copy);
  AddHeapPages(core, node, shape);
  const auto instances = RunCliJson({"instances", core.string(), "Object", "--binary", node});
  REQUIRE(!instances["instances"].empty());
  const std::string object = instances["instances"][0]["address"].get<std::string>();
  const auto commands = EveryCommand(copy.string(), object, snapshot.string());
  std::map<int, int> all_exits;
  for (int seed = 1; seed <= damages; ++seed) {
    Damage damage(copy, shape, static_cast<unsigned>(seed));
    const std::string what = damage.Apply(static_cast<unsigned>(seed));
    std::map<int, int> exits;
    for (auto args : commands) {
      args.insert(args.end(), {"--binary", node});
      args.insert(args.begin(), CliPath());
      const RunResult r = Run(args, kBound);
      INFO("damage " << seed << " (" << what << "): mortem " << args[1] << " " << args.back()
                     << ": " << r.Describe() << " in " << r.seconds << " s\nstderr:\n"
                     << r.err.substr(0, 2000));
      CHECK_MESSAGE(!r.timed_out, "no answer within the bound");
      CHECK_MESSAGE(r.CleanExit(), "crashed (signal or sanitizer report)");
      CHECK_MESSAGE((r.exit_code == 0 || r.exit_code == 3 || r.exit_code == 4 || r.exit_code == 5),
                    "an exit code the README does not document for this (70: internal error)");
      ++exits[r.exit_code];
      ++all_exits[r.exit_code];
    }
    std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " damage " << seed << " ("
              << what << "):";
    for (const auto& [code, n] : exits) std::cout << " exit " << code << " x" << n;
    std::cout << "\n";
  }
  std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " damaged cores: " << damages
            << " damages x " << commands.size() << " commands:";
  for (const auto& [code, n] : all_exits) std::cout << " exit " << code << " x" << n;
  std::cout << "\n";
  fs::remove(copy);
  fs::remove(snapshot);
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR"); root && Env("MORTEM_E2E_SCENARIO")) {
    const fs::path core = fs::path(*root) / *Env("MORTEM_E2E_SCENARIO") / "core";
    if (!fs::exists(core)) {
      std::cout << "[e2e] " << Env("MORTEM_E2E_LABEL").value_or("?") << " damaged cores: SKIPPED, "
                << "no " << core.string() << "\n";
      return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

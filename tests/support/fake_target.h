// Purpose: a fake target for the unit tests and the fuzzers: a symbol table kept in a map, and
// the v8dbg_* constants of a checked-in fixture (fixtures/layout/v8dbg-RELEASE.txt, made by
// scripts/v8dbg-fixture.py) placed in FakeMemory the way LoadLayout reads them from a binary.
#pragma once
#include <cstdint>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mortem/core/fake_memory.h"
#include "mortem/core/symbols.h"

namespace mortem::test {

class FakeSymbols : public SymbolTable {
 public:
  void Add(const std::string& name, Address address, uint64_t size) {
    names_.push_back(name);
    symbols_[names_.back()] = Symbol{names_.back(), address, size, false};
  }
  std::optional<Symbol> Find(std::string_view name) const override {
    auto it = symbols_.find(name);
    if (it == symbols_.end()) return std::nullopt;
    return it->second;
  }
  void ForEachWithPrefix(std::string_view prefix,
                         const std::function<void(const Symbol&)>& visit) const override {
    for (auto it = symbols_.lower_bound(prefix);
         it != symbols_.end() && it->first.starts_with(prefix); ++it)
      visit(it->second);
  }
  std::optional<Symbol> FindByAddress(Address) const override { return std::nullopt; }

 private:
  std::deque<std::string> names_;
  std::map<std::string_view, Symbol, std::less<>> symbols_;
};

struct LayoutFixture {
  std::vector<int32_t> version;                            // V8 major, minor, build, patch
  std::vector<std::pair<std::string, int64_t>> constants;  // in the file's order
};

// The V8 version a fixture's first line names: "... (V8 13.6.233.10): ...".
inline std::vector<int32_t> FixtureVersion(const std::string& first_line) {
  std::vector<int32_t> parts;
  auto at = first_line.find("(V8 ");
  if (at == std::string::npos) throw std::runtime_error("fixture: no (V8 x.y.z.w) on line 1");
  std::istringstream in(first_line.substr(at + 4));
  for (int i = 0; i < 4; ++i) {
    int32_t n = -1;
    char dot = 0;
    in >> n;
    if (i < 3) in >> dot;
    parts.push_back(n);
  }
  return parts;
}

inline LayoutFixture ReadLayoutFixture(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  LayoutFixture f;
  std::string line;
  std::getline(in, line);
  f.version = FixtureVersion(line);
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name;
    int64_t value = 0;
    fields >> name >> value;
    f.constants.emplace_back(name, value);
  }
  return f;
}

// Writes each constant as an int32 8 bytes after the one before, from base (a block of 64 KiB
// is added), names it in symbols, and adds V8's Version::major_ ... patch_ the same way.
inline void PlaceConstants(const LayoutFixture& f, FakeMemory& memory, FakeSymbols& symbols,
                           Address base) {
  memory.AddBlock(base, 1 << 16);
  Address next = base;
  auto put = [&](const std::string& name, int64_t value) {
    const auto v = static_cast<int32_t>(value);
    memory.WriteBytes(next, &v, 4);
    symbols.Add(name, next, 4);
    next += 8;
  };
  for (const auto& [name, value] : f.constants) put(name, value);
  put("_ZN2v88internal7Version6major_E", f.version[0]);
  put("_ZN2v88internal7Version6minor_E", f.version[1]);
  put("_ZN2v88internal7Version6build_E", f.version[2]);
  put("_ZN2v88internal7Version6patch_E", f.version[3]);
}

}  // namespace mortem::test

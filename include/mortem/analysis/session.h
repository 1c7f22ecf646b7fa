// Purpose: one analysis target: its memory, symbols, V8 layout and heap, built lazily and kept,
// so that every command run against the same target (CLI run or LLDB session) shares them.
// The session owns no frontend types; the frontend hands it a Memory and a SymbolTable.
#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/census.h"
#include "mortem/core/mapping.h"
#include "mortem/core/memory.h"
#include "mortem/core/symbols.h"
#include "mortem/core/unwind.h"
#include "mortem/v8/heap.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/walker.h"

namespace mortem {

struct GraphState;
namespace v8 {
struct DominatorTree;
}

// Facts about the process that only the frontend knows (from core notes or the debugger).
struct ThreadInfo {
  int tid = 0;
  uint64_t pc = 0, sp = 0, fp = 0;
};
struct ProcessFacts {
  int pid = 0;
  std::string command_line;
  int signal = 0;
  std::string executable;
  std::string binary_path;
  std::string build_id;       // of the binary read as the executable
  std::string core_build_id;  // the executable's build-id the core itself holds (empty: unknown)
  std::vector<ThreadInfo> threads;
  // Every mapping of the process in address order (a core: each PT_LOAD, named by NT_FILE);
  // empty where the frontend cannot list them (then Memory::Regions() stands in).
  std::vector<Mapping> mappings;
  std::vector<std::string> warnings;  // from loading (truncation, unverified binary, ...)
  bool truncated = false;             // the core file is shorter than its headers say
};

class Session {
 public:
  Session(const Memory& memory, const SymbolTable& symbols, ProcessFacts facts);

  const Memory& memory() const { return memory_; }
  const SymbolTable& symbols() const { return symbols_; }
  const ProcessFacts& facts() const { return facts_; }
  const v8::Layout& layout();  // throws Error
  const v8::Heap& heap();      // throws Error
  const Census& census();      // one walk of the whole heap, kept
  bool has_census() const { return census_.has_value(); }
  v8::MapCache& maps();                   // for single-threaded lookups by commands
  const GraphState& graph();              // the heap graph with roots, built on first use and kept
  const v8::DominatorTree& dominators();  // over graph(), built on first use and kept
  // Warnings every result carries: from loading the target and from locating the heap.
  std::vector<std::string> Warnings();
  // Native unwinding, if the frontend has it (the CLI: libunwind; the plugin: lldb's unwinder).
  const Unwinder* unwinder() const { return unwinder_; }
  void set_unwinder(const Unwinder* unwinder) { unwinder_ = unwinder; }
  unsigned threads() const { return threads_; }
  void set_threads(unsigned n) { threads_ = n; }

 private:
  const Memory& memory_;
  const SymbolTable& symbols_;
  ProcessFacts facts_;
  unsigned threads_;
  const Unwinder* unwinder_ = nullptr;
  std::optional<v8::Layout> layout_;
  std::optional<v8::Heap> heap_;
  std::optional<Census> census_;
  std::optional<v8::MapCache> maps_;
  std::shared_ptr<GraphState> graph_;
  std::shared_ptr<v8::DominatorTree> dominators_;
};

}  // namespace mortem

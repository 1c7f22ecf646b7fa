// Purpose: one analysis target: its memory, symbols, V8 layout and its isolates (the main thread
// and each worker thread, each with its own heap), built lazily and kept, so that every command
// run against the same target (CLI run or LLDB session) shares them. One isolate is selected at a
// time; heap(), census(), graph() and dominators() are the selected isolate's, each built once
// per isolate. The session owns no frontend types; the frontend hands it a Memory and a
// SymbolTable.
#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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
class Liveness;
namespace v8 {
struct DominatorTree;
}

// Facts about the process that only the frontend knows (from core notes or the debugger).
struct ThreadInfo {
  int tid = 0;
  uint64_t pc = 0, sp = 0, fp = 0;
  // The OS's name of the thread (its comm: "node-MainThread", a Worker's name option, ...);
  // empty where the target keeps none (ELF cores hold no per-thread names).
  std::string name;
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

// One isolate of the process: index 0 is the main thread's, workers follow by OS thread id.
struct IsolateInfo {
  size_t index = 0;
  Address isolate = 0, heap = 0;
  int tid = 0;               // the OS thread that runs it (0: not found)
  bool main_thread = false;  // its thread is the process's first (tid == pid)
  uint64_t stack_limit = 0;  // the JS stack limit V8 keeps for that thread
  std::string thread_name;   // that thread's OS name (ThreadInfo::name; empty: unknown)
};

// An isolate whose heap was found but could not be read (reported, the others still analysed).
struct BrokenIsolate {
  Address heap = 0;
  size_t pages = 0;
  std::string reason;
};

class Session {
 public:
  Session(const Memory& memory, const SymbolTable& symbols, ProcessFacts facts);

  const Memory& memory() const { return memory_; }
  const SymbolTable& symbols() const { return symbols_; }
  const ProcessFacts& facts() const { return facts_; }
  const v8::Layout& layout();  // throws Error
  // Every readable isolate, in index order (finds them all in one pass on first use).
  const std::vector<IsolateInfo>& isolates();  // throws Error
  const std::vector<BrokenIsolate>& broken_isolates();
  // Selects the isolate that heap(), census(), graph(), dominators() and maps() describe.
  void SelectIsolate(size_t index);  // throws Error if out of range
  size_t selected_isolate() const { return selected_; }
  const IsolateInfo& isolate();  // the selected one
  // The isolate whose heap holds address (its pages; shared read-only pages: the selected one).
  std::optional<size_t> IsolateOf(Address address);
  const v8::Heap& heap();  // throws Error
  const Census& census();  // one walk of the whole heap, kept
  bool has_census() const;
  // Which objects are alive (from graph() if it was built, else marked from the core), and the
  // census of those alone; each built once and kept.
  const Liveness& liveness();
  // Node's Environments of the selected isolate (those its native contexts hold), found once.
  const std::set<Address>& environments();
  const Census& live_census();
  v8::MapCache& maps();                   // for single-threaded lookups by commands
  const GraphState& graph();              // the heap graph with roots, built on first use and kept
  const v8::DominatorTree& dominators();  // over graph(), built on first use and kept
  // Warnings every result carries: from loading the target and from locating the heap.
  std::vector<std::string> Warnings();
  // Why what was built so far of the selected isolate's heap is incomplete: pages that could not
  // be parsed in any walk taken (census, marking, graph, Node's Environments) and spaces whose
  // page lists were damaged. Empty for a whole heap. Every command run on a heap with any is
  // partial (exit 5). (References at no object start are the heap graph's commands' own rule:
  // a busy heap can hold one, and the other commands lose nothing by it.)
  std::vector<std::string> HeapDamage();
  // The same for every isolate found so far, each line naming its isolate where there are
  // several: for the commands that describe the whole process (stack, buffers, memory, info).
  std::vector<std::string> HeapDamageOfAll();
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
  // What is built per isolate, once.
  struct PerIsolate {
    std::optional<v8::Heap> heap;
    std::optional<Census> census;
    std::shared_ptr<Liveness> liveness;
    std::optional<Census> live_census;
    std::optional<std::set<Address>> environments;
    uint64_t environments_skipped_bytes = 0;
    std::optional<v8::MapCache> maps;
    std::shared_ptr<GraphState> graph;
    std::shared_ptr<v8::DominatorTree> dominators;
  };
  void DiscoverIsolates();
  PerIsolate& current();
  static std::vector<std::string> DamageOf(const PerIsolate& here);

  std::optional<v8::Layout> layout_;
  bool discovered_ = false;
  std::vector<IsolateInfo> isolates_;
  std::vector<BrokenIsolate> broken_;
  std::vector<PerIsolate> per_isolate_;
  size_t selected_ = 0;
};

}  // namespace mortem

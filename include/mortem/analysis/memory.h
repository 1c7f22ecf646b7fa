// Purpose: the `memory` command: the whole address space of the process, every mapping
// classified (V8 heap, malloc arenas and mmapped chunks, thread stacks and their guards, the
// binary and libraries, other file and anonymous memory) and adding up to the whole; V8's heap
// per space; where the ArrayBuffers' backing stores live; glibc malloc's arenas accounted chunk
// by chunk (mortem/native); and the sentences a user needs about where RSS went.
#pragma once
#include <string>
#include <vector>

#include "mortem/analysis/info.h"
#include "mortem/analysis/session.h"
#include "mortem/native/glibc_malloc.h"

namespace mortem {

// The categories, in the order the text and totals show them.
enum class MemoryCategory {
  kV8Heap,         // mappings holding V8 heap pages
  kMallocArena,    // glibc's brk heap and thread arenas' heaps (the part in use)
  kMallocReserve,  // the no-access rest of a thread arena's 64 MiB reservation
  kMallocMmapped,  // mmapped malloc chunks (large allocations, big backing stores)
  kThreadStack,    // a mapping holding a thread's stack pointer
  kStackGuard,     // the no-access page(s) just below a thread stack
  kBinary,         // the node executable's file mappings
  kLibrary,        // shared libraries' file mappings
  kFile,           // other file mappings
  kReserved,       // other no-access anonymous memory (V8's reservations, guard regions)
  kAnonymous,      // other anonymous memory
};
const char* CategoryName(MemoryCategory c);  // "v8 heap", "malloc arena", ...
constexpr int kMemoryCategories = 11;

struct MappingInfo {
  Mapping mapping;
  MemoryCategory category = MemoryCategory::kAnonymous;
  std::string detail;  // e.g. "thread 1 (tid 123)", "arena 0x7f..", "old space"
};

struct CategoryTotal {
  MemoryCategory category;
  uint64_t mappings = 0, bytes = 0, core_bytes = 0;
};

struct SpaceTotal {
  std::string space;
  uint64_t pages = 0, committed = 0, used = 0;
};

struct BackingStoreTotals {
  uint64_t count = 0, bytes = 0;
  uint64_t allocator_bytes = 0;  // what process.memoryUsage().arrayBuffers counts
  uint64_t in_arena_count = 0, in_arena_bytes = 0;      // inside a malloc arena's chunk
  uint64_t in_mmapped_count = 0, in_mmapped_bytes = 0;  // an mmapped malloc chunk
  uint64_t elsewhere_count = 0, elsewhere_bytes = 0;    // other mappings (wasm memory, ...)
};

struct MemoryTotals {
  uint64_t mapped_bytes = 0, core_bytes = 0, mappings = 0;
  std::vector<CategoryTotal> by_category;  // every category, in enum order
};

struct MemoryResult {
  MemoryTotals totals;
  std::vector<MappingInfo> mappings;
  std::vector<SpaceTotal> v8_spaces;
  uint64_t v8_committed = 0, v8_used = 0;
  bool v8_heap_found = false;
  BackingStoreTotals backing_stores;
  native::MallocReport malloc;
  std::vector<std::string> sentences;
  std::vector<std::string> warnings;
  bool partial = false;
};

MemoryResult RunMemory(Session& session);

// The process's mappings: the frontend's list, else the readable regions of its Memory.
std::vector<Mapping> SessionMappings(Session& session);
// Bytes malloc holds from the system (every arena's system_mem and the mmapped chunks) and,
// of them, what glibc counts as free in its arenas.
uint64_t MallocNativeBytes(const native::MallocReport& malloc);
uint64_t MallocFreeBytes(const native::MallocReport& malloc);
// "glibc malloc holds 73 MB free in its main arena (63% of it): fragmentation. Try ...", for
// each arena with at least 8 MiB and a quarter of it free.
std::vector<std::string> FragmentationSentences(const native::MallocReport& malloc);
// "Native memory dominates: ..." when malloc holds over twice the JS heap's committed bytes
// (and over 32 MiB); empty otherwise.
std::string NativeDominatesSentence(uint64_t native_bytes, uint64_t v8_committed);

}  // namespace mortem

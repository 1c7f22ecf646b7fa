// Purpose: the `info` command: what process the target was (versions, pid, command line,
// signal, threads), its isolates (the main thread's and each worker's, with the thread that runs
// it) and each isolate's V8 heap per space (committed and used bytes, pages, objects), with what
// the heap walk could not parse.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/session.h"
#include "mortem/v8/heap.h"

namespace mortem {

struct SpaceInfo {
  std::string name;
  uint64_t committed = 0;  // page bytes
  uint64_t used = 0;       // object bytes, fillers excluded
  uint64_t pages = 0;
  uint64_t objects = 0;
};

struct PageProblem {
  Address page = 0;
  std::string space;
  std::string reason;
  uint64_t skipped_bytes = 0;
};

struct WalkSummary {
  uint64_t objects = 0, object_bytes = 0, filler_bytes = 0, unused_bytes = 0, skipped_bytes = 0,
           unreadable_bytes = 0, resyncs = 0;
  uint64_t moved_objects = 0, moved_bytes = 0;  // stale copies left by a compaction
  uint64_t dead_objects = 0, dead_bytes = 0;    // dead code streams on unswept pages
  uint64_t lab_bytes = 0;  // of unused_bytes: allocation-area tails found by their shape
  std::vector<PageProblem> problems;
};

// One isolate's heap. The read-only space, which all isolates share, is counted in isolate 0's.
struct IsolateHeapInfo {
  IsolateInfo isolate;
  // Node's threadId (0: the main thread), from the isolate's Environment; unset if unknown.
  std::optional<uint64_t> node_thread_id;
  // Node's thread name (worker_threads.threadName in that isolate: "" on the main thread, the
  // Worker's `name` option or Node's default on a worker), on releases whose Environment keeps
  // one; unset if unknown.
  std::optional<std::string> node_thread_name;
  // The first script the isolate compiled that is not Node's own: a worker's file, or
  // "[worker eval]" for code given to new Worker(..., {eval: true}); the main thread's entry
  // module. Empty if the heap holds none.
  std::string origin;
  std::vector<SpaceInfo> spaces;
  v8::PageOrigin page_lists;  // where its pages came from: V8's page lists, or the scan
  WalkSummary walk;
};

struct InfoResult {
  std::string node_version, v8_version;
  ProcessFacts process;
  Address isolate = 0, heap = 0;  // the main thread's (isolate 0)
  std::vector<SpaceInfo> spaces;  // isolate 0's
  WalkSummary walk;               // isolate 0's
  std::vector<IsolateHeapInfo> isolates;
  std::vector<BrokenIsolate> broken_isolates;
  std::vector<std::string> warnings;
};

// Summarises a walk: totals and the pages that could not be fully parsed.
WalkSummary SummariseWalk(Session& session, const v8::WalkResult& walk);
// Every isolate's heap, or (all_isolates false) only the selected one's.
InfoResult RunInfo(Session& session, bool all_isolates = true);
// Node's threadId of each isolate, by index (0: the main thread's); unset where unknown (as in
// `info`). Walks each isolate's old space.
std::vector<std::optional<uint64_t>> NodeThreadIds(Session& session);

}  // namespace mortem

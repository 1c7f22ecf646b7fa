// Purpose: the `diff` command, DevTools' Comparison view for two cores of one binary: per row of
// the type histogram (`objects` naming), counts, self sizes and optionally retained sizes in the
// old and the new core with their deltas, sorted by growth, and for the top growing rows a
// retainer path of one instance that is new in the new core.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/info.h"
#include "mortem/analysis/retainers.h"
#include "mortem/analysis/session.h"

namespace mortem {

// One measure in both cores.
struct Change {
  uint64_t old_value = 0, new_value = 0;
  int64_t delta() const {
    return static_cast<int64_t>(new_value) - static_cast<int64_t>(old_value);
  }
};

// One instance of a growing row in the new core, and who keeps it alive there.
struct DiffSample {
  Address address = 0;
  bool is_new = false;  // no instance of the row was at this address in the old core
  std::optional<RetainerPath> path;
  size_t tried = 0;     // instances whose paths were searched
  size_t agreeing = 0;  // of those, how many have a path of this one's shape
};

struct DiffRow {
  std::string name;
  std::string kind;  // DevTools node type word, as in `objects`
  Change count, self_size, retained_size;
  std::optional<DiffSample> sample;  // for the top `paths` growing rows
};

struct DiffCore {
  int pid = 0;
  size_t isolate = 0;                 // the isolate compared (its index in that core)
  std::optional<uint64_t> thread_id;  // its Node threadId (unset: unknown)
  std::string build_id;  // of the executable, as the core holds it (else of the binary read)
  WalkSummary walk;
  // Garbage awaiting collection, left out of the rows (0 with --all, which counts it).
  uint64_t unreachable_objects = 0, unreachable_bytes = 0;
};

struct DiffOptions {
  enum class Sort { kSize, kCount, kRetained } sort = Sort::kSize;
  size_t top = 0;            // 0: all rows
  bool grown_only = false;   // leave out rows whose sorted-by delta is not positive
  bool retained = false;     // retained sizes in both cores (graph and dominators of each)
  size_t paths = 3;          // growing rows (from the top) that get a sample retainer path
  uint32_t path_depth = 64;  // at most this many steps per path
  bool force = false;        // go on although the cores ran different binaries
  bool all = false;          // every object on both heaps, garbage too (default: live objects)
  // Node's threadId of the two isolates compared (each session's selected one), as paired.
  std::optional<uint64_t> thread_id;
};

struct DiffResult {
  DiffCore old_core, new_core;
  std::vector<DiffRow> rows;  // by growth of the sort measure, largest first; shrunk rows last
  DiffRow total;
  size_t rows_omitted = 0;  // by --top and --grown-only
  bool has_retained = false;
  std::string sort;  // "size", "count" or "retained"
  std::vector<std::string> warnings;
};

// Compares the selected isolate of each session. Throws Error(kWrongBinary) if the two cores ran
// binaries of different build-ids, unless forced.
DiffResult RunDiff(Session& old_session, Session& new_session, const DiffOptions& options);

}  // namespace mortem

// Purpose: `mortem triage`: one report of what went wrong, the way Eclipse MAT's "leak suspects"
// report does it for Java dumps: the process and why it died (signal, exception, the crashing
// thread's stack), the heap per space, the top types by count, self and retained size with the
// retainer path of an example, the biggest dominators, buffers and slab retention, duplicated
// strings, closures by name, active handles and requests, and "suspects" in plain sentences,
// each with its evidence. Metrics by name feed `--fail-if` conditions.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/buffers.h"
#include "mortem/analysis/dominators.h"
#include "mortem/analysis/handles.h"
#include "mortem/analysis/info.h"
#include "mortem/analysis/objects.h"
#include "mortem/analysis/stack.h"
#include "mortem/native/glibc_malloc.h"

namespace mortem {

struct TypeWithPath {
  TypeRow row;
  Address example = 0;
  RetainerPath path;  // of the example instance
};

struct DuplicateString {
  std::string preview;
  uint64_t count = 0, bytes_each = 0, wasted_bytes = 0;  // wasted: all copies but one
};

struct Suspect {
  std::string kind;  // "leak", "buffers", "strings", "closures", "handles", "crash", "native"
  std::string sentence;
  std::vector<std::string> evidence;
};

struct TriageOptions {
  size_t top = 10;
  bool retained = true;  // retained sizes and dominators (builds the heap graph)
};

struct TriageResult {
  InfoResult info;
  std::optional<ThreadStack> crashing_thread;
  std::optional<v8::ErrorInfo> exception;
  std::string fatal_function;
  std::vector<std::string> fatal_messages;
  std::vector<TypeRow> top_by_count, top_by_size;  // live objects (what the roots reach)
  // Garbage the GC has not collected yet: left out of every row and suspect.
  uint64_t unreachable_objects = 0, unreachable_bytes = 0;
  std::vector<TypeWithPath> top_by_retained;
  std::vector<DominatorRow> dominators;
  BuffersTotals buffers;
  std::vector<RetentionCause> retention;
  std::vector<DuplicateString> duplicate_strings;
  uint64_t duplicate_string_bytes = 0;
  std::vector<TypeRow> closures;  // closure rows by count (repeated new Function / eval show here)
  std::map<std::string, size_t> handles, requests;
  std::vector<Suspect> suspects;
  // glibc malloc (mortem memory): what it holds from the system (arenas and mmapped chunks),
  // and what its arenas hold free.
  uint64_t native_bytes = 0, malloc_free_bytes = 0;
  // Every isolate's heap pages (the shared read-only space once), which malloc's bytes are
  // weighed against; 0: this isolate's spaces stand in.
  uint64_t all_heaps_committed = 0;
  // Named numbers for --fail-if: heap_used, objects, retained(NAME), self(NAME), count(NAME),
  // slab_waste, buffers, duplicate_strings, handles(TYPE), requests(TYPE), js_frames, exception,
  // malloc_free, native.
  std::map<std::string, double> metrics;
  bool partial = false;
  bool retained_listed = true;  // retained sizes were computed (not --no-retained)
  std::vector<std::string> warnings;
};

TriageResult RunTriage(Session& session, const TriageOptions& options);
// What RunTriage concludes from what it gathered (every field but suspects, metrics,
// native_bytes and malloc_free_bytes filled in): the suspects and the --fail-if metrics, from
// the histogram's rows and malloc's account (its warnings join r.warnings). No target needed.
void JudgeTriage(TriageResult& r, const std::vector<TypeRow>& rows,
                 const native::MallocReport& malloc);

// `--fail-if` conditions: "METRIC OP VALUE[UNIT]" with OP one of > >= < <= == != and units
// KB MB GB (10^3) or KiB MiB GiB (2^10); METRIC as in TriageResult::metrics, where a NAME-keyed
// metric absent from the report is 0. Returns the conditions that hold, as text; throws
// Error (usage) for one that does not parse.
std::vector<std::string> FailingConditions(const TriageResult& result,
                                           const std::vector<std::string>& conditions);

}  // namespace mortem

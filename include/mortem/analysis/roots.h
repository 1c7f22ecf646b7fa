// Purpose: GC roots located structurally in the core, each labelled in the spirit of DevTools'
// "(GC roots)": the isolate's roots table, its builtins table, the startup and shared heap object
// caches, the external string table (weak), Node's active handle and request wraps (labelled with
// their type; their BaseObject persistents are strong global handles), the other global handles
// (strong and weak kept apart), the eternal handles (Node's per-isolate templates, symbols and
// strings), and every thread's stack scanned conservatively (handle scopes among it).
// The set is incomplete (traced handles, the compilation cache stay unknown), so
// objects it does not reach are "unreached", not "dead".
#pragma once
#include <string>
#include <vector>

#include "mortem/analysis/session.h"
#include "mortem/v8/graph.h"

namespace mortem {

enum class RootKind {
  kRootsTable,
  kGlobalHandle,
  kWeakGlobalHandle,
  kEternalHandle,
  kStack,
  kNodeWrap,
  kBuiltins,
  kStartupObjectCache,
  kSharedHeapObjectCache,
  kExternalString,
  kInternalizedString  // the string table's strings that something else keeps alive
};
const char* RootKindLabel(RootKind kind);  // "(GC roots)", "(Global handles)", ...
// Weak roots keep nothing alive; V8's snapshot still counts what they reach.
inline bool IsWeakRoot(RootKind kind) {
  return kind == RootKind::kWeakGlobalHandle || kind == RootKind::kExternalString;
}

struct Root {
  v8::NodeId node = 0;
  RootKind kind = RootKind::kRootsTable;
  uint32_t detail = 0;  // roots table index, the thread's tid, or an index into RootSet::labels
};

struct RootSet {
  std::vector<Root> roots;
  size_t roots_table = 0, global_handles = 0, weak_global_handles = 0, eternal_handles = 0,
         stack = 0, node_wraps = 0, builtins = 0, startup_object_cache = 0,
         shared_heap_object_cache = 0, external_strings = 0, internalized_strings = 0;
  std::vector<std::string> labels;  // kNodeWrap: "(Node handle: TCP)", "(Node request: ...)"
  std::vector<std::string> notes;   // what could not be located
  // The caches V8's next full GC empties (Layout::gc_emptied_roots): alive, but what only they
  // reference is garbage awaiting collection (v8::ObjectIndex::SetHollow).
  std::vector<v8::NodeId> hollow;
};

RootSet FindRoots(Session& session, const v8::ObjectIndex& index);

// The roots' node ids, sorted and unique; the weak roots too with with_weak.
std::vector<v8::NodeId> RootNodes(const RootSet& roots, bool with_weak);

}  // namespace mortem

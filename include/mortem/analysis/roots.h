// Purpose: GC roots located structurally in the core, each labelled in the spirit of DevTools'
// "(GC roots)": the isolate's roots table, global handles (strong and weak kept apart; Node's
// BaseObject persistents are among them), and every thread's stack scanned conservatively.
// The set is incomplete (handle scopes, traced handles, the compilation cache stay unknown), so
// objects it does not reach are "unreached", not "dead".
#pragma once
#include <string>
#include <vector>

#include "mortem/analysis/session.h"
#include "mortem/v8/graph.h"

namespace mortem {

enum class RootKind { kRootsTable, kGlobalHandle, kWeakGlobalHandle, kStack };
const char* RootKindLabel(RootKind kind);  // "(GC roots)", "(Global handles)", ...

struct Root {
  v8::NodeId node = 0;
  RootKind kind = RootKind::kRootsTable;
  uint32_t detail = 0;  // roots table index, or the thread's tid
};

struct RootSet {
  std::vector<Root> roots;
  size_t roots_table = 0, global_handles = 0, weak_global_handles = 0, stack = 0;
  std::vector<std::string> notes;  // what could not be located
};

RootSet FindRoots(Session& session, const v8::ObjectIndex& index);

}  // namespace mortem

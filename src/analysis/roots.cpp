#include "mortem/analysis/roots.h"

#include <algorithm>

#include "mortem/analysis/handles.h"
#include "mortem/core/error.h"
#include "mortem/v8/isolate_tables.h"
#include "mortem/v8/tagged.h"

namespace mortem {
namespace {

constexpr uint64_t kMaxStackBytes = 64 << 20;

void AddIfObject(const v8::ObjectIndex& index, uint64_t value, RootKind kind, uint32_t detail,
                 RootSet& set) {
  const v8::Tagged tagged(value);
  if (!tagged.IsReference()) return;
  if (auto id = index.Find(tagged.address())) set.roots.push_back(Root{*id, kind, detail});
}

// Adds the objects among values as roots of one kind; returns how many were added.
size_t AddAll(const v8::ObjectIndex& index, const std::vector<uint64_t>& values, RootKind kind,
              RootSet& set) {
  const size_t before = set.roots.size();
  for (uint64_t v : values) AddIfObject(index, v, kind, 0, set);
  return set.roots.size() - before;
}

// Every slot is a root; the caches the next full GC empties are hollow: alive, holding nothing.
void RootsTable(const v8::IsolateTables& tables, const v8::Layout& layout,
                const v8::ObjectIndex& index, RootSet& set) {
  const auto slots = tables.RootsTable();
  const size_t before = set.roots.size();
  for (size_t i = 0; i < slots.size(); ++i)
    AddIfObject(index, slots[i], RootKind::kRootsTable, static_cast<uint32_t>(i), set);
  set.roots_table = set.roots.size() - before;
  for (uint32_t i : layout.gc_emptied_roots) {
    if (i >= slots.size() || !v8::Tagged(slots[i]).IsStrong()) continue;
    if (auto id = index.Find(slots[i] - 1)) set.hollow.push_back(*id);
  }
}

void Builtins(const v8::IsolateTables& tables, const v8::ObjectIndex& index, RootSet& set) {
  const auto builtins = tables.Builtins();
  if (!builtins) {
    set.notes.push_back("the builtins table was not found: roots from it are missing");
    return;
  }
  AddAll(index, *builtins, RootKind::kBuiltins, set);
  set.builtins = builtins->size();
}

void IsolateVectors(const v8::IsolateTables& tables, const v8::ObjectIndex& index, RootSet& set) {
  const v8::ObjectVectors vectors = tables.Vectors();
  if (!vectors.caches_found)
    set.notes.push_back("the startup object cache was not found: roots from it are missing");
  set.startup_object_cache +=
      AddAll(index, vectors.startup_cache, RootKind::kStartupObjectCache, set);
  set.shared_heap_object_cache +=
      AddAll(index, vectors.shared_cache, RootKind::kSharedHeapObjectCache, set);
  // The GC clears the external string table's dead entries: weak roots.
  for (const auto& list : vectors.external_strings)
    set.external_strings += AddAll(index, list, RootKind::kExternalString, set);
}

void GlobalHandles(const v8::IsolateTables& tables, const v8::ObjectIndex& index, RootSet& set) {
  const auto handles = tables.GlobalHandles();
  if (!handles) {
    set.notes.push_back("global handles not found: roots from them are missing");
    return;
  }
  set.notes.insert(set.notes.end(), handles->notes.begin(), handles->notes.end());
  AddAll(index, handles->strong, RootKind::kGlobalHandle, set);
  AddAll(index, handles->weak, RootKind::kWeakGlobalHandle, set);
  set.global_handles += handles->strong.size();
  set.weak_global_handles += handles->weak.size();
}

void EternalHandles(const v8::IsolateTables& tables, const v8::ObjectIndex& index, RootSet& set) {
  const auto handles = tables.EternalHandles();
  if (!handles) {
    set.notes.push_back("eternal handles not found: roots from them are missing");
    return;
  }
  set.eternal_handles = AddAll(index, *handles, RootKind::kEternalHandle, set);
}

// The JS objects of Node's active handle and request wraps (the Environment queues).
void NodeWraps(Session& session, const v8::ObjectIndex& index, RootSet& set) {
  HandlesResult wraps;
  try {
    HandlesOptions options;
    options.timers = false;  // only the wraps are roots; the timers are on the JS heap
    wraps = RunHandles(session, options);
  } catch (const Error& e) {
    set.notes.push_back(std::string("Node's handle and request queues: ") + e.what());
    return;
  }
  auto add = [&](const ActiveWrap& w, const char* queue) {
    if (!w.object) return;
    set.labels.push_back(std::string("(Node ") + queue + ": " + w.type + ")");
    size_t before = set.roots.size();
    AddIfObject(index, w.object + 1, RootKind::kNodeWrap,
                static_cast<uint32_t>(set.labels.size() - 1), set);
    set.node_wraps += set.roots.size() - before;
  };
  for (const auto& w : wraps.handles) add(w, "handle");
  for (const auto& w : wraps.requests) add(w, "request");
}

void Stacks(Session& session, const v8::ObjectIndex& index, RootSet& set) {
  const Memory& memory = session.memory();
  auto regions = memory.Regions();
  size_t before = set.roots.size();
  for (const auto& thread : session.facts().threads) {
    auto region = std::find_if(regions.begin(), regions.end(),
                               [&](const Region& r) { return r.Contains(thread.sp); });
    if (region == regions.end()) continue;
    uint64_t length = std::min<uint64_t>(region->end - (thread.sp & ~uint64_t{7}), kMaxStackBytes);
    std::vector<uint64_t> words(length / 8);
    size_t got = memory.Read(thread.sp & ~uint64_t{7}, words.data(), words.size() * 8) / 8;
    for (size_t i = 0; i < got; ++i)
      AddIfObject(index, words[i], RootKind::kStack, static_cast<uint32_t>(thread.tid), set);
  }
  set.stack = set.roots.size() - before;
}

}  // namespace

const char* RootKindLabel(RootKind kind) {
  switch (kind) {
    case RootKind::kRootsTable:
      return "(GC roots)";
    case RootKind::kGlobalHandle:
      return "(Global handles)";
    case RootKind::kEternalHandle:
      return "(Eternal handles)";
    case RootKind::kWeakGlobalHandle:
      return "(Weak global handles)";
    case RootKind::kStack:
      return "(Stack roots)";
    case RootKind::kNodeWrap:
      return "(Node handles)";
    case RootKind::kBuiltins:
      return "(Builtins)";
    case RootKind::kStartupObjectCache:
      return "(Startup object cache)";
    case RootKind::kSharedHeapObjectCache:
      return "(Shareable object cache)";  // V8's name for it in snapshots
    case RootKind::kExternalString:
      return "(External strings)";
    case RootKind::kInternalizedString:
      return "(Internalized strings)";
  }
  return "(roots)";
}

RootSet FindRoots(Session& session, const v8::ObjectIndex& index) {
  RootSet set;
  const v8::IsolateTables tables(session.memory(), session.layout(), session.heap(), session.maps(),
                                 index);
  RootsTable(tables, session.layout(), index, set);
  Builtins(tables, index, set);
  IsolateVectors(tables, index, set);
  NodeWraps(session, index, set);  // before the global handles: their label wins
  GlobalHandles(tables, index, set);
  EternalHandles(tables, index, set);
  Stacks(session, index, set);
  return set;
}

std::vector<v8::NodeId> RootNodes(const RootSet& roots, bool with_weak) {
  std::vector<v8::NodeId> nodes;
  for (const auto& r : roots.roots)
    if (with_weak || !IsWeakRoot(r.kind)) nodes.push_back(r.node);
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

}  // namespace mortem

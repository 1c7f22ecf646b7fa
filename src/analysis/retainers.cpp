#include "mortem/analysis/retainers.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "mortem/analysis/graph_state.h"
#include "mortem/analysis/inspect.h"
#include "mortem/core/error.h"
#include "mortem/core/text.h"
#include "mortem/v8/edge_names.h"
#include "mortem/v8/object_fields.h"
#include "mortem/v8/properties.h"
#include "mortem/v8/tagged.h"

namespace mortem {
namespace {

constexpr size_t kMaxVisited = 4'000'000;  // nodes a backward search may visit

std::string TypeOf(v8::Namer& namer, Address object) {
  const v8::MapInfo* map = namer.MapOf(object + 1);
  return map ? namer.Label(object, *map, false).name : "?";
}

// Holders of any of the targets, from one scan of every object's tagged slots.
// Sets `partial` when pages could not be parsed (holders there are missing).
std::vector<std::pair<Address, Address>> ScanHolders(Session& session,
                                                     const std::vector<Address>& targets,
                                                     bool& partial) {
  std::unordered_map<Address, bool> wanted;
  for (Address t : targets) wanted[t] = true;
  std::mutex lock;
  std::vector<std::pair<Address, Address>> found;  // (holder, target)
  const auto& layout = session.layout();
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  const auto walk = walker.WalkAll(session.threads(), [&](unsigned, const v8::HeapObject& o) {
    v8::ForEachTaggedSlot(layout, o, [&](uint32_t, uint64_t value) {
      Address t = v8::Tagged(value).address();
      if (!wanted.count(t)) return;
      std::lock_guard<std::mutex> guard(lock);
      if (found.empty() || found.back() != std::make_pair(o.address, t))
        found.emplace_back(o.address, t);
    });
  });
  partial |= walk.total.skipped_bytes > 0;
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

void NameHolders(Session& session, const std::vector<std::pair<Address, Address>>& holders,
                 RefsResult& r) {
  v8::Namer namer(session.memory(), session.layout(), session.heap());
  v8::EdgeNamer edges(session.memory(), session.layout(), namer);
  for (auto [holder, target] : holders)
    for (const auto& e : edges.Names(holder, target))
      r.references.push_back(Reference{holder, TypeOf(namer, holder), e.name, e.weak});
}

Address ObjectStart(Session& session, Address address) {
  Address object = v8::Tagged(address).IsStrong() ? address - 1 : address;
  auto containing = FindContainingObject(session, object);
  if (!containing) throw Error(Hex(address) + " is not in the V8 heap");
  if (containing->object != object)
    throw Error(Hex(address) + " is not an object start; it lies " +
                std::to_string(object - containing->object) + " bytes into " + containing->type +
                " at " + Hex(containing->object));
  return object;
}

// A global property lives in a PropertyCell of the global object's dictionary: show "name of
// global" instead of the cell.
void FoldPropertyCells(Session& session, v8::Namer& namer, RetainerPath& path) {
  auto& s = path.steps;
  const auto& types = session.layout().type_names;
  for (size_t i = 1; i < s.size();) {
    const v8::MapInfo* map = namer.MapOf(s[i].object + 1);
    auto it = map ? types.find(map->instance_type) : types.end();
    if (it == types.end() || it->second != "PROPERTY_CELL_TYPE") {
      ++i;
      continue;
    }
    s[i - 1].edge = namer.PropertyCellName(s[i].object, 128).value_or("(global property)");
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

// A JS object's elements or out-of-object property store is shown as part of its owner:
// "[2999] of Array" rather than "[2999] of (array) <- (elements) of Array".
void FoldBackingStores(Session& session, v8::Namer& namer, RetainerPath& path) {
  auto& s = path.steps;
  for (size_t i = 1; i + 1 < s.size();) {
    bool elements = s[i].edge == "(elements)", properties = s[i].edge == "(properties)";
    if (!elements && !properties) {
      ++i;
      continue;
    }
    if (properties) {
      const v8::MapInfo* owner_map = namer.MapOf(s[i + 1].object + 1);
      v8::PropertyReader reader(session.memory(), session.layout());
      if (owner_map)
        for (const auto& p : reader.OwnProperties(s[i + 1].object, *owner_map))
          if (!p.in_object && v8::Tagged(p.value).address() == s[i - 1].object) {
            auto key = namer.strings().ReadTagged(p.key, 128);
            s[i - 1].edge = key ? key->utf8 : "(symbol)";
          }
    }
    if (elements) s[i - 1].edge = "[" + s[i - 1].edge + "]";  // the owner's element
    s[i].edge.clear();
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

}  // namespace

RefsResult RunRefs(Session& session, Address target) {
  RefsResult r;
  Address object = ObjectStart(session, target);
  r.query = Hex(object);
  r.targets = {object};
  NameHolders(session, ScanHolders(session, r.targets, r.partial), r);
  return r;
}

RefsResult RunRefsToString(Session& session, const std::string& text, size_t limit) {
  RefsResult r;
  r.query = text;
  const auto& layout = session.layout();
  std::mutex lock;
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  v8::StringReader strings(session.memory(), layout);
  walker.WalkAll(session.threads(), [&](unsigned, const v8::HeapObject& o) {
    if (!layout.IsString(o.map->instance_type)) return;
    const int32_t length = v8::StringLengthOf(layout, o);
    if (length < 0 || static_cast<size_t>(length) > text.size() * 2 + 2) return;
    auto value = strings.Read(o.address, text.size() + 1);
    if (!value || value->truncated || value->utf8 != text) return;
    std::lock_guard<std::mutex> guard(lock);
    r.targets.push_back(o.address);
  });
  std::sort(r.targets.begin(), r.targets.end());
  auto holders = ScanHolders(session, r.targets, r.partial);
  if (limit && holders.size() > limit) holders.resize(limit);
  NameHolders(session, holders, r);
  return r;
}

RefsResult RunRefsByName(Session& session, const std::string& property, size_t limit) {
  RefsResult r;
  r.query = property;
  const auto& layout = session.layout();
  std::mutex lock;
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  const auto walk = walker.WalkAll(session.threads(), [&](unsigned, const v8::HeapObject& o) {
    if (!layout.IsJSReceiver(o.map->instance_type) || o.map->instance_type == layout.types.js_proxy)
      return;
    thread_local std::unique_ptr<v8::PropertyReader> reader;
    thread_local std::unique_ptr<v8::StringReader> strings;
    if (!reader) {
      reader = std::make_unique<v8::PropertyReader>(session.memory(), layout);
      strings = std::make_unique<v8::StringReader>(session.memory(), layout);
    }
    for (const auto& p : reader->OwnProperties(o.address, *o.map, 1024)) {
      auto key = strings->ReadTagged(p.key, property.size() + 1);
      if (!key || key->utf8 != property) continue;
      std::lock_guard<std::mutex> guard(lock);
      if (!limit || r.references.size() < limit)
        r.references.push_back(Reference{o.address, "", property, false});
      break;
    }
  });
  r.partial = walk.total.skipped_bytes > 0;
  std::sort(r.references.begin(), r.references.end(),
            [](auto& a, auto& b) { return a.holder < b.holder; });
  v8::Namer namer(session.memory(), layout, session.heap());
  for (auto& ref : r.references) ref.holder_type = TypeOf(namer, ref.holder);
  return r;
}

RetainersResult RunRetainers(Session& session, Address target, size_t paths, uint32_t depth,
                             bool weak) {
  RetainersResult r;
  r.target = ObjectStart(session, target);
  const GraphState& g = session.graph();
  r.graph_nodes = g.index.size();
  r.graph_edges = g.graph.edges();
  r.reached = g.reached;
  r.reached_with_weak = g.reached_with_weak;
  r.dangling_references = g.dangling;
  r.partial = g.Partial();
  if (g.dangling > 0) r.warnings = session.Warnings();
  r.roots_table = g.roots.roots_table;
  r.global_handles = g.roots.global_handles;
  r.weak_global_handles = g.roots.weak_global_handles;
  r.eternal_handles = g.roots.eternal_handles;
  r.node_wraps = g.roots.node_wraps;
  r.stack_roots = g.roots.stack;
  r.builtins = g.roots.builtins;
  r.startup_object_cache = g.roots.startup_object_cache;
  r.shared_heap_object_cache = g.roots.shared_heap_object_cache;
  r.external_strings = g.roots.external_strings;
  r.internalized_strings = g.roots.internalized_strings;
  for (const auto& note : g.roots.notes) r.warnings.push_back(note);
  auto id = g.index.Find(r.target);
  if (!id) throw Error(Hex(target) + " is not an object the graph knows");
  v8::Namer namer(session.memory(), session.layout(), session.heap());
  r.target_type = TypeOf(namer, r.target);
  r.reachable = g.Reachable(*id);
  // Root labels per node.
  std::unordered_map<v8::NodeId, const Root*> roots;
  // The string table ends no path: its strings are roots only because something else holds
  // them, and that is what a path should show.
  for (const auto& root : g.roots.roots)
    if ((weak || !IsWeakRoot(root.kind)) && root.kind != RootKind::kInternalizedString)
      roots.emplace(root.node, &root);
  // Backward breadth-first search from the target; every root met closes one path.
  std::unordered_map<v8::NodeId, v8::NodeId> toward_target;  // predecessor -> next step
  std::deque<std::pair<v8::NodeId, uint32_t>> queue{{*id, 0}};
  toward_target[*id] = *id;
  v8::EdgeNamer edges(session.memory(), session.layout(), namer);
  while (!queue.empty() && r.paths.size() < paths && toward_target.size() < kMaxVisited) {
    auto [node, d] = queue.front();
    queue.pop_front();
    if (auto root = roots.find(node); root != roots.end()) {
      RetainerPath path;
      std::string label = RootKindLabel(root->second->kind);
      if (root->second->kind == RootKind::kStack)
        label += " thread " + std::to_string(root->second->detail);
      if (root->second->kind == RootKind::kNodeWrap && root->second->detail < g.roots.labels.size())
        label = g.roots.labels[root->second->detail];
      path.root = label;
      for (v8::NodeId n = node;; n = toward_target[n]) {
        PathStep step{g.index.address(n), TypeOf(namer, g.index.address(n)), ""};
        path.steps.push_back(step);
        if (n == *id) break;
      }
      // Name each edge: from steps[i] (holder, nearer the root) to steps[i+1].
      for (size_t i = 0; i + 1 < path.steps.size(); ++i) {
        auto names = edges.Names(path.steps[i].object, path.steps[i + 1].object);
        path.steps[i + 1].edge = names.empty() ? "?" : names.front().name;
      }
      std::reverse(path.steps.begin(), path.steps.end());  // object first, root-held last
      FoldBackingStores(session, namer, path);
      FoldPropertyCells(session, namer, path);
      r.paths.push_back(std::move(path));
      // Others may hold a root-held object too: keep searching through it.
    }
    if (d >= depth) continue;
    for (v8::EdgeEnd e : g.graph.In(node)) {
      if (e.weak() && !weak) continue;
      const v8::NodeId holder = e.node();
      if (toward_target.emplace(holder, node).second) queue.emplace_back(holder, d + 1);
    }
  }
  if (r.paths.empty())
    r.warnings.push_back(r.reachable ? "no path within --depth " + std::to_string(depth)
                                     : "no retainer path from the roots found: the object is "
                                       "unreached (garbage, or held by a root mortem does not "
                                       "see: handle scopes, traced handles)");
  return r;
}

std::string DescribePath(const RetainerPath& path) {
  if (path.steps.empty()) return "";
  std::string out;
  for (size_t i = 0; i < path.steps.size(); ++i) {
    if (i > 0) out += " <- " + path.steps[i - 1].edge + " of ";
    out += path.steps[i].type + " @" + Hex(path.steps[i].object);
  }
  return out + " <- " + path.root;
}

}  // namespace mortem

#include "mortem/analysis/handles.h"

#include <algorithm>
#include <set>

#include "mortem/v8/tagged.h"
#include "mortem/v8/values.h"
#include "mortem/v8/walker.h"
#include "wrap_names.h"

namespace mortem {
namespace {

bool IsAligned(Address a) {
  return a != 0 && (a & 7) == 0;
}

// Environment* in each native context's embedder data (slot ContextEmbedderIndex::kEnvironment),
// found by walking the old-space pages where native contexts live.
std::vector<Address> FindEnvironments(Session& session, std::vector<std::string>& warnings) {
  const auto& layout = session.layout();
  const auto& heap = session.heap();
  const auto& memory = session.memory();
  std::set<Address> found;
  v8::HeapWalker walker(memory, layout, heap);
  v8::MapCache maps(memory, layout);
  for (const auto& page : heap.pages()) {
    if (page.space != layout.spaces.old_space || page.from_space) continue;
    // As HeapWalker::WalkAll does: the page's bytes are read once, then dropped from memory.
    memory.Prefetch(page.start, page.size);
    walker.WalkPage(page, maps, 0, [&](unsigned, const v8::HeapObject& o) {
      if (o.map->instance_type != layout.types.native_context) return;
      if (Address env = EnvironmentOf(memory, layout, o.address)) found.insert(env);
    });
    memory.Release(page.start, page.size);
  }
  if (found.empty()) warnings.push_back("no native context holds a Node Environment");
  return {found.begin(), found.end()};
}

// The wraps on one intrusive ListNode queue: head at queue_head, wrap = node - node_offset.
std::vector<Address> WalkQueue(const Memory& memory, Address queue_head, uint64_t next_offset,
                               uint64_t node_offset, size_t limit, bool& truncated) {
  std::vector<Address> wraps;
  std::set<Address> seen{queue_head};
  auto node = memory.ReadWord(queue_head + next_offset);
  while (node && *node != queue_head) {
    if (!IsAligned(*node) || !seen.insert(*node).second) break;  // corrupt or cyclic
    if (wraps.size() >= limit) {
      truncated = true;
      break;
    }
    wraps.push_back(*node - node_offset);
    node = memory.ReadWord(*node + next_offset);
  }
  return wraps;
}

ActiveWrap Describe(Session& session, v8::ValueReader& values, Address wrap,
                    uint64_t persistent_offset) {
  ActiveWrap out;
  out.wrap = wrap;
  out.type = out.js_class = "(no JS object)";
  // BaseObject::persistent_handle_ is a global handle: the node's first word is the object.
  auto handle = session.memory().ReadWord(wrap + persistent_offset);
  auto tagged = handle && IsAligned(*handle) ? session.memory().ReadWord(*handle) : std::nullopt;
  const v8::MapInfo* map = tagged ? values.namer().MapOf(*tagged) : nullptr;
  if (!map) return out;
  out.object = *tagged - 1;
  out.type = out.js_class = values.namer().Label(out.object, *map, false).name;
  out.preview = values.Preview(*tagged, 160);
  return out;
}

// Describes and names every wrap; the provider field is found from all of them at once.
void NameWraps(Session& session, v8::ValueReader& values, const std::vector<Address>& handles,
               const std::vector<Address>& requests, HandlesResult& result) {
  const auto persistent = *session.layout().node.base_object_persistent;
  WrapNamer namer(session, values);
  std::vector<Address> all(handles);
  all.insert(all.end(), requests.begin(), requests.end());
  namer.Prepare(all);
  for (Address wrap : handles) {
    result.handles.push_back(Describe(session, values, wrap, persistent));
    namer.Name(result.handles.back(), true);
    ++result.handle_counts[result.handles.back().type];
  }
  for (Address wrap : requests) {
    result.requests.push_back(Describe(session, values, wrap, persistent));
    namer.Name(result.requests.back(), false);
    ++result.request_counts[result.requests.back().type];
  }
}

// process.getActiveResourcesInfo(): every request, the refed handles, timers and immediates.
void CountResources(HandlesResult& result) {
  for (const auto& w : result.requests) ++result.resource_counts[w.type];
  for (const auto& w : result.handles)
    if (w.refed) ++result.resource_counts[w.type];
  for (const auto* list : {&result.timers, &result.immediates})
    for (const auto& t : *list)
      if (t.refed && !t.destroyed) ++result.resource_counts[t.kind];
}

}  // namespace

Address EnvironmentOf(const Memory& memory, const v8::Layout& layout, Address native_context) {
  const auto index = layout.node.environment_index;
  if (!index) return 0;
  auto eda = memory.ReadWord(native_context + layout.off.native_context_embedder_data);
  if (!eda || !v8::IsHeapObject(*eda)) return 0;
  auto length = memory.ReadWord(*eda - 1 + layout.off.fixed_array_length);
  if (!length || !v8::IsSmi(*length) || v8::SmiValue(*length) <= static_cast<int64_t>(*index))
    return 0;
  auto env = memory.ReadWord(*eda - 1 + layout.off.embedder_data_array_header +
                             layout.off.embedder_data_slot_size * *index);
  return env && IsAligned(*env) ? *env : 0;
}

HandlesResult RunHandles(Session& session, const HandlesOptions& options) {
  HandlesResult result;
  result.listed_handles = options.handles;
  result.listed_requests = options.requests;
  result.warnings = session.Warnings();
  const auto& n = session.layout().node;
  if (!n.environment_index || !n.list_node_next || !n.base_object_persistent ||
      !n.environment_handle_wrap_queue || !n.handle_wrap_queue_head || !n.handle_wrap_queue_node ||
      !n.environment_req_wrap_queue || !n.req_wrap_queue_head || !n.req_wrap_queue_node) {
    result.warnings.push_back(
        "the binary lacks Node's nodedbg_* debug constants; handles and requests unknown");
    return result;
  }
  result.environments = FindEnvironments(session, result.warnings);
  v8::ValueReader values(session.memory(), session.layout(), session.heap());
  // One queue: its head inside the Environment, the wraps' list-node offset, where they go.
  std::vector<Address> handle_wraps, request_wraps;
  auto walk = [&](Address head, uint64_t node_offset, std::vector<Address>& out) {
    for (Address wrap : WalkQueue(session.memory(), head, *n.list_node_next, node_offset,
                                  options.max_per_queue, result.truncated))
      out.push_back(wrap);
  };
  for (Address env : result.environments) {
    if (options.handles)
      walk(env + *n.environment_handle_wrap_queue + *n.handle_wrap_queue_head,
           *n.handle_wrap_queue_node, handle_wraps);
    if (options.requests)
      walk(env + *n.environment_req_wrap_queue + *n.req_wrap_queue_head, *n.req_wrap_queue_node,
           request_wraps);
  }
  NameWraps(session, values, handle_wraps, request_wraps, result);
  if (options.timers) FindJsTimers(session, options.max_per_queue, result);
  result.listed_timers = options.timers;
  CountResources(result);
  if (result.truncated) result.warnings.push_back("a handle or request queue was cut short");
  return result;
}

}  // namespace mortem

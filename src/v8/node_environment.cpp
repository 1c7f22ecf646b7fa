#include "mortem/v8/node_environment.h"

#include "mortem/v8/maps.h"
#include "mortem/v8/object_view.h"
#include "mortem/v8/tagged.h"
#include "mortem/v8/walker.h"

namespace mortem::v8 {
namespace {

bool IsAligned(Address a) {
  return a != 0 && (a & 7) == 0;
}

// The wraps on one intrusive ListNode queue: head at queue_head, wrap = node - node_offset.
void WalkQueue(const Memory& memory, Address queue_head, uint64_t next_offset, uint64_t node_offset,
               size_t limit, std::vector<Address>& wraps, bool& truncated) {
  std::set<Address> seen{queue_head};
  auto node = memory.ReadWord(queue_head + next_offset);
  for (size_t n = 0; node && *node != queue_head; ++n) {
    if (!IsAligned(*node) || !seen.insert(*node).second) break;  // corrupt or cyclic
    if (n >= limit) {
      truncated = true;
      break;
    }
    wraps.push_back(*node - node_offset);
    node = memory.ReadWord(*node + next_offset);
  }
}

}  // namespace

Address EnvironmentOf(const Memory& memory, const Layout& layout, Address native_context) {
  const auto index = layout.node.environment_index;
  if (!index) return 0;
  auto eda = ObjectView(memory, native_context).Object(layout.off.native_context_embedder_data);
  if (!eda) return 0;
  auto length = eda->Smi(layout.off.fixed_array_length);
  if (!length || *length <= static_cast<int64_t>(*index)) return 0;
  auto env = eda->Word(layout.off.embedder_data_array_header +
                       layout.off.embedder_data_slot_size * *index);
  return env && IsAligned(*env) ? *env : 0;
}

std::set<Address> FindEnvironments(const Memory& memory, const Layout& layout, const Heap& heap,
                                   unsigned threads, uint64_t* skipped_bytes) {
  std::vector<size_t> old_pages;
  for (size_t i = 0; i < heap.pages().size(); ++i) {
    const Page& page = heap.pages()[i];
    if (page.space == layout.spaces.old_space && !page.from_space) old_pages.push_back(i);
  }
  threads = std::max(1u, threads);
  std::vector<std::set<Address>> found(threads);
  HeapWalker walker(memory, layout, heap);
  const WalkResult walk =
      walker.WalkPages(old_pages, threads, [&](unsigned thread, const HeapObject& o) {
        if (o.map->instance_type != layout.types.native_context) return;
        if (Address env = EnvironmentOf(memory, layout, o.address)) found[thread].insert(env);
      });
  if (skipped_bytes) *skipped_bytes = walk.total.skipped_bytes;
  for (size_t t = 1; t < found.size(); ++t) found[0].merge(found[t]);
  return found[0];
}

std::optional<uint64_t> EnvironmentThreadId(const Memory& memory, const Layout& layout,
                                            Address environment) {
  const uint32_t offset = layout.line->node.environment_thread_id;
  if (offset == 0) return std::nullopt;
  return memory.ReadWord(environment + offset);
}

bool HasWrapQueueLayout(const Layout& layout) {
  const auto& n = layout.node;
  return n.environment_index && n.list_node_next && n.base_object_persistent &&
         n.environment_handle_wrap_queue && n.handle_wrap_queue_head && n.handle_wrap_queue_node &&
         n.environment_req_wrap_queue && n.req_wrap_queue_head && n.req_wrap_queue_node;
}

WrapQueues ReadWrapQueues(const Memory& memory, const Layout& layout,
                          std::span<const Address> environments, bool handles, bool requests,
                          size_t max_per_queue) {
  WrapQueues out;
  if (!HasWrapQueueLayout(layout)) return out;
  const auto& n = layout.node;
  for (Address env : environments) {
    if (handles)
      WalkQueue(memory, env + *n.environment_handle_wrap_queue + *n.handle_wrap_queue_head,
                *n.list_node_next, *n.handle_wrap_queue_node, max_per_queue, out.handles,
                out.truncated);
    if (requests)
      WalkQueue(memory, env + *n.environment_req_wrap_queue + *n.req_wrap_queue_head,
                *n.list_node_next, *n.req_wrap_queue_node, max_per_queue, out.requests,
                out.truncated);
  }
  return out;
}

std::optional<uint64_t> WrapObjectValue(const Memory& memory, const Layout& layout, Address wrap) {
  if (!layout.node.base_object_persistent) return std::nullopt;
  // BaseObject::persistent_handle_ is a global handle: the node's first word is the object.
  auto handle = ObjectView(memory, wrap).Word(*layout.node.base_object_persistent);
  return handle && IsAligned(*handle) ? ObjectView(memory, *handle).Word(0) : std::nullopt;
}

}  // namespace mortem::v8

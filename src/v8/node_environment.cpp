#include "mortem/v8/node_environment.h"

#include <algorithm>
#include <set>

#include "mortem/core/bytes.h"
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
  // A ListNode's next pointer: the head's, then each wrap's.
  auto next_of = [&](Address list_node) { return ObjectView(memory, list_node).Word(next_offset); };
  auto node = next_of(queue_head);
  for (size_t n = 0; node && *node != queue_head; ++n) {
    if (!IsAligned(*node) || !seen.insert(*node).second) break;  // corrupt or cyclic
    if (n >= limit) {
      truncated = true;
      break;
    }
    wraps.push_back(*node - node_offset);
    node = next_of(*node);
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

namespace {

// The part of an Environment searched for thread_id_ (every release keeps it below 4 KiB; the
// reads after it stay inside).
constexpr uint32_t kEnvironmentSearchBytes = 8192;
constexpr uint32_t kSetBytes = 56;     // libstdc++ unordered_set: 5 words, the single bucket
constexpr uint32_t kStringBytes = 32;  // libstdc++ string: pointer, length, 16-byte buffer
constexpr uint32_t kMaxLoadFactorOne = 0x3f800000;  // 1.0f, the default max_load_factor
// Environments read for the learning: enough for any real process, bounded for a hostile core.
constexpr size_t kMaxSamples = 256;

struct EnvironmentBytes {
  Address address = 0;
  bool main_thread = false;
  std::vector<std::byte> bytes;
  uint64_t Word(uint32_t at) const { return LoadAt<uint64_t>(bytes, at).value_or(0); }
};

// A std::unordered_set at `at`: empty with its one bucket inside itself, or with a bucket array
// elsewhere, a sane bucket count and elements; its max load factor 1.0f either way.
bool IsUnorderedSet(const EnvironmentBytes& e, uint32_t at) {
  if (LoadAt<uint32_t>(e.bytes, at + 32).value_or(0) != kMaxLoadFactorOne) return false;
  const uint64_t buckets = e.Word(at), count = e.Word(at + 8), first = e.Word(at + 16),
                 elements = e.Word(at + 24);
  if (buckets == e.address + at + 48) return count == 1 && first == 0 && elements == 0;
  return buckets != 0 && count > 1 && count < (1u << 24) && first != 0 && elements > 0 &&
         elements < (1u << 24);
}

// A std::string at `at`: its characters in its own buffer (up to 15), or elsewhere within its
// capacity.
bool IsString(const EnvironmentBytes& e, uint32_t at) {
  const uint64_t data = e.Word(at), length = e.Word(at + 8);
  if (data == e.address + at + 16) return length <= 15;
  return data != 0 && length < 4096 && e.Word(at + 16) >= length;
}

// Whether thread_id_ may be at `at` in e, followed by the set right after it (string: false) or
// after a string (true).
bool FitsThreadId(const EnvironmentBytes& e, uint32_t at, bool string) {
  const uint64_t id = e.Word(at);
  if (e.main_thread ? id != 0 : id == 0 || id >= (uint64_t{1} << 32)) return false;
  if (!string) return IsUnorderedSet(e, at + 8);
  return IsString(e, at + 8) && IsUnorderedSet(e, at + 8 + kStringBytes);
}

// The one layout among the fits, nullopt if none or several. A fit without a name read right
// after a name's fit is the name's own buffer (the characters 8 to 15 of a name like
// "WorkerThread", zero on the main thread) and is no other place; both readings at one offset
// make the id known and whether a name follows not.
std::optional<ThreadIdLayout> OnlyFit(const std::vector<ThreadIdLayout>& fits) {
  std::optional<ThreadIdLayout> found;
  for (const auto& f : fits) {
    const bool inside_a_name =
        !f.name_follows && std::any_of(fits.begin(), fits.end(), [&](auto& n) {
          return n.name_follows && f.offset == n.offset + 8 + 16 + 8;
        });
    if (inside_a_name) continue;
    if (found && found->offset != f.offset) return std::nullopt;  // two places fit: unknown
    found = ThreadIdLayout{f.offset, !found && f.name_follows};
  }
  return found;
}

}  // namespace

std::optional<ThreadIdLayout> LearnThreadIdOffset(const Memory& memory,
                                                  std::span<const EnvironmentSample> samples) {
  std::vector<EnvironmentBytes> envs;
  for (const auto& s : samples.first(std::min(samples.size(), kMaxSamples))) {
    EnvironmentBytes e{s.environment, s.main_thread,
                       std::vector<std::byte>(kEnvironmentSearchBytes)};
    if (memory.Read(s.environment, e.bytes.data(), e.bytes.size()) != e.bytes.size())
      return std::nullopt;
    envs.push_back(std::move(e));
  }
  if (envs.empty()) return std::nullopt;
  std::vector<ThreadIdLayout> fits;
  const uint32_t end = kEnvironmentSearchBytes - kStringBytes - kSetBytes;
  for (uint32_t at = 8; at < end; at += 8) {
    for (bool string : {false, true}) {
      std::set<uint64_t> worker_ids;
      bool fit = true;
      for (const auto& e : envs) {
        fit = fit && FitsThreadId(e, at, string) &&
              (e.main_thread || worker_ids.insert(e.Word(at)).second);
      }
      if (fit) fits.push_back({at, string});
    }
  }
  return OnlyFit(fits);
}

std::optional<uint64_t> EnvironmentThreadId(const Memory& memory, uint32_t offset,
                                            Address environment) {
  return ObjectView(memory, environment).Word(offset);
}

std::optional<std::string> EnvironmentThreadName(const Memory& memory, const ThreadIdLayout& layout,
                                                 Address environment) {
  if (!layout.name_follows) return std::nullopt;
  const ObjectView name(memory, environment + layout.offset + 8);  // the std::string
  const auto data = name.Word(0), length = name.Word(8);
  if (!data.has_value() || !length.has_value() || *length > kMaxThreadNameBytes)
    return std::nullopt;
  std::string out(*length, '\0');
  if (*length && memory.Read(*data, out.data(), out.size()) != out.size()) return std::nullopt;
  return out;
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

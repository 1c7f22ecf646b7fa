#include "mortem/v8/graph.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "mortem/core/error.h"
#include "mortem/core/parallel.h"
#include "mortem/core/progress.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

// Runs work(page, maps) for every page of the index on `threads` threads. Pages own disjoint
// ranges of node ids.
template <typename Work>
void ForEachIndexedPage(const Memory& memory, const Layout& layout, const ObjectIndex& index,
                        unsigned threads, Work&& work) {
  ParallelFor(
      index.pages().size(), threads, [&](unsigned) { return MapCache(memory, layout); },
      [&](MapCache& maps, size_t i) { work(index.pages()[i], maps); });
}

// Walks one page of the index, calling visit(node id, object) for the objects it numbered.
template <typename Visit>
void WalkIndexedPage(const Memory& memory, const HeapWalker& walker, const Heap& heap,
                     const ObjectIndex& index, const ObjectIndex::PageSpan& span, MapCache& maps,
                     Visit&& visit) {
  const Page& page = heap.pages()[span.heap_page];
  walker.WalkPage(page, maps, 0, [&](unsigned, const HeapObject& o) {
    auto id = index.Find(o.address);
    if (id && *id >= span.first && *id < span.end) visit(*id, o);
  });
  memory.Release(page.area_start, page.area_end - page.area_start);
}

// Calls visit(EdgeEnd to the target) for every reference of the object to an object of the index,
// the map word included, except references into read-only space: those objects (oddballs,
// empty arrays, the maps of strings and numbers, ...) are immortal and can hold nothing else
// alive, and V8's snapshot leaves most such edges out too (IsEssentialObject). Counts in
// `dangling` the slots that point into a page's objects but at no object start. A hollow holder
// (a cache the next full GC empties) has none.
template <typename Visit>
void ForEachEdge(const Layout& layout, const ObjectIndex& index, NodeId holder, const HeapObject& o,
                 uint64_t& dangling, Visit&& visit) {
  if (index.Hollow(holder)) return;  // a cache the next full GC empties
  ForEachTaggedSlot(layout, o, [&](uint32_t, uint64_t value) {
    const Tagged slot(value);
    if (slot.IsCleared()) return;
    auto id = index.Find(slot.address());
    if (id && *id < EdgeEnd::kWeakBit) {
      if (!index.InReadOnlySpace(*id)) visit(EdgeEnd::To(*id, slot.IsWeak()));
    } else if (index.InPageArea(slot.address())) {
      ++dangling;
    }
  });
}

}  // namespace

uint32_t TaggedEnd(const Layout& l, const HeapObject& o) {
  const uint16_t type = o.map->instance_type;
  const Types& t = l.types;
  const auto size = static_cast<uint32_t>(std::min<uint64_t>(o.size, UINT32_MAX));
  if (l.IsString(type)) {
    auto rep = ShapeOf(l, type).representation;
    using R = StringShape::Representation;
    if (rep == R::kCons) return l.off.cons_second + 8;
    if (rep == R::kSliced) return l.off.sliced_parent + 8;
    if (rep == R::kThin) return l.off.thin_actual + 8;
    return 8;  // sequential and external: characters or a raw resource
  }
  if (type == t.byte_array || type == t.fixed_double_array || type == t.heap_number ||
      type == t.big_int || type == t.free_space || type == t.filler ||
      type == t.feedback_metadata || type == t.coverage_info ||
      (t.trusted_byte_array && type == *t.trusted_byte_array) ||
      (t.small_ordered_hash_map && type == *t.small_ordered_hash_map) ||
      (t.small_ordered_hash_set && type == *t.small_ordered_hash_set) ||
      (t.small_ordered_name_dictionary && type == *t.small_ordered_name_dictionary) ||
      (t.swiss_name_dictionary && type == *t.swiss_name_dictionary))
    return 8;
  if (type == t.bytecode_array) return l.off.bytecode_array_header;
  // Code's tagged fields end before its instructions (10.2); InstructionStream's after the code
  // pointer (11.3: {map, code}) or the relocation info (12.4+: {map, code, relocation_info}).
  const CodeShape shape = l.line->sizes.code_shape;
  if (type == t.code && shape == CodeShape::kCodeWithInstructions) return 40;
  if (t.instruction_stream && type == *t.instruction_stream)
    return shape == CodeShape::kStreamSizedByCode ? 16 : 24;
  if (type == t.preparse_data) return 8;  // children pointers follow raw data: kept conservative
  return size;
}

ForwardEdges HeapGraph::BuildForward(const Memory& memory, const Layout& layout, const Heap& heap,
                                     const ObjectIndex& index, unsigned threads,
                                     std::vector<uint32_t>& in_counts) {
  const size_t nodes = index.size();
  HeapWalker walker(memory, layout, heap);
  ForwardEdges f;
  f.offsets.assign(nodes + 1, 0);
  in_counts.assign(nodes + 1, 0);
  // Pass 1: degrees (each page writes its own nodes' out-degrees; in-degrees are shared).
  std::atomic<uint64_t> dangling{0};
  std::mutex holders_mutex;
  ForEachIndexedPage(memory, layout, index, threads, [&](const auto& span, MapCache& maps) {
    uint64_t here = 0;
    std::vector<NodeId> holders, internalized;
    WalkIndexedPage(memory, walker, heap, index, span, maps, [&](NodeId id, const HeapObject& o) {
      if (layout.IsInternalizedString(o.map->instance_type) && !index.InReadOnlySpace(id))
        internalized.push_back(id);
      uint32_t degree = 0;
      const uint64_t before = here;
      ForEachEdge(layout, index, id, o, here, [&](EdgeEnd target) {
        ++degree;
        std::atomic_ref<uint32_t>(in_counts[target.node() + 1])
            .fetch_add(1, std::memory_order_relaxed);
      });
      f.offsets[id + 1] = degree;
      holders.insert(holders.end(), here - before, id);
    });
    dangling += here;
    if (!internalized.empty()) {
      std::lock_guard lock(holders_mutex);
      f.internalized_strings.insert(f.internalized_strings.end(), internalized.begin(),
                                    internalized.end());
    }
    if (!holders.empty()) {
      std::lock_guard lock(holders_mutex);
      const size_t room = ForwardEdges::kMaxDanglingHolders - f.dangling_holders.size();
      f.dangling_holders.insert(f.dangling_holders.end(), holders.begin(),
                                holders.begin() + std::min(room, holders.size()));
    }
  });
  f.dangling = dangling;
  std::sort(f.internalized_strings.begin(), f.internalized_strings.end());
  for (size_t i = 0; i < nodes; ++i) {
    if (f.offsets[i] > UINT32_MAX - f.offsets[i + 1])
      throw Error("the heap graph has more than 4 billion references");
    f.offsets[i + 1] += f.offsets[i];
  }
  TracePhase("forward degrees");
  // Pass 2: the targets, in slot order.
  f.targets.resize(f.offsets[nodes]);
  ForEachIndexedPage(memory, layout, index, threads, [&](const auto& span, MapCache& maps) {
    WalkIndexedPage(memory, walker, heap, index, span, maps, [&](NodeId id, const HeapObject& o) {
      uint32_t at = f.offsets[id];
      const uint32_t end = f.offsets[id + 1];
      uint64_t ignored = 0;
      ForEachEdge(layout, index, id, o, ignored, [&](EdgeEnd target) {
        if (at < end) f.targets[at++] = target.bits();
      });
    });
  });
  return f;
}

HeapGraph HeapGraph::BuildReverse(const Memory& memory, const Layout& layout, const Heap& heap,
                                  const ObjectIndex& index, unsigned threads,
                                  std::vector<uint32_t> in_counts) {
  const size_t nodes = index.size();
  HeapGraph g;
  g.in_offsets_ = std::move(in_counts);
  g.in_offsets_.resize(nodes + 1, 0);
  g.in_offsets_[0] = 0;
  for (size_t i = 0; i < nodes; ++i) g.in_offsets_[i + 1] += g.in_offsets_[i];
  const uint32_t total = g.in_offsets_[nodes];
  g.in_.resize(total);
  // Pass 3: each edge at its target's cursor (in_offsets_[t] runs from t's first edge to t+1's).
  std::atomic<uint64_t> placed{0};
  HeapWalker walker(memory, layout, heap);
  ForEachIndexedPage(memory, layout, index, threads, [&](const auto& span, MapCache& maps) {
    uint64_t here = 0;
    uint64_t ignored = 0;
    WalkIndexedPage(memory, walker, heap, index, span, maps, [&](NodeId id, const HeapObject& o) {
      ForEachEdge(layout, index, id, o, ignored, [&](EdgeEnd target) {
        uint32_t at = std::atomic_ref<uint32_t>(g.in_offsets_[target.node()])
                          .fetch_add(1, std::memory_order_relaxed);
        if (at < total) g.in_[at] = EdgeEnd::To(id, target.weak()).bits(), ++here;
      });
    });
    placed += here;
  });
  if (placed != total)
    throw Error("the heap changed between two walks of the core (" + std::to_string(placed) +
                " references instead of " + std::to_string(total) + ")");
  TracePhase("reverse edges placed");
  // The cursors now hold each node's end: shift them back to starts.
  for (size_t i = nodes; i > 0; --i) g.in_offsets_[i] = g.in_offsets_[i - 1];
  g.in_offsets_[0] = 0;
  // Sources in order, whatever thread placed them.
  constexpr size_t kChunk = 1 << 16;
  ParallelFor((nodes + kChunk - 1) / kChunk, threads, [&](unsigned, size_t chunk) {
    const size_t first = chunk * kChunk;
    for (size_t n = first; n < std::min(nodes, first + kChunk); ++n) {
      auto begin = g.in_.begin() + g.in_offsets_[n], end = g.in_.begin() + g.in_offsets_[n + 1];
      if (end - begin > 16) {
        std::sort(begin, end);
        continue;
      }
      for (auto i = begin + 1; i < end; ++i)  // most lists are short
        for (auto j = i; j > begin && *(j - 1) > *j; --j) std::iter_swap(j - 1, j);
    }
  });
  return g;
}

uint64_t HeapGraph::memory_bytes() const {
  return (in_offsets_.capacity() + in_.capacity()) * sizeof(uint32_t);
}

}  // namespace mortem::v8

#include "mortem/v8/graph.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "mortem/v8/strings.h"

namespace mortem::v8 {
namespace {

// Pages in address order, so that node ids follow addresses.
std::vector<size_t> PagesByAddress(const Heap& heap) {
  std::vector<size_t> order(heap.pages().size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return heap.pages()[a].start < heap.pages()[b].start; });
  return order;
}

// Runs work(page_index_in_order, maps) over all pages on `threads` threads.
void ForEachPage(const Memory& memory, const Layout& layout, size_t pages, unsigned threads,
                 const std::function<void(size_t, MapCache&)>& work) {
  std::atomic<size_t> next{0};
  auto run = [&] {
    MapCache maps(memory, layout);
    for (size_t i; (i = next.fetch_add(1)) < pages;) work(i, maps);
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) workers.emplace_back(run);
  run();
  for (auto& w : workers) w.join();
}

uint64_t Word(std::span<const std::byte> body, uint32_t offset) {
  uint64_t w;
  std::memcpy(&w, body.data() + offset, 8);
  return w;
}

// Bytes of the object, from its start, that hold tagged slots; the rest is raw data (V8's body
// descriptors: characters, bytes, doubles, instructions, packed metadata).
uint32_t TaggedEnd(const Layout& l, const HeapObject& o) {
  const uint16_t type = o.map->instance_type;
  const Types& t = l.types;
  const auto size = static_cast<uint32_t>(o.size);
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
  if (type == t.code && l.v8.Key() == 1002) return 40;  // then instructions
  if (t.instruction_stream && type == *t.instruction_stream) return l.v8.Key() == 1103 ? 16 : 24;
  if (type == t.preparse_data) return 8;  // children pointers follow raw data: kept conservative
  return size;
}

}  // namespace

void ForEachTaggedSlot(const Layout& layout, const HeapObject& object,
                       const std::function<void(uint32_t, uint64_t)>& visit) {
  uint32_t end = std::min<uint32_t>(
      TaggedEnd(layout, object),
      static_cast<uint32_t>(std::min<uint64_t>(object.size, object.body.size())));
  for (uint32_t offset = 8; offset + 8 <= end; offset += 8) {
    uint64_t value = Word(object.body, offset);
    if ((value & 1) == 0) continue;  // Smi or raw
    visit(offset, value);
  }
}

ObjectIndex ObjectIndex::Build(const Memory& memory, const Layout& layout, const Heap& heap,
                               unsigned threads) {
  HeapWalker walker(memory, layout, heap);
  auto order = PagesByAddress(heap);
  std::vector<std::vector<std::pair<Address, uint32_t>>> per_page(order.size());
  ForEachPage(memory, layout, order.size(), threads, [&](size_t i, MapCache& maps) {
    const Page& page = heap.pages()[order[i]];
    auto& list = per_page[i];
    walker.WalkPage(page, maps, 0, [&](unsigned, const HeapObject& o) {
      list.emplace_back(o.address, static_cast<uint32_t>(std::min<uint64_t>(o.size, UINT32_MAX)));
    });
    memory.Release(page.area_start, page.area_end - page.area_start);
  });
  ObjectIndex index;
  size_t total = 0;
  for (const auto& l : per_page) total += l.size();
  index.starts_.reserve(total);
  index.sizes_.reserve(total);
  for (size_t i = 0; i < per_page.size(); ++i) {
    NodeId first = static_cast<NodeId>(index.starts_.size());
    for (auto [a, s] : per_page[i]) {
      index.starts_.push_back(a);
      index.sizes_.push_back(s);
    }
    index.pages_[heap.pages()[order[i]].start] = {first, static_cast<NodeId>(index.starts_.size())};
    std::vector<std::pair<Address, uint32_t>>().swap(per_page[i]);
  }
  return index;
}

std::optional<NodeId> ObjectIndex::Find(Address object_start) const {
  auto it = pages_.find(object_start & ~(kPageSize - 1));
  if (it == pages_.end()) return std::nullopt;
  auto [first, end] = it->second;
  auto pos = std::lower_bound(starts_.begin() + first, starts_.begin() + end, object_start);
  if (pos == starts_.begin() + end || *pos != object_start) return std::nullopt;
  return static_cast<NodeId>(pos - starts_.begin());
}

HeapGraph HeapGraph::Build(const Memory& memory, const Layout& layout, const Heap& heap,
                           const ObjectIndex& index, unsigned threads) {
  HeapWalker walker(memory, layout, heap);
  auto order = PagesByAddress(heap);
  // Resolves a slot value to an edge target (with kWeak), or nothing.
  auto target_of = [&](uint64_t value) -> std::optional<uint32_t> {
    bool weak = (value & 3) == 3;
    if (weak && static_cast<uint32_t>(value) == 3) return std::nullopt;  // cleared weak slot
    auto id = index.Find(value & ~uint64_t{3});
    if (!id || *id >= kWeak) return std::nullopt;
    return *id | (weak ? kWeak : 0);
  };
  // Pass 1: out-degrees, per page in address order (node ids follow the same order).
  std::vector<std::vector<uint32_t>> degrees(order.size());
  ForEachPage(memory, layout, order.size(), threads, [&](size_t i, MapCache& maps) {
    const Page& page = heap.pages()[order[i]];
    walker.WalkPage(page, maps, 0, [&](unsigned, const HeapObject& o) {
      uint32_t d = 0;
      ForEachTaggedSlot(layout, o,
                        [&](uint32_t, uint64_t value) { d += target_of(value) ? 1 : 0; });
      degrees[i].push_back(d);
    });
    memory.Release(page.area_start, page.area_end - page.area_start);
  });
  HeapGraph g;
  const size_t nodes = index.size();
  g.out_offsets_.reserve(nodes + 1);
  g.out_offsets_.push_back(0);
  std::vector<uint32_t> page_first_edge(order.size() + 1, 0);
  for (size_t i = 0; i < order.size(); ++i) {
    for (uint32_t d : degrees[i]) g.out_offsets_.push_back(g.out_offsets_.back() + d);
    page_first_edge[i + 1] = g.out_offsets_.back();
    std::vector<uint32_t>().swap(degrees[i]);
  }
  if (g.out_offsets_.size() != nodes + 1) g.out_offsets_.resize(nodes + 1, g.out_offsets_.back());
  // Pass 2: the targets, written in place.
  g.out_.resize(g.out_offsets_.back());
  ForEachPage(memory, layout, order.size(), threads, [&](size_t i, MapCache& maps) {
    const Page& page = heap.pages()[order[i]];
    uint32_t at = page_first_edge[i];
    const uint32_t end = page_first_edge[i + 1];
    walker.WalkPage(page, maps, 0, [&](unsigned, const HeapObject& o) {
      ForEachTaggedSlot(layout, o, [&](uint32_t, uint64_t value) {
        auto t = target_of(value);
        if (t && at < end) g.out_[at++] = *t;
      });
    });
    memory.Release(page.area_start, page.area_end - page.area_start);
  });
  // Reverse edges.
  g.in_offsets_.assign(nodes + 1, 0);
  for (uint32_t e : g.out_) g.in_offsets_[(e & ~kWeak) + 1]++;
  for (size_t i = 0; i < nodes; ++i) g.in_offsets_[i + 1] += g.in_offsets_[i];
  g.in_.resize(g.out_.size());
  std::vector<uint32_t> fill(g.in_offsets_.begin(), g.in_offsets_.end() - 1);
  for (NodeId src = 0; src < nodes; ++src)
    for (uint32_t e = g.out_offsets_[src]; e < g.out_offsets_[src + 1]; ++e) {
      uint32_t target = g.out_[e] & ~kWeak;
      g.in_[fill[target]++] = src | (g.out_[e] & kWeak);
    }
  return g;
}

uint64_t HeapGraph::memory_bytes() const {
  return (out_offsets_.capacity() + in_offsets_.capacity() + out_.capacity() + in_.capacity()) *
         sizeof(uint32_t);
}

}  // namespace mortem::v8

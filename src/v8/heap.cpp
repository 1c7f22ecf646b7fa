#include "mortem/v8/heap.h"

#include <algorithm>
#include <map>

#include "mortem/core/error.h"
#include "mortem/core/progress.h"
#include "mortem/v8/object_view.h"
#include "mortem/v8/page_lists.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

using Candidate = PageCandidate;

// Reads the header fields of a would-be page at chunk, per the version's header shape.
std::optional<Candidate> ReadHeader(const Memory& memory, const PageHeaderLayout& h,
                                    Address chunk) {
  const ObjectView page(memory, chunk);
  ObjectView fields = page;  // where size, heap, area and owner are
  Candidate c;
  c.page.start = chunk;
  auto flags = page.Word(h.flags);
  if (!flags) return std::nullopt;
  if (h.kind == PageHeaderKind::kInPageMetadata) {
    auto meta = page.Word(h.metadata);
    if (!meta || *meta != chunk) return std::nullopt;
  } else if (h.kind == PageHeaderKind::kOffPageMetadata) {
    auto meta = page.Word(h.metadata);
    if (!meta || (*meta >= chunk && *meta < chunk + kPageSize) || (*meta & 7) != 0)
      return std::nullopt;
    fields = ObjectView(memory, *meta);
    auto region = fields.Word(h.metadata_chunk);
    // Read-only pages have their reservation zeroed once sealed (13.6 ReadOnlyPageMetadata::
    // MakeHeaderRelocatable); the area checks below still hold for them.
    bool sealed_read_only = region && *region == 0 && (*flags & h.flag_read_only);
    if (!region || (*region != chunk && !sealed_read_only)) return std::nullopt;
  }
  auto size = fields.Word(h.size);
  auto heap = fields.Word(h.heap);
  auto area_start = fields.Word(h.area_start);
  auto area_end = fields.Word(h.area_end);
  auto owner = fields.Word(h.owner);
  if (!size || !heap || !area_start || !area_end || !owner) return std::nullopt;
  if (*size == 0 || *size % 4096 != 0 || *size > (uint64_t{1} << 36)) return std::nullopt;
  if (*area_start <= chunk || *area_start > *area_end || *area_end > chunk + *size)
    return std::nullopt;
  c.page.size = *size;
  c.page.area_start = *area_start;
  c.page.area_end = *area_end;
  c.page.flags = *flags;
  c.page.large = (*flags & h.flag_large_page) != 0 || *size > kPageSize;
  c.page.read_only = (*flags & h.flag_read_only) != 0;
  c.page.from_space = (*flags & h.flag_from_page) != 0;
  c.heap = *heap;
  c.owner = *owner;
  c.node_base = fields.address();
  return c;
}

// The space a candidate page belongs to: its owner points back to the page's heap and has a
// valid id; -1 if not. Read-only pages have neither heap nor owner.
int OwnerSpace(const Memory& memory, const Layout& layout, const Candidate& c) {
  if (c.heap == 0 && c.owner == 0 && c.page.read_only) return layout.spaces.read_only;
  if (c.heap == 0) return -1;
  const ObjectView space(memory, c.owner);
  auto owner_heap = space.Word(layout.page.space_heap);
  auto owner_id = space.Read<int32_t>(layout.page.space_id);
  if (!owner_heap || *owner_heap != c.heap || !owner_id || *owner_id < 0 ||
      *owner_id >= static_cast<int>(layout.spaces.names.size()))
    return -1;
  return *owner_id;
}

// Probes every 256 KiB boundary of the regions for a page header. V8 maps its pages anonymously,
// so regions backed by a file (the binary, libraries) are probed only if the others hold none.
constexpr uint64_t kReleaseEvery = uint64_t{16} << 20;

std::vector<Candidate> ProbePages(const Memory& memory, const Layout& layout) {
  std::vector<Candidate> candidates;
  const auto regions = memory.Regions();
  for (bool file_backed : {false, true}) {
    if (file_backed && !candidates.empty()) break;
    Address skip_until = 0;
    for (const auto& region : regions) {
      if (region.name.empty() == file_backed) continue;
      Address first = (region.start + kPageSize - 1) & ~(kPageSize - 1);
      // The probes map far more of the core than the headers they read (the kernel's
      // read-ahead and fault-around: 687 MB resident after probing a 4 GB gcore core of 98 MB
      // of data, when each probe dropped its own 256 KiB); the region so far is dropped every
      // 16 MiB, and at its end.
      Address released = region.start;
      for (Address a = first; a < region.end && a >= first; a += kPageSize) {
        if (a - released >= kReleaseEvery) {
          memory.Release(released, a - released);
          released = a;
        }
        if (a < skip_until) continue;
        auto c = ReadHeader(memory, layout.page, a);
        if (!c) continue;
        // A large page's body is not probed (its objects' bytes may look like headers); only
        // a page whose owner checks out says so: a stale or hostile header claiming a huge
        // size would otherwise hide every page after it.
        if (c->page.size > kPageSize && OwnerSpace(memory, layout, *c) >= 0)
          skip_until = a + c->page.size;
        candidates.push_back(*c);
      }
      memory.Release(released, region.end - released);
    }
  }
  return candidates;
}

}  // namespace

std::optional<PageCandidate> ReadPageCandidate(const Memory& memory, const Layout& layout,
                                               Address chunk) {
  auto c = ReadHeader(memory, layout.page, chunk);
  if (!c) return std::nullopt;
  c->page.space = OwnerSpace(memory, layout, *c);
  if (c->page.space < 0) return std::nullopt;
  return c;
}

DiscoveredHeaps Heap::DiscoverAll(const Memory& memory, const Layout& layout) {
  std::vector<Page> shared_read_only;
  std::vector<Candidate> owned;
  for (auto& c : ProbePages(memory, layout)) {
    c.page.space = OwnerSpace(memory, layout, c);
    if (c.page.space < 0) continue;
    if (c.heap == 0)
      shared_read_only.push_back(c.page);
    else
      owned.push_back(c);
  }
  if (owned.empty())
    throw Error(
        "no V8 heap pages found in the core (not a node process, or its heap was not "
        "dumped)");
  // One binary, one layout: the list offsets are learnt once from the pages of every heap.
  const auto shape = LearnPageListShape(memory, owned);
  TracePhase(shape ? ("page lists: node +" + std::to_string(shape->node) + ", head +" +
                      std::to_string(shape->head))
                         .c_str()
                   : "page lists: not found");
  std::map<Address, std::vector<Candidate>> candidates_by_heap;
  for (auto& c : owned) candidates_by_heap[c.heap].push_back(c);
  std::map<Address, ListedPages> by_heap;
  for (const auto& [address, candidates] : candidates_by_heap)
    by_heap[address] = FollowPageLists(memory, layout, shape, candidates);
  auto labs = std::make_shared<LabIndex>();
  for (const auto& [address, listed] : by_heap)
    labs->all_pages.insert(labs->all_pages.end(), listed.pages.begin(), listed.pages.end());
  labs->all_pages.insert(labs->all_pages.end(), shared_read_only.begin(), shared_read_only.end());
  std::sort(labs->all_pages.begin(), labs->all_pages.end(),
            [](const Page& a, const Page& b) { return a.start < b.start; });
  DiscoveredHeaps out;
  for (auto& [address, listed] : by_heap) {
    Heap heap(memory, layout, labs);
    heap.heap_ = address;
    heap.pages_ = std::move(listed.pages);
    heap.page_origin_ =
        PageOrigin{listed.listed_owners, listed.fallbacks.size(), listed.recoveries.size(),
                   listed.unlisted_pages, listed.unlisted_bytes};
    heap.warnings_ = std::move(listed.fallbacks);
    for (auto& r : listed.recoveries) heap.warnings_.push_back(std::move(r));
    heap.pages_.insert(heap.pages_.end(), shared_read_only.begin(), shared_read_only.end());
    try {
      heap.IndexPages();
      heap.FindIsolate();
      heap.FindUnusedAreas();
      out.heaps.push_back(std::move(heap));
    } catch (const Error& e) {
      out.broken.push_back(
          BrokenHeap{address, heap.pages_.size() - shared_read_only.size(), e.what()});
    }
  }
  // The probes and the page metadata they followed (off the pages since V8 12.x, in the C++
  // heap) mapped parts of the core that a walk does not need resident.
  for (const auto& region : memory.Regions()) memory.Release(region.start, region.size());
  if (out.heaps.empty())
    throw Error("no readable V8 heap in the core: " + out.broken.front().reason);
  return out;
}

Heap Heap::Discover(const Memory& memory, const Layout& layout) {
  auto found = DiscoverAll(memory, layout);
  auto most = std::max_element(found.heaps.begin(), found.heaps.end(), [](auto& a, auto& b) {
    return a.pages().size() < b.pages().size();
  });
  return std::move(*most);
}

void Heap::IndexPages() {
  by_start_.resize(pages_.size());
  for (size_t i = 0; i < pages_.size(); ++i) by_start_[i] = i;
  std::sort(by_start_.begin(), by_start_.end(),
            [&](size_t a, size_t b) { return pages_[a].start < pages_[b].start; });
}

void Heap::FindIsolate() {
  auto isolate = ObjectView(*memory_, heap_).Word(layout_->isolate.heap_isolate_pointer);
  if (!isolate) throw Error("cannot read the Isolate pointer of the heap");
  isolate_ = *isolate;
  roots_ = isolate_ + layout_->isolate.roots_offset;
  // The roots table must hold undefined..empty_string as heap objects.
  const RootIndices& r = layout_->isolate.roots;
  for (int i : {r.undefined, r.the_hole, r.null, r.true_value, r.false_value, r.empty_string}) {
    uint64_t v = Root(i);
    if (!Tagged(v).IsStrong())
      throw Error("the Isolate's roots table is not where V8 " + layout_->v8.ToString() +
                  " keeps it");
  }
  CheckRootMaps();
}

// The meta map is its own map, and the free-space map describes FREE_SPACE_TYPE: this checks the
// line's root indices and the derived instance types on every core.
void Heap::CheckRootMaps() const {
  const RootIndices& r = layout_->isolate.roots;
  const uint64_t meta = Root(r.meta_map), free_space = Root(r.free_space_map);
  auto meta_map = ObjectView::At(*memory_, Tagged(meta)).Word(0);
  auto free_space_type =
      ObjectView::At(*memory_, Tagged(free_space)).Read<uint16_t>(layout_->off.map_instance_type);
  if (!IsHeapObject(meta) || !meta_map || *meta_map != meta || !IsHeapObject(free_space) ||
      !free_space_type || *free_space_type != layout_->types.free_space)
    throw Error("the Isolate's read-only roots do not match V8 " + layout_->v8.ToString() +
                "'s layout (meta map or free-space map)");
}

// V8 10.2 keeps the main thread's new- and old-space linear allocation areas at the end of
// IsolateData ({start, top, limit} twice, execution/isolate-data.h ISOLATE_DATA_FIELDS), behind
// tables whose sizes are generated per build. Find the pair: two adjacent triples, each empty or
// lying inside one page of the right space.
std::optional<uint32_t> Heap::FindLabOffsetByScan() const {
  constexpr uint32_t kScanBytes = 1 << 16;
  auto inside = [&](int space, uint64_t start, uint64_t top, uint64_t limit) {
    if (start == 0 && top == 0 && limit == 0) return true;
    if (!(start <= top && top <= limit) || start == 0) return false;
    for (const auto& p : pages_)
      if (p.space == space && start >= p.area_start && limit <= p.area_end) return true;
    return false;
  };
  std::vector<uint64_t> words(kScanBytes / 8);
  size_t got =
      memory_->Read(isolate_ + layout_->isolate.roots_offset, words.data(), kScanBytes) / 8;
  for (size_t i = 0; i + 6 <= got; ++i) {
    const uint64_t* w = &words[i];
    bool any = w[1] != 0 || w[4] != 0;
    if (any && inside(layout_->spaces.new_space, w[0], w[1], w[2]) &&
        inside(layout_->spaces.old_space, w[3], w[4], w[5]))
      return layout_->isolate.roots_offset + static_cast<uint32_t>(i * 8);
  }
  return std::nullopt;
}

void Heap::FindUnusedAreas() {
  IsolateFacts facts = layout_->isolate;
  if (!facts.new_lab_offset) {
    if (auto offset = FindLabOffsetByScan()) {
      facts.new_lab_offset = *offset;
      facts.old_lab_offset = *offset + 24;
    } else {
      warnings_.push_back("linear allocation areas not found: unused heap memory may be parsed");
    }
  }
  for (auto offset : {facts.new_lab_offset, facts.old_lab_offset}) {
    if (!offset) continue;
    const ObjectView area(*memory_, isolate_ + *offset);  // a LinearAllocationArea
    auto top = area.Word(facts.lab_top);
    auto limit = area.Word(facts.lab_limit);
    if (top && limit && *top < *limit && *limit - *top < (uint64_t{1} << 32))
      unused_.push_back(AddressRange{*top, *limit});
  }
  std::sort(unused_.begin(), unused_.end(),
            [](const AddressRange& a, const AddressRange& b) { return a.start < b.start; });
}

const Page* Heap::PageAt(Address address) const {
  auto it = std::upper_bound(by_start_.begin(), by_start_.end(), address,
                             [&](Address a, size_t i) { return a < pages_[i].start; });
  if (it == by_start_.begin()) return nullptr;
  const Page& p = pages_[*std::prev(it)];
  return address - p.start < p.size ? &p : nullptr;
}

// The unused tails of the linear allocation areas IsolateData does not hold: those of the main
// thread's other spaces (code space on 10.2/11.3, trusted and code space on 12.4/13.6: a
// MainAllocator's owned_allocation_info_, heap/main-allocator.h; before 12.4 the space's own
// allocation info, heap/spaces.h) and of every background LocalHeap (its allocators, on the
// background thread's stack or in the C++ heap). The chains that lead there (Heap ->
// main_thread_local_heap_ -> heap_allocator_ -> MainAllocator, IsolateSafepoint's list of
// LocalHeaps) differ in every version and have no exported offsets, so the triples are found by
// their shape: three aligned words start <= top < limit in anonymous writable memory outside the
// heap pages (V8's C++ objects and thread stacks), lying in one regular page's area. The walker
// uses one only where a page stops parsing exactly at its top, which a stray triple would not
// match.
std::vector<AddressRange> Heap::LabIndex::FindByShape(const Memory& memory,
                                                      const Layout& layout) const {
  std::vector<AddressRange> found;
  const uint32_t top_word = layout.isolate.lab_top / 8, limit_word = layout.isolate.lab_limit / 8;
  constexpr size_t kWindow = 1 << 20;
  std::vector<uint64_t> words(kWindow / 8 + 3);
  for (const auto& region : memory.Regions()) {
    if (!region.name.empty() || !region.writable || !region.readable) continue;
    for (Address a = region.start; a < region.end;) {
      if (const Page* p = PageAt(a)) {  // heap pages hold objects, not allocator state
        a = p->start + p->size;
        continue;
      }
      // Up to the next page or the window's end, plus the two words a triple may run over.
      Address end = std::min<Address>(region.end, a + kWindow);
      auto next = std::upper_bound(all_pages.begin(), all_pages.end(), a,
                                   [](Address x, const Page& p) { return x < p.start; });
      if (next != all_pages.end()) end = std::min<Address>(end, next->start);
      size_t got = memory.Read(a, words.data(), std::min<uint64_t>(end - a + 16, region.end - a));
      memory.Release(a, end - a);
      size_t n = got / 8;
      for (size_t i = 0; i + limit_word < n && i * 8 < end - a; ++i) {
        uint64_t start = words[i], top = words[i + top_word], limit = words[i + limit_word];
        if (start == 0 || start > top || top >= limit || limit - start > kPageSize ||
            ((start | top | limit) & 7) != 0)
          continue;
        const Page* page = PageAt(start);
        if (!page || page->large || page->read_only || page->from_space ||
            start < page->area_start || limit > page->area_end)
          continue;
        found.push_back(AddressRange{top, limit});
      }
      a = end;
    }
  }
  std::sort(found.begin(), found.end(), [](const AddressRange& x, const AddressRange& y) {
    return x.start < y.start || (x.start == y.start && x.end < y.end);
  });
  // One area per top: the shortest, should two triples disagree.
  found.erase(
      std::unique(found.begin(), found.end(),
                  [](const AddressRange& x, const AddressRange& y) { return x.start == y.start; }),
      found.end());
  return found;
}

const Page* Heap::LabIndex::PageAt(Address address) const {
  auto it = std::upper_bound(all_pages.begin(), all_pages.end(), address,
                             [](Address a, const Page& p) { return a < p.start; });
  if (it == all_pages.begin()) return nullptr;
  const Page& p = *std::prev(it);
  return address - p.start < p.size ? &p : nullptr;
}

std::optional<Address> Heap::LabLimitAt(Address top) const {
  std::call_once(labs_->once, [&] { labs_->areas = labs_->FindByShape(*memory_, *layout_); });
  const auto& areas = labs_->areas;
  auto it = std::lower_bound(areas.begin(), areas.end(), top,
                             [](const AddressRange& r, Address a) { return r.start < a; });
  if (it == areas.end() || it->start != top) return std::nullopt;
  return it->end;
}

uint64_t Heap::StackLimit() const {
  if (!layout_->isolate.stack_limit_offset) return 0;
  auto v = ObjectView(*memory_, isolate_).Word(*layout_->isolate.stack_limit_offset);
  return v && (*v & 7) == 0 ? *v : 0;
}

uint64_t Heap::Root(int index) const {
  auto v = ObjectView(*memory_, roots_).Word(static_cast<uint64_t>(index) * 8);
  return v ? *v : 0;
}

std::string Heap::SpaceName(int space) const {
  if (space >= 0 && space < static_cast<int>(layout_->spaces.names.size()))
    return layout_->spaces.names[space];
  return "unknown_space";
}

}  // namespace mortem::v8

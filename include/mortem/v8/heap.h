// Purpose: the V8 heaps of a target, located by structure: page (memory chunk) headers found by
// validating 256 KiB-aligned addresses, grouped by their Heap (one per isolate: the main thread and
// each worker thread), then kept as each space's own page list names them (src/v8/page_lists.h);
// per heap its Isolate, the roots table, and the unused linear allocation areas the walker must
// skip: the main thread's new- and old-space ones from IsolateData, and, found by their shape when
// a walk needs them, those of every other space and of background threads' LocalHeaps. The
// read-only pages are shared by all isolates.
#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/layout.h"

namespace mortem::v8 {

constexpr uint64_t kPageSize = uint64_t{1} << 18;  // kPageSizeBits = 18 on x64

struct Page {
  Address start = 0;
  uint64_t size = 0;
  Address area_start = 0;
  Address area_end = 0;
  uint64_t flags = 0;
  int space = -1;  // AllocationSpace id
  bool large = false;
  bool read_only = false;
  bool from_space = false;  // stale semi-space copy: never walked
};

struct AddressRange {
  Address start = 0;
  Address end = 0;
};

class Heap;

// Where a heap's pages came from: V8's own page list of each space (each owning space object),
// or, for a space whose list could not be used (named in the heap's warnings), the page-header
// scan. Pages whose headers still look valid but that no list names (pooled for reuse, waiting
// to be unmapped) are not the heap's.
struct PageOrigin {
  size_t listed_spaces = 0;
  size_t scanned_spaces = 0;
  // Of the listed spaces, those whose list was damaged at a link and followed the other way.
  size_t recovered_spaces = 0;
  size_t unlisted_pages = 0;
  uint64_t unlisted_bytes = 0;
};

// A heap whose pages were found but whose Heap or Isolate could not be read or validated.
struct BrokenHeap {
  Address heap = 0;
  size_t pages = 0;
  std::string reason;
};

struct DiscoveredHeaps {
  std::vector<Heap> heaps;  // in order of their Heap address
  std::vector<BrokenHeap> broken;
};

class Heap {
 public:
  // Finds every heap in the target in one pass over it; throws Error if there is none at all
  // (e.g. not a node process).
  static DiscoveredHeaps DiscoverAll(const Memory& memory, const Layout& layout);
  // The heap with the most pages (unit tests of single-heap memories); throws Error if none.
  static Heap Discover(const Memory& memory, const Layout& layout);

  Address heap_address() const { return heap_; }
  Address isolate_address() const { return isolate_; }
  const std::vector<Page>& pages() const { return pages_; }
  // Unformatted areas ([top, limit) of known linear allocation areas), sorted.
  const std::vector<AddressRange>& unused_areas() const { return unused_; }
  // The limit of a linear allocation area whose top is exactly `top`, if V8's C++ memory holds
  // one: a LinearAllocationArea {start, top, limit} with start <= top < limit inside the area of
  // one regular page of this heap. [top, limit) is then unformatted memory. The first call scans
  // the core's anonymous writable memory outside the heap pages once (thread-safe); the walker
  // asks only where a page stops parsing, so a clean core never pays for it.
  std::optional<Address> LabLimitAt(Address top) const;
  // The page whose [start, start + size) holds address, or nullptr.
  const Page* PageAt(Address address) const;
  Address roots_address() const { return roots_; }
  // The JS stack limit V8 keeps for the thread that runs this isolate (0: unknown).
  uint64_t StackLimit() const;
  // The tagged value of a root, or 0 if unreadable.
  uint64_t Root(int index) const;
  std::string SpaceName(int space) const;
  const std::vector<std::string>& warnings() const { return warnings_; }
  const PageOrigin& page_origin() const { return page_origin_; }

 private:
  struct LabIndex;
  Heap(const Memory& memory, const Layout& layout, std::shared_ptr<LabIndex> labs)
      : memory_(&memory), layout_(&layout), labs_(std::move(labs)) {}
  void IndexPages();
  void FindIsolate();
  void CheckRootMaps() const;
  void FindUnusedAreas();
  std::optional<uint32_t> FindLabOffsetByScan() const;

  // Shared by all the heaps of a target: the scan for allocation areas runs once, outside the
  // pages of every heap.
  struct LabIndex {
    std::once_flag once;
    std::vector<Page> all_pages;      // of every heap, sorted by start
    std::vector<AddressRange> areas;  // [top, limit), sorted by top
    const Page* PageAt(Address address) const;
    std::vector<AddressRange> FindByShape(const Memory& memory, const Layout& layout) const;
  };

  const Memory* memory_;
  const Layout* layout_;
  Address heap_ = 0;
  Address isolate_ = 0;
  Address roots_ = 0;
  std::vector<Page> pages_;
  std::vector<size_t> by_start_;  // indices of pages_ sorted by start
  std::shared_ptr<LabIndex> labs_;
  std::vector<AddressRange> unused_;
  std::vector<std::string> warnings_;
  PageOrigin page_origin_;
};

}  // namespace mortem::v8

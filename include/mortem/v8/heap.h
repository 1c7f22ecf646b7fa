// Purpose: the V8 heap of a target, located by structure: every page (memory chunk) found by
// validating page headers at 256 KiB-aligned addresses, each with its space; the Heap and
// Isolate; the roots table; and the unused linear allocation areas the walker must skip: the main
// thread's new- and old-space ones from IsolateData, and, found by their shape when a walk needs
// them, those of every other space and of background threads' LocalHeaps.
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

class Heap {
 public:
  // Finds the heap in the target; throws Error if there is none (e.g. not a node process).
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
  // The tagged value of a root, or 0 if unreadable.
  uint64_t Root(int index) const;
  std::string SpaceName(int space) const;
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Heap(const Memory& memory, const Layout& layout) : memory_(&memory), layout_(&layout) {}
  void FindPages();
  void FindIsolate();
  void CheckRootMaps() const;
  void FindUnusedAreas();
  std::optional<uint32_t> FindLabOffsetByScan() const;
  std::vector<AddressRange> FindLabsByShape() const;

  struct LabIndex {
    std::once_flag once;
    std::vector<AddressRange> areas;  // [top, limit), sorted by top
  };

  const Memory* memory_;
  const Layout* layout_;
  Address heap_ = 0;
  Address isolate_ = 0;
  Address roots_ = 0;
  std::vector<Page> pages_;
  std::vector<size_t> by_start_;  // indices of pages_ sorted by start
  std::shared_ptr<LabIndex> labs_ = std::make_shared<LabIndex>();
  std::vector<AddressRange> unused_;
  std::vector<std::string> warnings_;
};

}  // namespace mortem::v8

// Purpose: walks the heap by structure: every page, object by object, advancing by each object's
// map-derived size. Fillers are reported as such, known unused allocation areas are jumped over,
// objects moved by a compaction (a forwarding map word) are sized from their live copy and
// counted as moved, and a position that is not an object start is resynchronised (the skipped
// bytes are counted and the page reported), never trusted. Pages are spread over worker threads.
#pragma once
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "mortem/v8/heap.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/object_size.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {

struct HeapObject {
  Address address = 0;  // untagged start
  const Page* page = nullptr;
  const MapInfo* map = nullptr;
  uint64_t size = 0;
  std::span<const std::byte> body;  // bytes from the start to the end of the page area
  ObjectBytes bytes() const { return ObjectBytes(body); }
  // The word at `offset` of the object's bytes; 0 past the end of the page area.
  uint64_t Word(uint64_t offset) const { return bytes().Word(offset); }
};

struct PageWalkStats {
  uint64_t object_bytes = 0;  // live or dead objects, excluding fillers
  uint64_t filler_bytes = 0;
  uint64_t unused_bytes = 0;      // unused allocation areas, zeroed tails
  uint64_t skipped_bytes = 0;     // could not be parsed; resynchronised past
  uint64_t unreadable_bytes = 0;  // not in the core
  uint64_t objects = 0;
  // Stale copies left by an evacuation: their map word is a forwarding address to the live copy
  // (counted, never visited; the live copy is walked on its own page).
  uint64_t moved_objects = 0;
  uint64_t moved_bytes = 0;
  // Dead objects the walk recognises as dead although their size is lost (11.3 code streams
  // whose Code was collected, on a page not yet swept): neither objects nor unparsed.
  uint64_t dead_objects = 0;
  uint64_t dead_bytes = 0;
  uint64_t lab_bytes = 0;  // of unused_bytes: tails of allocation areas found by their shape
  uint64_t resyncs = 0;
  std::string first_problem;  // e.g. "no size rule for type 261 at 0x..."
  void Add(const PageWalkStats& o);
};

struct WalkResult {
  std::vector<PageWalkStats> pages;  // parallel to Heap::pages()
  PageWalkStats total;
};

// Called for every object (fillers excluded); thread is the worker index (0..threads-1).
using ObjectVisitor = std::function<void(unsigned thread, const HeapObject& object)>;

class HeapWalker {
 public:
  HeapWalker(const Memory& memory, const Layout& layout, const Heap& heap)
      : memory_(memory), layout_(layout), heap_(heap), sizes_(layout, memory) {}

  static unsigned DefaultThreads();
  WalkResult WalkAll(unsigned threads, const ObjectVisitor& visit) const;
  // The pages at these indices of Heap::pages() only; result.pages is parallel to `indices`.
  WalkResult WalkPages(std::span<const size_t> indices, unsigned threads,
                       const ObjectVisitor& visit) const;
  PageWalkStats WalkPage(const Page& page, MapCache& maps, unsigned thread,
                         const ObjectVisitor& visit) const;

 private:
  const Memory& memory_;
  const Layout& layout_;
  // A stale copy whose map word is `word`: its size and type, if word is a forwarding address to
  // an object of the heap with a valid map.
  struct Moved {
    uint64_t size = 0;
    uint16_t type = 0;
  };
  std::optional<Moved> MovedTo(uint64_t word, MapCache& maps) const;
  uint64_t AfterDeadCodeStream(std::span<const std::byte> bytes, uint64_t pos, const Page& page,
                               uint64_t map_word, const MapInfo& map, MapCache& maps) const;
  std::optional<uint64_t> OverlappingStart(std::span<const std::byte> bytes, uint64_t object,
                                           uint64_t failed, MapCache& maps) const;

  const Heap& heap_;
  SizeRules sizes_;
};

}  // namespace mortem::v8

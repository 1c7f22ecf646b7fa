#include "mortem/v8/walker.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "mortem/core/parallel.h"
#include "mortem/core/text.h"
#include "mortem/v8/object_size.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

// Largest page area the walker copies when the core does not hold it in one piece.
constexpr uint64_t kMaxCopiedArea = uint64_t{256} << 20;

uint64_t WordAt(std::span<const std::byte> bytes, uint64_t offset) {
  return ObjectBytes(bytes).Word(offset);
}

// Copies [start, start + out.size()) into out; bytes in guard regions the process could not read
// (NoAccessEnd, e.g. 14.6's read-only pages, whose hole objects are followed by inaccessible
// memory) stay zero, which the walk counts as unused. Returns the length of the prefix that was
// read or is guard; the rest is missing from the core.
size_t ReadArea(const Memory& memory, Address start, std::vector<std::byte>& out) {
  size_t done = 0;
  for (int pieces = 0; done < out.size() && pieces < 1024; ++pieces) {
    done += memory.Read(start + done, out.data() + done, out.size() - done);
    if (done == out.size()) break;
    auto guard_end = memory.NoAccessEnd(start + done);
    if (!guard_end || *guard_end <= start + done) break;
    done = static_cast<size_t>(std::min<uint64_t>(*guard_end - start, out.size()));
  }
  return done;
}

}  // namespace

void PageWalkStats::Add(const PageWalkStats& o) {
  object_bytes += o.object_bytes;
  filler_bytes += o.filler_bytes;
  unused_bytes += o.unused_bytes;
  skipped_bytes += o.skipped_bytes;
  unreadable_bytes += o.unreadable_bytes;
  objects += o.objects;
  moved_objects += o.moved_objects;
  moved_bytes += o.moved_bytes;
  dead_objects += o.dead_objects;
  dead_bytes += o.dead_bytes;
  lab_bytes += o.lab_bytes;
  resyncs += o.resyncs;
  if (first_problem.empty()) first_problem = o.first_problem;
}

unsigned HeapWalker::DefaultThreads() {
  return std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
}

// MapWord (objects/map-word-inl.h at each tag): built without V8_EXTERNAL_CODE_SPACE, as Node's
// are (v8_enable_external_code_space 0, see v8-heap-brief.md 2), a forwarding map word is the
// live copy's untagged address, MapWord::FromForwardingAddress storing object.ptr() -
// kHeapObjectTag: low bits kForwardingTag 0 (10.2: IsForwardingAddress is HAS_SMI_TAG, the same
// for an aligned address). The stale copy has the size of the live one.
std::optional<HeapWalker::Moved> HeapWalker::MovedTo(uint64_t word, MapCache& maps) const {
  constexpr uint64_t kMaxCopied = 64 << 10;
  if (word == 0 || (word & 7) != 0) return std::nullopt;
  const Page* target = heap_.PageAt(word);
  if (!target || target->read_only || target->from_space || word < target->area_start ||
      word + 8 > target->area_end)
    return std::nullopt;
  auto map_word = memory_.ReadWord(word);
  if (!map_word || !Tagged(*map_word).IsStrong()) return std::nullopt;
  const MapInfo* map = maps.Get(*map_word - 1);
  if (!map || map->instance_type == layout_.types.free_space ||
      map->instance_type == layout_.types.filler)
    return std::nullopt;
  const uint64_t available = target->area_end - word;
  auto body = memory_.View(word, available);
  std::vector<std::byte> copy;
  if (body.size() != available) {
    copy.resize(std::min(available, kMaxCopied));
    copy.resize(memory_.Read(word, copy.data(), copy.size()));
    body = copy;
  }
  auto size = sizes_.SizeOf(*map, body, word);
  if (!size) return std::nullopt;
  return Moved{*size, map->instance_type};
}

PageWalkStats HeapWalker::WalkPage(const Page& page, MapCache& maps, unsigned thread,
                                   const ObjectVisitor& visit) const {
  PageWalkStats stats;
  if (page.from_space) return stats;
  const uint64_t area = page.area_end - page.area_start;
  memory_.Prefetch(page.area_start, area);
  auto bytes = memory_.View(page.area_start, area);
  std::vector<std::byte> copy;
  if (bytes.size() != area && area > kMaxCopiedArea) {
    // Not contiguous in the core and too large to copy: a corrupt header or a huge object split
    // across mappings. Report it rather than trust the size.
    stats.unreadable_bytes = area;
    stats.first_problem = "page area of " + std::to_string(area) + " bytes at " +
                          Hex(page.area_start) + " is not contiguous in the core";
    return stats;
  }
  if (bytes.size() != area) {
    copy.resize(area);
    size_t got = ReadArea(memory_, page.area_start, copy);
    if (got < area) {
      stats.unreadable_bytes = area - got;
      stats.first_problem = "page area not fully in the core from " + Hex(page.area_start + got);
    }
    copy.resize(got);
    bytes = copy;
  }
  const auto& unused = heap_.unused_areas();
  const Types& t = layout_.types;
  // An object is visited once the walk has parsed what follows it: a dead object whose tail the
  // allocator reused (a core taken while the sweeper and the allocator work on a page) is then
  // dropped rather than visited, and the walk goes on at the object that overlaps it.
  struct Pending {
    uint64_t pos = 0, size = 0;
    const MapInfo* map = nullptr;
  };
  std::optional<Pending> pending;
  auto flush = [&] {
    if (pending)
      visit(thread, HeapObject{page.area_start + pending->pos, &page, pending->map, pending->size,
                               bytes.subspan(pending->pos)});
    pending.reset();
  };
  uint64_t pos = 0;
  bool resyncing = false;
  Address previous = 0;
  uint16_t previous_type = 0;
  uint64_t zero_start = 0, zero_end = 0;  // the last run of zero words [start, end)
  while (pos + 8 <= bytes.size()) {
    const Address address = page.area_start + pos;
    // Jump over a known unused linear allocation area.
    auto lab = std::upper_bound(unused.begin(), unused.end(), address,
                                [](Address a, const AddressRange& r) { return a < r.start; });
    if (lab != unused.begin() && address < std::prev(lab)->end) {
      uint64_t end = std::min<uint64_t>(std::prev(lab)->end - page.area_start, bytes.size());
      stats.unused_bytes += end - pos;
      pos = end;
      continue;
    }
    uint64_t word = WordAt(bytes, pos);
    if (word == 0 && !resyncing) {
      // Zeroed tail (read-only pages end so; fresh new-space memory is zero).
      uint64_t end = pos;
      while (end + 8 <= bytes.size() && WordAt(bytes, end) == 0) end += 8;
      stats.unused_bytes += end - pos;
      zero_start = pos;
      zero_end = end;
      pos = end;
      continue;
    }
    const MapInfo* map = Tagged(word).IsStrong() ? maps.Get(word - 1) : nullptr;
    std::optional<uint64_t> size;
    if (map) size = sizes_.SizeOf(*map, bytes.subspan(pos), address);
    if (map && !size && sizes_.IsDeadCodeStream(*map, bytes.subspan(pos), address)) {
      flush();
      const uint64_t end = AfterDeadCodeStream(bytes, pos, page, word, *map, maps);
      ++stats.dead_objects;
      stats.dead_bytes += end - pos;
      resyncing = false;
      previous = address;
      previous_type = map->instance_type;
      pos = end;
      continue;
    }
    if (!map || !size || *size < 8 || *size > bytes.size() - pos) {
      if (!resyncing && (word & 3) == 0) {
        if (auto moved = MovedTo(word, maps);
            moved && moved->size >= 8 && moved->size <= bytes.size() - pos) {
          ++stats.moved_objects;
          stats.moved_bytes += moved->size;
          previous = address;
          previous_type = moved->type;
          pos += moved->size;
          continue;
        }
      }
      if (!resyncing) {
        // The unused tail of an allocation area that IsolateData does not hold: the walk stops
        // exactly at its top, or at the end of a run of zeros that began there.
        Address top = address;
        auto limit = heap_.LabLimitAt(top);
        if (!limit && zero_end == pos && zero_start < zero_end) {
          top = page.area_start + zero_start;
          limit = heap_.LabLimitAt(top);
        }
        if (limit && *limit > address && *limit <= page.area_end) {
          uint64_t end = std::min<uint64_t>(*limit - page.area_start, bytes.size());
          stats.unused_bytes += end - pos;
          stats.lab_bytes += *limit - top;
          pos = end;
          continue;
        }
      }
      if (!resyncing && pending) {
        if (auto start = OverlappingStart(bytes, pending->pos, pos, maps)) {
          // The pending object is stale: its bytes up to the overlapping object are unused.
          stats.object_bytes -= pending->size;
          --stats.objects;
          stats.unused_bytes += *start - pending->pos;
          pending.reset();
          pos = *start;
          continue;
        }
      }
      if (page.space == layout_.spaces.new_space && !resyncing) {
        // A semispace page is allocated linearly up to its allocation top; what lies beyond is
        // stale memory of earlier cycles (V8 cannot iterate it either without
        // MakeHeapIterable). The rest of the page is unused, not a parse failure.
        stats.unused_bytes += bytes.size() - pos;
        break;
      }
      if (!resyncing) {
        ++stats.resyncs;
        if (stats.first_problem.empty())
          stats.first_problem =
              (map ? "no size for " + layout_.TypeName(map->instance_type) + " at " + Hex(address)
                   : "not an object start at " + Hex(address)) +
              (previous
                   ? " (after " + layout_.TypeName(previous_type) + " at " + Hex(previous) + ")"
                   : "");
      }
      resyncing = true;
      flush();
      stats.skipped_bytes += 8;
      pos += 8;
      continue;
    }
    resyncing = false;
    uint16_t type = map->instance_type;
    previous = address;
    previous_type = type;
    flush();
    if (type == t.free_space || type == t.filler) {
      stats.filler_bytes += *size;
    } else {
      stats.object_bytes += *size;
      ++stats.objects;
      pending = Pending{pos, *size, map};
    }
    pos += *size;
  }
  flush();
  return stats;
}

// Where the next object starts after the dead code stream at pos: at the next InstructionStream
// whose Code points back at it, a free-space filler that ends where such a start follows, an
// unused allocation area, or the area's end. The code space holds only streams and fillers, so
// nothing live is passed over.
uint64_t HeapWalker::AfterDeadCodeStream(std::span<const std::byte> bytes, uint64_t pos,
                                         const Page& page, uint64_t map_word, const MapInfo& map,
                                         MapCache& maps) const {
  const auto& unused = heap_.unused_areas();
  auto in_unused = [&](uint64_t q) {
    const Address address = page.area_start + q;
    auto lab = std::upper_bound(unused.begin(), unused.end(), address,
                                [](Address a, const AddressRange& r) { return a < r.start; });
    return lab != unused.begin() && address < std::prev(lab)->end;
  };
  auto live_stream = [&](uint64_t q) {
    return WordAt(bytes, q) == map_word &&
           sizes_.SizeOf(map, bytes.subspan(q), page.area_start + q).has_value();
  };
  auto filler_size = [&](uint64_t q) -> std::optional<uint64_t> {
    const uint64_t word = WordAt(bytes, q);
    const MapInfo* m = Tagged(word).IsStrong() ? maps.Get(word - 1) : nullptr;
    if (!m ||
        (m->instance_type != layout_.types.free_space && m->instance_type != layout_.types.filler))
      return std::nullopt;
    auto size = sizes_.SizeOf(*m, bytes.subspan(q));
    if (!size || *size < 8 || *size > bytes.size() - q) return std::nullopt;
    return size;
  };
  for (uint64_t q = pos + 8; q + 8 <= bytes.size(); q += 8) {
    if (in_unused(q) || live_stream(q)) return q;
    if (auto size = filler_size(q)) {
      const uint64_t end = q + *size;
      if (end + 8 > bytes.size() || WordAt(bytes, end) == 0 || in_unused(end) || live_stream(end) ||
          filler_size(end))
        return q;
    }
  }
  return bytes.size();
}

// Where the walk failed at `failed` right after the object at `object`: an object that starts
// inside that one and ends past `failed`, followed by an object start, the area's end or zeros.
// It means the object at `object` was dead and the allocator reused its tail.
std::optional<uint64_t> HeapWalker::OverlappingStart(std::span<const std::byte> bytes,
                                                     uint64_t object, uint64_t failed,
                                                     MapCache& maps) const {
  for (uint64_t q = object + 8; q + 8 <= failed; q += 8) {
    const uint64_t word = WordAt(bytes, q);
    if (!Tagged(word).IsStrong()) continue;
    const MapInfo* map = maps.Get(word - 1);
    if (!map) continue;
    auto size = sizes_.SizeOf(*map, bytes.subspan(q));
    if (!size || *size < 8 || *size > bytes.size() - q || q + *size <= failed) continue;
    const uint64_t end = q + *size;
    if (end + 8 > bytes.size()) return q;
    const uint64_t next = WordAt(bytes, end);
    if (next == 0 || (Tagged(next).IsStrong() && maps.Get(next - 1))) return q;
  }
  return std::nullopt;
}

WalkResult HeapWalker::WalkAll(unsigned threads, const ObjectVisitor& visit) const {
  std::vector<size_t> all(heap_.pages().size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return WalkPages(all, threads, visit);
}

WalkResult HeapWalker::WalkPages(std::span<const size_t> indices, unsigned threads,
                                 const ObjectVisitor& visit) const {
  const auto& pages = heap_.pages();
  WalkResult result;
  result.pages.resize(indices.size());
  struct Worker {
    MapCache maps;
    unsigned thread;
  };
  ParallelFor(
      indices.size(), threads,
      [&](unsigned thread) {
        return Worker{MapCache(memory_, layout_), thread};
      },
      [&](Worker& worker, size_t i) {
        const Page& page = pages.at(indices[i]);
        result.pages[i] = WalkPage(page, worker.maps, worker.thread, visit);
        memory_.Release(page.area_start, page.area_end - page.area_start);
      });
  for (const auto& p : result.pages) result.total.Add(p);
  return result;
}

}  // namespace mortem::v8

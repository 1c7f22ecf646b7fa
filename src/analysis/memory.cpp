// RunMemory: every mapping classified, V8's heap per space, the backing stores located, malloc
// accounted (mortem/native), and the sentences.
#include "mortem/analysis/memory.h"

#include <algorithm>

#include "mortem/analysis/buffers.h"
#include "mortem/core/error.h"
#include "mortem/core/text.h"

namespace mortem {
namespace {

using native::MallocReport;

}  // namespace

std::vector<Mapping> SessionMappings(Session& session) {
  if (!session.facts().mappings.empty()) return session.facts().mappings;
  std::vector<Mapping> out;
  for (const auto& r : session.memory().Regions())
    out.push_back(Mapping{.start = r.start,
                          .end = r.end,
                          .readable = r.readable,
                          .writable = r.writable,
                          .executable = r.executable,
                          .path = r.name,
                          .core_bytes = r.size()});
  return out;
}

namespace {

bool IsLibrary(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1);
  return name.ends_with(".so") || name.find(".so.") != std::string::npos;
}

// The mmapped malloc chunks laid end to end from a mapping's start: their bytes (0: none).
uint64_t MmappedChunksFrom(const Memory& memory, const Mapping& m) {
  uint64_t bytes = 0;
  for (Address p = m.start; p + 16 <= m.end;) {
    const auto size = native::MmappedChunkAt(memory, p + 16);
    if (!size || *size > m.end - p) break;
    bytes += *size;
    p += *size;
  }
  return bytes;
}

class Classifier {
 public:
  Classifier(Session& session, const MallocReport& malloc, const std::vector<v8::Page>* pages)
      : session_(session), malloc_(malloc) {
    if (pages)
      for (const auto& p : *pages) pages_.push_back({p.start, p.start + p.size});
    std::sort(pages_.begin(), pages_.end());
  }

  MappingInfo Classify(const Mapping& m) {
    MappingInfo info{m, MemoryCategory::kAnonymous, ""};
    const auto& facts = session_.facts();
    for (size_t i = 0; i < facts.threads.size(); ++i)
      if (m.Contains(facts.threads[i].sp)) {
        info.category = MemoryCategory::kThreadStack;
        info.detail = "thread " + std::to_string(i + 1) + " (tid " +
                      std::to_string(facts.threads[i].tid) + ")";
        return info;
      }
    if (Arena(m, info)) return info;
    if (HasV8Page(m)) {
      info.category = MemoryCategory::kV8Heap;
      return info;
    }
    if (!m.path.empty()) {
      info.category = m.path == facts.executable || m.path == facts.binary_path
                          ? MemoryCategory::kBinary
                      : IsLibrary(m.path) ? MemoryCategory::kLibrary
                                          : MemoryCategory::kFile;
      return info;
    }
    if (!m.readable) {
      info.category = MemoryCategory::kReserved;
      return info;
    }
    if (const uint64_t bytes = MmappedChunksFrom(session_.memory(), m)) {
      info.category = MemoryCategory::kMallocMmapped;
      info.detail = Grouped(bytes) + " bytes of chunks";
      mmapped_bytes_ += bytes;
      return info;
    }
    return info;
  }

  // A no-access mapping just below a thread stack is its guard.
  static void MarkGuards(std::vector<MappingInfo>& mappings) {
    for (size_t i = 0; i + 1 < mappings.size(); ++i) {
      auto& m = mappings[i];
      const auto& above = mappings[i + 1];
      if (above.category == MemoryCategory::kThreadStack && !m.mapping.readable &&
          m.mapping.path.empty() && m.mapping.end == above.mapping.start &&
          m.category == MemoryCategory::kReserved) {
        m.category = MemoryCategory::kStackGuard;
        m.detail = "below " + above.detail;
      }
    }
  }

  uint64_t mmapped_bytes() const { return mmapped_bytes_; }

 private:
  bool Arena(const Mapping& m, MappingInfo& info) {
    for (const auto& arena : malloc_.arenas)
      for (const auto& h : arena.heaps) {
        const std::string name =
            std::string(arena.main ? "main arena " : "arena ") + Hex(arena.address);
        if (m.start < h.end && h.start < m.end && m.readable) {
          info.category = MemoryCategory::kMallocArena;
          info.detail = name;
          // The kernel merges neighbouring mappings: mmapped chunks may share this one with
          // the segments of a non-contiguous main arena.
          if (const uint64_t bytes = MmappedChunksBesideHeaps(m)) {
            info.detail += ", and " + Grouped(bytes) + " bytes of mmapped chunks";
            mmapped_bytes_ += bytes;
          }
          return true;
        }
        if (m.start >= h.end - 4096 && m.end <= h.reserved_end && h.reserved_end > h.end &&
            !m.readable) {
          info.category = MemoryCategory::kMallocReserve;
          info.detail = name;
          return true;
        }
      }
    return false;
  }

  // The mmapped chunks in the parts of m that no arena heap covers, each part walked from its
  // start.
  uint64_t MmappedChunksBesideHeaps(const Mapping& m) const {
    std::vector<std::pair<Address, Address>> heaps;
    for (const auto& arena : malloc_.arenas)
      for (const auto& h : arena.heaps)
        if (h.start < m.end && m.start < h.end) heaps.emplace_back(h.start, h.end);
    std::sort(heaps.begin(), heaps.end());
    uint64_t bytes = 0;
    Address gap = m.start;
    heaps.emplace_back(m.end, m.end);
    for (const auto& [start, end] : heaps) {
      if (start > gap) {
        Mapping part = m;
        part.start = gap;
        part.end = start;
        bytes += MmappedChunksFrom(session_.memory(), part);
      }
      gap = std::max(gap, end);
    }
    return bytes;
  }

  bool HasV8Page(const Mapping& m) const {
    auto it =
        std::lower_bound(pages_.begin(), pages_.end(), std::pair<Address, Address>{m.start, 0});
    if (it != pages_.begin() && std::prev(it)->second > m.start) return true;
    return it != pages_.end() && it->first < m.end;
  }

  Session& session_;
  const MallocReport& malloc_;
  std::vector<std::pair<Address, Address>> pages_;
  uint64_t mmapped_bytes_ = 0;
};

MemoryTotals Totals(const std::vector<MappingInfo>& mappings) {
  MemoryTotals t;
  for (int c = 0; c < kMemoryCategories; ++c)
    t.by_category.push_back(CategoryTotal{static_cast<MemoryCategory>(c)});
  for (const auto& m : mappings) {
    auto& c = t.by_category[static_cast<int>(m.category)];
    ++c.mappings;
    c.bytes += m.mapping.size();
    c.core_bytes += m.mapping.core_bytes;
    ++t.mappings;
    t.mapped_bytes += m.mapping.size();
    t.core_bytes += m.mapping.core_bytes;
  }
  return t;
}

// Every isolate's heap per space (named "isolate N: space" where there are several).
void AddV8(Session& session, MemoryResult& r) {
  const InfoResult info = RunInfo(session);
  for (const auto& isolate : info.isolates)
    for (const auto& s : isolate.spaces) {
      std::string name = info.isolates.size() == 1
                             ? s.name
                             : "isolate " + std::to_string(isolate.isolate.index) + ": " + s.name;
      r.v8_spaces.push_back(SpaceTotal{name, s.pages, s.committed, s.used});
      r.v8_committed += s.committed;
      r.v8_used += s.used;
    }
  r.v8_heap_found = true;
}

void AddIsolateBackingStores(Session& session, MemoryResult& r);

// Every isolate's pages (the read-only ones, which isolates share, once).
std::vector<v8::Page> AllPages(Session& session) {
  std::vector<v8::Page> pages;
  const size_t selected = session.selected_isolate();
  for (const auto& isolate : session.isolates()) {
    session.SelectIsolate(isolate.index);
    for (const auto& p : session.heap().pages())
      if (!p.read_only || isolate.index == 0) pages.push_back(p);
  }
  session.SelectIsolate(selected);
  return pages;
}

void AddBackingStores(Session& session, MemoryResult& r) {
  const size_t selected = session.selected_isolate();
  for (const auto& isolate : session.isolates()) {
    session.SelectIsolate(isolate.index);
    AddIsolateBackingStores(session, r);
  }
  session.SelectIsolate(selected);
}

void AddIsolateBackingStores(Session& session, MemoryResult& r) {
  const BuffersResult buffers = RunBuffers(session, BuffersOptions{});
  auto& b = r.backing_stores;
  b.allocator_bytes += buffers.totals.allocator_bytes;
  for (const auto& ab : buffers.array_buffers) {
    if (ab.backing_store == 0 || ab.detached || ab.byte_length == 0 || ab.kind == "on-heap")
      continue;
    ++b.count;
    b.bytes += ab.byte_length;
    if (r.malloc.ArenaHolding(ab.backing_store)) {
      ++b.in_arena_count;
      b.in_arena_bytes += ab.byte_length;
    } else if (native::MmappedChunkAt(session.memory(), ab.backing_store)) {
      ++b.in_mmapped_count;
      b.in_mmapped_bytes += ab.byte_length;
    } else {
      ++b.elsewhere_count;
      b.elsewhere_bytes += ab.byte_length;
    }
  }
}

std::string Percent(uint64_t part, uint64_t whole) {
  return whole ? std::to_string((part * 100 + whole / 2) / whole) + "%" : "0%";
}

void AddMallocSentences(const MallocReport& m, std::vector<std::string>& out) {
  if (m.allocator != "glibc") {
    if (m.allocator != "unknown")
      out.push_back("malloc is " + m.allocator + " (" + m.allocator_path +
                    "), not glibc's: its own arenas are not accounted here");
    return;
  }
  for (auto& sentence : FragmentationSentences(m)) out.push_back(std::move(sentence));
  if (m.arenas.size() > 1)
    out.push_back(std::to_string(m.arenas.size()) + " malloc arenas: the main one and " +
                  std::to_string(m.arenas.size() - 1) +
                  " that other threads made (libuv's threadpool, worker threads, V8's platform "
                  "threads), each with its own free memory; MALLOC_ARENA_MAX caps them");
  if (m.mmapped_chunks)
    out.push_back(std::to_string(m.mmapped_chunks) +
                  (m.mmapped_chunks == 1 ? " large allocation is an mmapped chunk: "
                                         : " large allocations are mmapped chunks: ") +
                  HumanBytes(m.mmapped_bytes) + ", returned to the system when freed");
}

void AddSentences(MemoryResult& r) {
  const auto& t = r.totals;
  auto bytes_of = [&](MemoryCategory c) { return t.by_category[static_cast<int>(c)].bytes; };
  r.sentences.push_back(
      "The process mapped " + HumanBytes(t.mapped_bytes) + " in " + Grouped(t.mappings) +
      " mappings: V8 heap " + HumanBytes(bytes_of(MemoryCategory::kV8Heap)) + ", malloc " +
      HumanBytes(bytes_of(MemoryCategory::kMallocArena) +
                 bytes_of(MemoryCategory::kMallocMmapped)) +
      ", thread stacks " + HumanBytes(bytes_of(MemoryCategory::kThreadStack)) +
      ", binary and libraries " +
      HumanBytes(bytes_of(MemoryCategory::kBinary) + bytes_of(MemoryCategory::kLibrary)) +
      ", no-access reservations " +
      HumanBytes(bytes_of(MemoryCategory::kReserved) + bytes_of(MemoryCategory::kMallocReserve) +
                 bytes_of(MemoryCategory::kStackGuard)) +
      ", other " +
      HumanBytes(bytes_of(MemoryCategory::kAnonymous) + bytes_of(MemoryCategory::kFile)) +
      "; the core holds " + HumanBytes(t.core_bytes) + " of it");
  AddMallocSentences(r.malloc, r.sentences);
  const auto& b = r.backing_stores;
  if (b.count)
    r.sentences.push_back("Buffers' backing stores: " + HumanBytes(b.bytes) + " in " +
                          Grouped(b.count) + ", " + HumanBytes(b.in_arena_bytes) +
                          " in malloc arenas, " + HumanBytes(b.in_mmapped_bytes) +
                          " in mmapped chunks, " + HumanBytes(b.elsewhere_bytes) + " elsewhere");
  if (r.v8_heap_found) {
    const std::string dominates =
        NativeDominatesSentence(MallocNativeBytes(r.malloc), r.v8_committed);
    if (!dominates.empty()) r.sentences.push_back(dominates);
  }
}

}  // namespace

uint64_t MallocNativeBytes(const native::MallocReport& malloc) {
  uint64_t bytes = malloc.mmapped_bytes;
  for (const auto& a : malloc.arenas) bytes += a.system_bytes;
  return bytes;
}

uint64_t MallocFreeBytes(const native::MallocReport& malloc) {
  uint64_t bytes = 0;
  for (const auto& a : malloc.arenas) bytes += a.free_bytes();
  return bytes;
}

std::vector<std::string> FragmentationSentences(const native::MallocReport& m) {
  std::vector<std::string> out;
  for (const auto& a : m.arenas) {
    const uint64_t free = a.free_bytes();
    if (free < (uint64_t{8} << 20) || free * 4 < a.system_bytes) continue;
    out.push_back("glibc malloc holds " + HumanBytes(free) + " free in " +
                  (a.main ? std::string("its main arena") : "the arena at " + Hex(a.address)) +
                  " (" + Percent(free, a.system_bytes) + " of its " + HumanBytes(a.system_bytes) +
                  "): fragmentation. Try MALLOC_ARENA_MAX=2, jemalloc (LD_PRELOAD), or "
                  "malloc_trim");
  }
  return out;
}

std::string NativeDominatesSentence(uint64_t native_bytes, uint64_t v8_committed) {
  if (native_bytes <= 2 * v8_committed || native_bytes <= (uint64_t{32} << 20)) return "";
  return "Native memory dominates: malloc holds " + HumanBytes(native_bytes) + ", the JS heap " +
         HumanBytes(v8_committed) +
         " -- look at Buffers, native addons and the allocator, not JS objects";
}

const char* CategoryName(MemoryCategory c) {
  switch (c) {
    case MemoryCategory::kV8Heap:
      return "v8 heap";
    case MemoryCategory::kMallocArena:
      return "malloc arena";
    case MemoryCategory::kMallocReserve:
      return "malloc reserve";
    case MemoryCategory::kMallocMmapped:
      return "malloc mmapped";
    case MemoryCategory::kThreadStack:
      return "thread stack";
    case MemoryCategory::kStackGuard:
      return "stack guard";
    case MemoryCategory::kBinary:
      return "binary";
    case MemoryCategory::kLibrary:
      return "library";
    case MemoryCategory::kFile:
      return "file";
    case MemoryCategory::kReserved:
      return "reserved";
    case MemoryCategory::kAnonymous:
      return "anonymous";
  }
  return "anonymous";
}

MemoryResult RunMemory(Session& session) {
  MemoryResult r;
  const std::vector<Mapping> mappings = SessionMappings(session);
  r.malloc = native::ReadMalloc(session.memory(), mappings);
  std::vector<v8::Page> all_pages;
  const std::vector<v8::Page>* pages = nullptr;
  try {
    all_pages = AllPages(session);
    pages = &all_pages;
    AddV8(session, r);
    AddBackingStores(session, r);
  } catch (const Error& e) {
    r.warnings.push_back(std::string("no V8 heap accounted: ") + e.what());
  }
  Classifier classifier(session, r.malloc, pages);
  for (const auto& m : mappings) r.mappings.push_back(classifier.Classify(m));
  Classifier::MarkGuards(r.mappings);
  r.totals = Totals(r.mappings);
  if (r.malloc.malloc_par && classifier.mmapped_bytes() != r.malloc.mmapped_bytes)
    r.warnings.push_back("the mmapped chunks found at mappings' starts (" +
                         Grouped(classifier.mmapped_bytes()) + " bytes) differ from mp_'s " +
                         Grouped(r.malloc.mmapped_bytes));
  AddSentences(r);
  for (const auto& w : r.malloc.warnings) r.warnings.push_back(w);
  for (const auto& w : session.Warnings()) r.warnings.push_back(w);
  r.partial = r.malloc.partial;
  return r;
}

}  // namespace mortem

// `memory` as JSON and as text.
#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {
namespace {

nlohmann::json Tally(const native::ChunkTally& t) {
  return {{"count", t.count}, {"bytes", t.bytes}};
}

nlohmann::json ArenaJson(const native::MallocArena& a) {
  nlohmann::json heaps = nlohmann::json::array();
  for (const auto& h : a.heaps)
    heaps.push_back(
        {{"start", Hex(h.start)}, {"end", Hex(h.end)}, {"reserved_end", Hex(h.reserved_end)}});
  return {{"address", Hex(a.address)},
          {"main", a.main},
          {"system_bytes", a.system_bytes},
          {"max_system_bytes", a.max_system_bytes},
          {"in_use_bytes", a.in_use_bytes()},
          {"free_bytes", a.free_bytes()},
          {"free",
           {{"tcache", Tally(a.tcache)},
            {"fastbins", Tally(a.fastbins)},
            {"unsorted", Tally(a.unsorted)},
            {"small_bins", Tally(a.small_bins)},
            {"large_bins", Tally(a.large_bins)},
            {"top", Tally(a.top)}}},
          {"chunks", a.walked.count},
          {"unwalked_bytes", a.unwalked_bytes},
          {"attached_threads", a.attached_threads},
          {"contiguous", a.contiguous},
          {"heaps", heaps}};
}

nlohmann::json MallocJson(const native::MallocReport& m) {
  nlohmann::json arenas = nlohmann::json::array();
  uint64_t system = 0, in_use = 0, free = 0, tcache = 0;
  for (const auto& a : m.arenas) {
    arenas.push_back(ArenaJson(a));
    system += a.system_bytes;
    in_use += a.in_use_bytes();
    free += a.free_bytes();
    tcache += a.tcache.bytes;
  }
  return {{"allocator", m.allocator},
          {"allocator_path", m.allocator_path},
          {"glibc_version", m.glibc_version},
          {"libc_path", m.libc_path},
          {"layout_known", m.layout_known},
          {"main_arena", m.main_arena ? Hex(m.main_arena) : ""},
          {"malloc_par", m.malloc_par ? Hex(m.malloc_par) : ""},
          {"arenas", arenas},
          {"system_bytes", system},
          {"in_use_bytes", in_use},
          {"free_bytes", free},
          {"tcache_bytes", tcache},
          {"tcaches", m.tcaches},
          {"mmapped_chunks", m.mmapped_chunks},
          {"mmapped_bytes", m.mmapped_bytes},
          {"partial", m.partial}};
}

std::string Permissions(const Mapping& m) {
  return std::string(m.readable ? "r" : "-") + (m.writable ? "w" : "-") +
         (m.executable ? "x" : "-");
}

}  // namespace

nlohmann::json ToJson(const MemoryResult& r) {
  nlohmann::json categories = nlohmann::json::array();
  for (const auto& c : r.totals.by_category)
    categories.push_back({{"category", CategoryName(c.category)},
                          {"mappings", c.mappings},
                          {"bytes", c.bytes},
                          {"core_bytes", c.core_bytes}});
  nlohmann::json mappings = nlohmann::json::array();
  for (const auto& m : r.mappings)
    mappings.push_back({{"start", Hex(m.mapping.start)},
                        {"end", Hex(m.mapping.end)},
                        {"size", m.mapping.size()},
                        {"permissions", Permissions(m.mapping)},
                        {"path", m.mapping.path},
                        {"category", CategoryName(m.category)},
                        {"detail", m.detail},
                        {"core_bytes", m.mapping.core_bytes}});
  nlohmann::json spaces = nlohmann::json::array();
  for (const auto& s : r.v8_spaces)
    spaces.push_back(
        {{"space", s.space}, {"pages", s.pages}, {"committed", s.committed}, {"used", s.used}});
  const auto& b = r.backing_stores;
  return {{"schema", kSchemaVersion},
          {"totals",
           {{"mapped_bytes", r.totals.mapped_bytes},
            {"core_bytes", r.totals.core_bytes},
            {"mappings", r.totals.mappings},
            {"by_category", categories}}},
          {"mappings", mappings},
          {"v8_heap",
           {{"found", r.v8_heap_found},
            {"committed", r.v8_committed},
            {"used", r.v8_used},
            {"spaces", spaces}}},
          {"backing_stores",
           {{"count", b.count},
            {"bytes", b.bytes},
            {"allocator_bytes", b.allocator_bytes},
            {"in_malloc_arenas", {{"count", b.in_arena_count}, {"bytes", b.in_arena_bytes}}},
            {"in_mmapped_chunks", {{"count", b.in_mmapped_count}, {"bytes", b.in_mmapped_bytes}}},
            {"elsewhere", {{"count", b.elsewhere_count}, {"bytes", b.elsewhere_bytes}}}}},
          {"malloc", MallocJson(r.malloc)},
          {"sentences", r.sentences},
          {"warnings", r.warnings},
          {"partial", r.partial}};
}

void PrintText(const MemoryResult& r, std::ostream& out) {
  for (const auto& s : r.sentences) out << s << "\n";
  out << "\naddress space (" << Grouped(r.totals.mappings) << " mappings):\n";
  Table cats;
  cats.AddColumn("category");
  cats.AddColumn("mappings", Table::Align::kRight);
  cats.AddColumn("bytes", Table::Align::kRight);
  cats.AddColumn("in core", Table::Align::kRight);
  for (const auto& c : r.totals.by_category)
    if (c.mappings)
      cats.AddRow({CategoryName(c.category), Grouped(c.mappings), HumanBytes(c.bytes),
                   HumanBytes(c.core_bytes)});
  cats.AddRow({"total", Grouped(r.totals.mappings), HumanBytes(r.totals.mapped_bytes),
               HumanBytes(r.totals.core_bytes)});
  cats.Print(out);
  if (r.v8_heap_found) {
    out << "\nV8 heap: " << HumanBytes(r.v8_committed) << " committed, " << HumanBytes(r.v8_used)
        << " used\n";
  }
  const auto& m = r.malloc;
  out << "\nmalloc: " << m.allocator;
  if (!m.glibc_version.empty()) out << " " << m.glibc_version;
  if (m.main_arena) out << ", main_arena at " << Hex(m.main_arena);
  if (!m.arenas.empty() && !m.arenas.front().contiguous)
    out << " (non-contiguous: " << m.arenas.front().heaps.size()
        << " segments, the brk heap and the memory mmapped when it could not grow)";
  out << "; " << Grouped(m.mmapped_chunks)
      << (m.mmapped_chunks == 1 ? " mmapped chunk, " : " mmapped chunks, ")
      << HumanBytes(m.mmapped_bytes) << "\n";
  if (!m.arenas.empty()) {
    Table arenas;
    for (const char* h : {"arena", "system", "in use", "free", "tcache", "fastbins", "unsorted",
                          "small bins", "large bins", "top"})
      arenas.AddColumn(h, std::string(h) == "arena" ? Table::Align::kLeft : Table::Align::kRight);
    for (const auto& a : m.arenas)
      arenas.AddRow({Hex(a.address) + (a.main ? " (main)" : ""), HumanBytes(a.system_bytes),
                     HumanBytes(a.in_use_bytes()), HumanBytes(a.free_bytes()),
                     HumanBytes(a.tcache.bytes), HumanBytes(a.fastbins.bytes),
                     HumanBytes(a.unsorted.bytes), HumanBytes(a.small_bins.bytes),
                     HumanBytes(a.large_bins.bytes), HumanBytes(a.top.bytes)});
    arenas.Print(out);
  }
  if (!r.mappings.empty()) {
    out << "\n";
    Table maps;
    for (const char* h : {"start", "end", "perm", "size", "in core", "category", "detail"})
      maps.AddColumn(h);
    for (const auto& mi : r.mappings)
      maps.AddRow({Hex(mi.mapping.start), Hex(mi.mapping.end), Permissions(mi.mapping),
                   HumanBytes(mi.mapping.size()), HumanBytes(mi.mapping.core_bytes),
                   CategoryName(mi.category), mi.detail.empty() ? mi.mapping.path : mi.detail});
    maps.Print(out);
  }
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

}  // namespace mortem::format

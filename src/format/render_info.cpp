#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {
nlohmann::json ToJson(const WalkSummary& w) {
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : w.problems)
    problems.push_back({{"page", Hex(p.page)},
                        {"space", p.space},
                        {"reason", p.reason},
                        {"skipped_bytes", p.skipped_bytes}});
  return {{"objects", w.objects},
          {"object_bytes", w.object_bytes},
          {"filler_bytes", w.filler_bytes},
          {"unused_bytes", w.unused_bytes},
          {"skipped_bytes", w.skipped_bytes},
          {"unreadable_bytes", w.unreadable_bytes},
          {"resyncs", w.resyncs},
          {"moved_objects", w.moved_objects},
          {"moved_bytes", w.moved_bytes},
          {"dead_objects", w.dead_objects},
          {"dead_bytes", w.dead_bytes},
          {"allocation_area_bytes", w.lab_bytes},
          {"problem_pages", problems}};
}

nlohmann::json ToJson(const v8::PageOrigin& p) {
  return {{"listed_spaces", p.listed_spaces},
          {"scanned_spaces", p.scanned_spaces},
          {"recovered_spaces", p.recovered_spaces},
          {"unlisted_pages", p.unlisted_pages},
          {"unlisted_bytes", p.unlisted_bytes}};
}

void PrintWalkWarning(const WalkSummary& w, std::ostream& out) {
  if (!w.skipped_bytes && !w.unreadable_bytes) return;
  out << "\nwarning: partial heap: " << Grouped(w.skipped_bytes)
      << " bytes could not be parsed and " << Grouped(w.unreadable_bytes)
      << " bytes are not in the core, on " << w.problems.size() << " pages:\n";
  for (size_t i = 0; i < w.problems.size() && i < 20; ++i)
    out << "  page " << Hex(w.problems[i].page) << " (" << w.problems[i].space
        << "): " << w.problems[i].reason << "\n";
  if (w.problems.size() > 20) out << "  ... and " << w.problems.size() - 20 << " more pages\n";
}

namespace {

nlohmann::json SpacesJson(const std::vector<SpaceInfo>& spaces) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : spaces)
    out.push_back({{"name", s.name},
                   {"committed", s.committed},
                   {"used", s.used},
                   {"pages", s.pages},
                   {"objects", s.objects}});
  return out;
}

SpaceInfo Total(const std::vector<SpaceInfo>& spaces) {
  SpaceInfo total{"total"};
  for (const auto& s : spaces) {
    total.committed += s.committed;
    total.used += s.used;
    total.pages += s.pages;
    total.objects += s.objects;
  }
  return total;
}

void PrintSpaces(const std::vector<SpaceInfo>& spaces, std::ostream& out) {
  Table t;
  t.AddColumn("space");
  t.AddColumn("committed", Table::Align::kRight);
  t.AddColumn("used", Table::Align::kRight);
  t.AddColumn("pages", Table::Align::kRight);
  t.AddColumn("objects", Table::Align::kRight);
  for (const auto& s : spaces)
    t.AddRow({s.name, Grouped(s.committed), Grouped(s.used), Grouped(s.pages), Grouped(s.objects)});
  const SpaceInfo total = Total(spaces);
  t.AddRow({"total", Grouped(total.committed), Grouped(total.used), Grouped(total.pages),
            Grouped(total.objects)});
  t.Print(out);
}

void PrintIsolateList(const InfoResult& r, std::ostream& out) {
  Table t;
  t.AddColumn("isolate", Table::Align::kRight);
  t.AddColumn("thread");
  t.AddColumn("threadId", Table::Align::kRight);
  t.AddColumn("threadName");
  t.AddColumn("Isolate");
  t.AddColumn("committed", Table::Align::kRight);
  t.AddColumn("used", Table::Align::kRight);
  t.AddColumn("objects", Table::Align::kRight);
  t.AddColumn("origin");
  for (const auto& i : r.isolates) {
    const SpaceInfo total = Total(i.spaces);
    t.AddRow({std::to_string(i.isolate.index), ThreadCell(i.isolate),
              i.node_thread_id ? std::to_string(*i.node_thread_id) : "?",
              ThreadNameCell(i.node_thread_name), Hex(i.isolate.isolate), Grouped(total.committed),
              Grouped(total.used), Grouped(total.objects), i.origin});
  }
  t.Print(out);
  for (const auto& b : r.broken_isolates)
    out << "unreadable isolate: Heap " << Hex(b.heap) << " (" << b.pages << " pages): " << b.reason
        << "\n";
}

}  // namespace

std::string ThreadCell(const IsolateInfo& i) {
  if (!i.tid) return "thread not found";
  return std::string(i.main_thread ? "main thread" : "worker thread") + ", tid " +
         std::to_string(i.tid) +
         (i.thread_name.empty() ? "" : " \"" + OneLine(i.thread_name) + "\"");
}

std::string ThreadNameCell(const std::optional<std::string>& name) {
  if (!name) return "?";
  return name->empty() ? "\"\"" : *name;
}

nlohmann::json ToJson(const InfoResult& r) {
  nlohmann::json spaces = SpacesJson(r.spaces);
  nlohmann::json isolates = nlohmann::json::array();
  for (const auto& i : r.isolates)
    isolates.push_back({{"isolate", i.isolate.index},
                        {"tid", i.isolate.tid},
                        {"os_thread_name", i.isolate.thread_name},
                        {"thread_id", i.node_thread_id ? nlohmann::json(*i.node_thread_id)
                                                       : nlohmann::json(nullptr)},
                        {"thread_name", i.node_thread_name ? nlohmann::json(*i.node_thread_name)
                                                           : nlohmann::json(nullptr)},
                        {"main_thread", i.isolate.main_thread},
                        {"origin", i.origin},
                        {"isolate_address", Hex(i.isolate.isolate)},
                        {"heap_address", Hex(i.isolate.heap)},
                        {"spaces", SpacesJson(i.spaces)},
                        {"page_lists", ToJson(i.page_lists)},
                        {"walk", ToJson(i.walk)}});
  nlohmann::json broken = nlohmann::json::array();
  for (const auto& b : r.broken_isolates)
    broken.push_back({{"heap_address", Hex(b.heap)}, {"pages", b.pages}, {"reason", b.reason}});
  nlohmann::json threads = nlohmann::json::array();
  for (const auto& t : r.process.threads)
    threads.push_back({{"tid", t.tid}, {"name", t.name}, {"pc", Hex(t.pc)}, {"sp", Hex(t.sp)}});
  return {{"schema", kSchemaVersion},
          {"node_version", r.node_version},
          {"v8_version", r.v8_version},
          {"pid", r.process.pid},
          {"command_line", r.process.command_line},
          {"signal", r.process.signal},
          {"signal_name", SignalName(r.process.signal)},
          {"executable", r.process.executable},
          {"binary", r.process.binary_path},
          {"build_id", r.process.build_id},
          {"threads", threads},
          {"isolate", Hex(r.isolate)},
          {"heap", Hex(r.heap)},
          {"spaces", spaces},
          {"walk", ToJson(r.walk)},
          {"isolates", isolates},
          {"broken_isolates", broken},
          {"warnings", r.warnings}};
}

void PrintText(const InfoResult& r, std::ostream& out) {
  out << "Node.js " << (r.node_version.empty() ? "?" : r.node_version) << ", V8 " << r.v8_version
      << "\n";
  out << "pid " << r.process.pid << ": " << r.process.command_line << "\n";
  if (r.process.signal) {
    const char* abbrev = sigabbrev_np(r.process.signal);
    out << "signal " << r.process.signal << " (SIG" << (abbrev ? abbrev : "?") << ": "
        << strsignal(r.process.signal) << ")\n";
  }
  out << "binary " << r.process.binary_path << " (build-id " << r.process.build_id << ")\n";
  out << r.process.threads.size() << " threads, " << r.isolates.size()
      << (r.isolates.size() == 1 ? " isolate" : " isolates") << "\n\n";
  if (r.isolates.size() > 1 || !r.broken_isolates.empty()) {
    PrintIsolateList(r, out);
    out << "\n";
  }
  for (size_t n = 0; n < r.isolates.size(); ++n) {
    const IsolateHeapInfo& i = r.isolates[n];
    if (n) out << "\n";
    out << "isolate " << i.isolate.index << " (" << ThreadCell(i.isolate) << "): Isolate "
        << Hex(i.isolate.isolate) << ", Heap " << Hex(i.isolate.heap)
        << (n ? "; the read-only space is shared, counted in isolate 0" : "") << "\n";
    PrintSpaces(i.spaces, out);
    if (i.page_lists.unlisted_pages)
      out << Grouped(i.page_lists.unlisted_pages) << " pages ("
          << Grouped(i.page_lists.unlisted_bytes)
          << " bytes) with page headers that no space lists (pooled for reuse, or waiting to be "
             "unmapped); not heap\n";
    if (i.walk.moved_objects)
      out << Grouped(i.walk.moved_objects) << " stale copies of moved objects ("
          << Grouped(i.walk.moved_bytes) << " bytes) left by a compaction; not counted\n";
    if (i.walk.dead_objects)
      out << Grouped(i.walk.dead_objects) << " dead code objects (" << Grouped(i.walk.dead_bytes)
          << " bytes) on pages not yet swept, their Code collected; not counted\n";
    PrintWalkWarning(i.walk, out);
  }
  for (const auto& warning : r.warnings) out << "warning: " << warning << "\n";
}

}  // namespace mortem::format

#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {
namespace {

nlohmann::json RowsJson(const std::vector<TypeRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows)
    out.push_back({{"name", r.name},
                   {"kind", r.kind},
                   {"count", r.count},
                   {"self_size", r.self_size},
                   {"retained_size", r.retained_size}});
  return out;
}

std::string TopFrames(const ThreadStack& t, size_t n) {
  std::string out;
  size_t shown = 0;
  for (const auto& f : t.frames) {
    if (shown == n) break;
    std::string line;
    if (f.v8.kind == v8::V8Frame::Kind::kJavaScript)
      line = "JS " + (f.v8.function_name.empty() ? "(anonymous)" : f.v8.function_name) + " at " +
             f.v8.location.ToString() +
             // As `stack` prints it: a frame whose exact position is unknown (baseline code)
             (!f.v8.position_exact && f.v8.location.line > 0 ? " (function start)" : "");
    else if (f.v8.kind == v8::V8Frame::Kind::kNone)
      line = (f.native.module.empty() ? "" : f.native.module + "`") +
             (f.native.symbol.empty() ? "???" : f.native.symbol.substr(0, 100));
    else
      continue;
    out += "  #" + std::to_string(f.index) + " " + line + "\n";
    ++shown;
  }
  return out;
}

}  // namespace

nlohmann::json ToJson(const TriageResult& r) {
  nlohmann::json retained = nlohmann::json::array();
  for (const auto& t : r.top_by_retained)
    retained.push_back({{"name", t.row.name},
                        {"kind", t.row.kind},
                        {"count", t.row.count},
                        {"self_size", t.row.self_size},
                        {"retained_size", t.row.retained_size},
                        {"example", t.example ? Hex(t.example) : ""},
                        {"path", DescribePath(t.path)}});
  nlohmann::json dominators = nlohmann::json::array();
  for (const auto& d : r.dominators)
    dominators.push_back({{"address", Hex(d.object)},
                          {"type", d.type},
                          {"retained_size", d.retained_size},
                          {"path", DescribePath(d.path)}});
  nlohmann::json strings = nlohmann::json::array();
  for (const auto& s : r.duplicate_strings)
    strings.push_back({{"preview", s.preview},
                       {"count", s.count},
                       {"bytes_each", s.bytes_each},
                       {"wasted_bytes", s.wasted_bytes}});
  nlohmann::json retention = nlohmann::json::array();
  for (const auto& c : r.retention)
    retention.push_back({{"cause", c.cause},
                         {"sentence", c.sentence},
                         {"backing_store_bytes", c.backing_store_bytes},
                         {"unviewed_bytes", c.unviewed_bytes}});
  nlohmann::json suspects = nlohmann::json::array();
  for (const auto& s : r.suspects)
    suspects.push_back({{"kind", s.kind}, {"sentence", s.sentence}, {"evidence", s.evidence}});
  nlohmann::json info = ToJson(r.info);
  info.erase("schema");
  nlohmann::json stack = nullptr;
  if (r.crashing_thread) {
    StackResult one;
    one.threads.push_back(*r.crashing_thread);
    stack = ToJson(one)["threads"][0];
  }
  return {{"schema", kSchemaVersion},
          {"process", info},
          {"exception", r.exception ? ToJson(*r.exception) : nlohmann::json(nullptr)},
          {"crashing_thread", stack},
          {"fatal_function", r.fatal_function},
          {"fatal_messages", r.fatal_messages},
          {"unreachable", {{"count", r.unreachable_objects}, {"self_size", r.unreachable_bytes}}},
          {"top_by_count", RowsJson(r.top_by_count)},
          {"top_by_size", RowsJson(r.top_by_size)},
          {"top_by_retained", retained},
          {"dominators", dominators},
          {"buffers",
           {{"array_buffers", r.buffers.array_buffers},
            {"backing_store_bytes", r.buffers.backing_store_bytes},
            {"allocator_bytes", r.buffers.allocator_bytes},
            {"retained_unviewed_bytes", r.buffers.retained_unviewed_bytes},
            {"wasm_memories", r.buffers.wasm_memories},
            {"wasm_bytes", r.buffers.wasm_bytes},
            {"retention", retention}}},
          {"duplicate_strings", {{"wasted_bytes", r.duplicate_string_bytes}, {"top", strings}}},
          {"closures", RowsJson(r.closures)},
          {"handles", r.handles},
          {"requests", r.requests},
          {"suspects", suspects},
          {"metrics", r.metrics},
          {"partial", r.partial},
          {"warnings", r.warnings}};
}

// Text and Markdown share one layout: headings, short tables, sentences.
namespace {

// A Markdown table cell holds one line and no column bar: a newline or tab from the target is
// written as \n or \t, a bar as \|.
std::string MarkdownCell(const std::string& text) {
  std::string out;
  for (char c : OneLine(text)) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

// Headings and short tables, in text or Markdown.
class ReportWriter {
 public:
  ReportWriter(std::ostream& out, bool markdown) : out_(out), markdown_(markdown) {}

  void Heading(const std::string& h) const {
    out_ << "\n" << (markdown_ ? "## " + h : h + "\n" + std::string(h.size(), '-')) << "\n";
  }

  // The first column is text; the others are figures, except the last where text_last.
  void Rows(const std::vector<std::string>& headers,
            const std::vector<std::vector<std::string>>& rows, bool text_last = true) const {
    std::vector<Table::Align> aligns;
    for (size_t i = 0; i < headers.size(); ++i)
      aligns.push_back(i == 0 || (text_last && i + 1 == headers.size()) ? Table::Align::kLeft
                                                                        : Table::Align::kRight);
    Rows(headers, aligns, rows);
  }

  void Rows(const std::vector<std::string>& headers, const std::vector<Table::Align>& aligns,
            const std::vector<std::vector<std::string>>& rows) const {
    if (markdown_) {
      out_ << "|";
      for (const auto& h : headers) out_ << " " << h << " |";
      out_ << "\n|";
      for (size_t i = 0; i < headers.size(); ++i) out_ << "---|";
      out_ << "\n";
      for (const auto& row : rows) {
        out_ << "|";
        for (const auto& c : row) out_ << " " << MarkdownCell(c) << " |";
        out_ << "\n";
      }
      return;
    }
    Table t;
    for (size_t i = 0; i < headers.size(); ++i) t.AddColumn(headers[i], aligns.at(i));
    for (const auto& row : rows) t.AddRow(row);
    t.Print(out_);
  }

 private:
  std::ostream& out_;
  bool markdown_;
};

// The first line of a report: the process and the versions.
void PrintTitle(const InfoResult& info, std::ostream& out, bool markdown,
                const std::string& extra = "") {
  const auto& p = info.process;
  out << (markdown ? "# " : "") << "mortem triage: pid " << p.pid << ", Node " << info.node_version
      << " (V8 " << info.v8_version << ")" << extra << "\n";
  out << (markdown ? "\n" : "") << "command line: " << p.command_line << "\n";
  if (p.signal)
    out << (markdown ? "\n" : "") << "signal: " << p.signal << " (" << SignalName(p.signal)
        << ")\n";
}

void PrintSuspects(const std::vector<Suspect>& suspects, std::ostream& out,
                   const std::vector<std::string>& prefixes = {}) {
  if (suspects.empty()) out << "none found\n";
  for (size_t i = 0; i < suspects.size(); ++i) {
    out << i + 1 << ". " << (i < prefixes.size() ? prefixes[i] : "")
        << OneLine(suspects[i].sentence) << "\n";
    for (const auto& e : suspects[i].evidence)
      if (!e.empty()) out << "   - " << OneLine(e) << "\n";
  }
}

}  // namespace

void PrintTriage(const TriageResult& r, std::ostream& out, bool markdown) {
  const ReportWriter writer(out, markdown);
  auto heading = [&](const std::string& h) { writer.Heading(h); };
  auto table = [&](const std::vector<std::string>& headers,
                   const std::vector<std::vector<std::string>>& rows,
                   bool text_last = true) { writer.Rows(headers, rows, text_last); };
  PrintTitle(r.info, out, markdown);
  heading("Suspects");
  PrintSuspects(r.suspects, out);
  if (r.crashing_thread) {
    heading("Crashing thread (tid " + std::to_string(r.crashing_thread->tid) + ")");
    if (markdown) out << "```\n";
    out << TopFrames(*r.crashing_thread, 25);
    if (markdown) out << "```\n";
  }
  heading("Heap");
  std::vector<std::vector<std::string>> spaces;
  for (const auto& s : r.info.spaces)
    spaces.push_back({s.name, HumanBytes(s.committed), HumanBytes(s.used), Grouped(s.objects)});
  table({"space", "committed", "used", "objects"}, spaces, false);
  // Without retained sizes (--no-retained) the column is left out rather than shown as 0 bytes.
  auto rows = [&](const std::vector<TypeRow>& types, bool retained) {
    std::vector<std::vector<std::string>> out_rows;
    for (const auto& t : types) {
      out_rows.push_back({t.name, Grouped(t.count), HumanBytes(t.self_size)});
      if (retained) out_rows.back().push_back(HumanBytes(t.retained_size));
      out_rows.back().push_back(t.kind);
    }
    return out_rows;
  };
  const std::vector<std::string> type_columns =
      r.retained_listed ? std::vector<std::string>{"type", "count", "self", "retained", "kind"}
                        : std::vector<std::string>{"type", "count", "self", "kind"};
  heading("Top types by self size");
  if (r.unreachable_objects > 0)
    out << "(live objects only: " << Grouped(r.unreachable_objects) << " objects, "
        << HumanBytes(r.unreachable_bytes) << " that no root reaches are garbage awaiting "
        << "collection)\n";
  table(type_columns, rows(r.top_by_size, r.retained_listed));
  heading("Top types by count");
  table(type_columns, rows(r.top_by_count, r.retained_listed));
  if (!r.top_by_retained.empty()) {
    heading("Top types by retained size");
    std::vector<TypeRow> plain;
    for (const auto& t : r.top_by_retained) plain.push_back(t.row);
    table({"type", "count", "self", "retained", "kind"}, rows(plain, true));
    for (const auto& t : r.top_by_retained)
      if (!t.path.steps.empty())
        out << "  " << OneLine(t.row.name) << ": " << OneLine(DescribePath(t.path)) << "\n";
  }
  if (!r.dominators.empty()) {
    heading("Biggest dominators");
    std::vector<std::vector<std::string>> d;
    for (const auto& x : r.dominators)
      d.push_back({Hex(x.object), x.type, HumanBytes(x.retained_size),
                   DescribePath(x.path).substr(0, 160)});
    table({"object", "type", "retained", "held by"}, d);
  }
  heading("Buffers");
  out << Grouped(r.buffers.array_buffers) << " ArrayBuffers, "
      << HumanBytes(r.buffers.backing_store_bytes) << " of backing stores ("
      << HumanBytes(r.buffers.allocator_bytes) << " from the allocator), "
      << HumanBytes(r.buffers.retained_unviewed_bytes) << " kept alive but unviewed\n";
  if (r.buffers.wasm_memories)
    out << Grouped(r.buffers.wasm_memories)
        << (r.buffers.wasm_memories == 1 ? " WebAssembly memory: " : " WebAssembly memories: ")
        << HumanBytes(r.buffers.wasm_bytes) << " of linear memory\n";
  for (const auto& c : r.retention) out << "  - " << c.sentence << "\n";
  heading("Duplicated strings");
  out << HumanBytes(r.duplicate_string_bytes) << " wasted by copies\n";
  std::vector<std::vector<std::string>> s;
  for (const auto& d : r.duplicate_strings)
    s.push_back(
        {"\"" + d.preview.substr(0, 60) + "\"", Grouped(d.count), HumanBytes(d.wasted_bytes)});
  table({"value", "copies", "wasted"}, s, false);
  heading("Closures by name");
  table({"function", "count", "self", "kind"}, rows(r.closures, false));
  heading("Active handles and requests");
  if (r.handles.empty() && r.requests.empty()) out << "none\n";
  for (const auto& [type, count] : r.handles) out << "  handle  " << type << ": " << count << "\n";
  for (const auto& [type, count] : r.requests) out << "  request " << type << ": " << count << "\n";
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

void PrintTriageOverview(const std::vector<TriageResult>& isolates, std::ostream& out,
                         bool markdown) {
  if (isolates.empty()) return;
  const ReportWriter writer(out, markdown);
  PrintTitle(isolates.front().info, out, markdown,
             ", " + std::to_string(isolates.size()) + " isolates");
  writer.Heading("Isolates");
  std::vector<std::vector<std::string>> rows;
  std::vector<Suspect> suspects;
  std::vector<std::vector<std::string>> isolates_of;  // of each suspect: the isolates it is in
  std::vector<std::string> prefixes;
  for (const auto& r : isolates) {
    if (r.info.isolates.empty()) continue;
    const IsolateHeapInfo& i = r.info.isolates.front();
    uint64_t used = 0, objects = 0;
    for (const auto& s : i.spaces) {
      used += s.used;
      objects += s.objects;
    }
    const std::string index = std::to_string(i.isolate.index);
    rows.push_back(
        {index, ThreadCell(i.isolate), i.node_thread_id ? std::to_string(*i.node_thread_id) : "?",
         ThreadNameCell(i.node_thread_name), HumanBytes(used), Grouped(objects),
         Grouped(r.unreachable_objects), Grouped(r.suspects.size()),
         r.crashing_thread ? "tid " + std::to_string(r.crashing_thread->tid) : "", i.origin});
    for (const auto& s : r.suspects) {
      suspects.push_back(s);
      isolates_of.emplace_back(1, index);
    }
  }
  // A suspect of the process (malloc's, "native") is in every isolate's report: listed once,
  // with them all. Others are each isolate's own, even where two isolates' sentences are alike.
  for (size_t i = 0; i < suspects.size(); ++i)
    for (size_t j = i + 1; j < suspects.size();) {
      if (suspects[i].kind != "native" || suspects[j].kind != "native" ||
          suspects[j].sentence != suspects[i].sentence) {
        ++j;
        continue;
      }
      isolates_of[i].push_back(isolates_of[j].front());
      suspects.erase(suspects.begin() + static_cast<ptrdiff_t>(j));
      isolates_of.erase(isolates_of.begin() + static_cast<ptrdiff_t>(j));
    }
  for (const auto& of : isolates_of) {
    std::string prefix = of.size() == 1 ? "[isolate " : "[isolates ";
    for (size_t k = 0; k < of.size(); ++k) prefix += (k ? ", " : "") + of[k];
    prefixes.push_back(prefix + "] ");
  }
  constexpr auto kText = Table::Align::kLeft, kFigure = Table::Align::kRight;
  writer.Rows({"isolate", "thread", "threadId", "threadName", "used", "objects", "garbage",
               "suspects", "crashing thread", "origin"},
              {kFigure, kText, kFigure, kText, kFigure, kFigure, kFigure, kFigure, kText, kText},
              rows);
  writer.Heading("Suspects in all isolates");
  PrintSuspects(suspects, out, prefixes);
  out << "\n(each isolate's report follows)\n";
}

void PrintText(const TriageResult& r, std::ostream& out) {
  PrintTriage(r, out, false);
}
void PrintMarkdown(const TriageResult& r, std::ostream& out) {
  PrintTriage(r, out, true);
}

}  // namespace mortem::format

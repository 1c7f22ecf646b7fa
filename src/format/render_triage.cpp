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

}  // namespace

void PrintTriage(const TriageResult& r, std::ostream& out, bool markdown) {
  auto heading = [&](const std::string& h) {
    out << "\n" << (markdown ? "## " + h : h + "\n" + std::string(h.size(), '-')) << "\n";
  };
  // The first column is text; the others are figures, except the last where text_last.
  auto table = [&](const std::vector<std::string>& headers,
                   const std::vector<std::vector<std::string>>& rows, bool text_last = true) {
    if (markdown) {
      out << "|";
      for (const auto& h : headers) out << " " << h << " |";
      out << "\n|";
      for (size_t i = 0; i < headers.size(); ++i) out << "---|";
      out << "\n";
      for (const auto& row : rows) {
        out << "|";
        for (const auto& c : row) out << " " << MarkdownCell(c) << " |";
        out << "\n";
      }
      return;
    }
    Table t;
    for (size_t i = 0; i < headers.size(); ++i)
      t.AddColumn(headers[i], i == 0 || (text_last && i + 1 == headers.size())
                                  ? Table::Align::kLeft
                                  : Table::Align::kRight);
    for (const auto& row : rows) t.AddRow(row);
    t.Print(out);
  };
  const auto& p = r.info.process;
  out << (markdown ? "# " : "") << "mortem triage: pid " << p.pid << ", Node "
      << r.info.node_version << " (V8 " << r.info.v8_version << ")\n";
  out << (markdown ? "\n" : "") << "command line: " << p.command_line << "\n";
  if (p.signal)
    out << (markdown ? "\n" : "") << "signal: " << p.signal << " (" << SignalName(p.signal)
        << ")\n";
  heading("Suspects");
  if (r.suspects.empty()) out << "none found\n";
  for (size_t i = 0; i < r.suspects.size(); ++i) {
    out << i + 1 << ". " << OneLine(r.suspects[i].sentence) << "\n";
    for (const auto& e : r.suspects[i].evidence)
      if (!e.empty()) out << "   - " << OneLine(e) << "\n";
  }
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

void PrintText(const TriageResult& r, std::ostream& out) {
  PrintTriage(r, out, false);
}
void PrintMarkdown(const TriageResult& r, std::ostream& out) {
  PrintTriage(r, out, true);
}

}  // namespace mortem::format

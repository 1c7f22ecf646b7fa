#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {
namespace {

std::string NativeText(const NativeFrame& f) {
  std::string where = f.module.empty() ? "" : f.module + "`";
  if (f.symbol.empty()) return where.empty() ? "???" : where + "??? (no symbol)";
  where += f.symbol;
  if (f.symbol_offset) where += " + " + std::to_string(f.symbol_offset);
  return where;
}

std::string JsText(const v8::V8Frame& f) {
  std::string text = (f.function_name.empty() ? "(anonymous)" : f.function_name) + "(";
  for (size_t i = 0; i < f.arguments.size(); ++i) text += (i ? ", " : "") + f.arguments[i];
  if (f.arguments_omitted) text += ", ... " + std::to_string(f.arguments_omitted) + " more";
  text += ") at " + f.location.ToString();
  if (!f.position_exact && f.location.line > 0) text += " (function start)";
  text += "  [" + f.type + "]";
  if (!f.receiver.empty()) text += "  this=" + f.receiver;
  return text;
}

nlohmann::json FrameJson(const StackFrameRow& row) {
  const auto& n = row.native;
  nlohmann::json j = {{"index", row.index},       {"pc", Hex(n.pc)},    {"sp", Hex(n.sp)},
                      {"fp", Hex(n.fp)},          {"module", n.module}, {"symbol", n.symbol},
                      {"offset", n.symbol_offset}};
  switch (row.v8.kind) {
    case v8::V8Frame::Kind::kNone:
      j["kind"] = "native";
      break;
    case v8::V8Frame::Kind::kTyped:
      j["kind"] = "v8";
      j["type"] = row.v8.type;
      break;
    case v8::V8Frame::Kind::kJavaScript:
      j["kind"] = "js";
      j["type"] = row.v8.type;
      j["function"] = row.v8.function_name;
      j["function_address"] = Hex(row.v8.function - 1);
      j["script"] = row.v8.location.script;
      j["line"] = row.v8.location.line;
      j["column"] = row.v8.location.column;
      j["position_exact"] = row.v8.position_exact;
      j["receiver"] = row.v8.receiver;
      j["arguments"] = row.v8.arguments;
      j["arguments_omitted"] = row.v8.arguments_omitted;
      break;
  }
  return j;
}

}  // namespace

nlohmann::json ToJson(const v8::ErrorInfo& e) {
  return {{"address", Hex(e.address)},
          {"type", e.type},
          {"message", e.message},
          {"stack", e.stack},
          {"stack_formatted", e.stack_formatted}};
}

nlohmann::json ToJson(const StackResult& r) {
  nlohmann::json threads = nlohmann::json::array();
  for (const auto& t : r.threads) {
    nlohmann::json frames = nlohmann::json::array();
    for (const auto& f : t.frames) frames.push_back(FrameJson(f));
    threads.push_back(
        {{"number", t.number},
         {"tid", t.tid},
         {"name", t.name},
         {"isolate", t.isolate ? nlohmann::json(*t.isolate) : nlohmann::json(nullptr)},
         {"js_frames", t.js_frames},
         {"stopped_because", t.stopped_because},
         {"frames", frames}});
  }
  return {{"schema", kSchemaVersion},
          {"signal", r.signal},
          {"signal_name", SignalName(r.signal)},
          {"unwinder", r.unwinder},
          {"threads", threads},
          {"exception", r.exception ? ToJson(*r.exception) : nlohmann::json(nullptr)},
          {"fatal_function", r.fatal_function},
          {"fatal_messages", r.fatal_messages},
          {"warnings", r.warnings}};
}

void PrintThread(const ThreadStack& t, std::ostream& out) {
  out << "thread #" << t.number << " (tid " << t.tid;
  if (!t.name.empty()) out << " \"" << OneLine(t.name) << "\"";
  if (t.isolate) out << ", isolate " << *t.isolate;
  out << "), " << t.frames.size() << " frames, " << t.js_frames << " JavaScript\n";
  for (const auto& f : t.frames) {
    std::string index = "#" + std::to_string(f.index);
    index.resize(std::max<size_t>(index.size(), 4), ' ');
    out << "  " << index << " " << Hex(f.native.pc) << "  ";
    switch (f.v8.kind) {
      case v8::V8Frame::Kind::kNone:
        out << NativeText(f.native);
        break;
      case v8::V8Frame::Kind::kTyped:
        out << "<" << f.v8.type << " frame>";
        if (!f.native.symbol.empty()) out << "  " << NativeText(f.native);
        break;
      case v8::V8Frame::Kind::kJavaScript:
        out << "JS " << JsText(f.v8);
        break;
    }
    out << "\n";
  }
  if (!t.stopped_because.empty()) out << "  (unwinding stopped: " << t.stopped_because << ")\n";
}

void PrintText(const v8::ErrorInfo& e, std::ostream& out) {
  out << "Uncaught " << e.type << (e.message.empty() ? "" : ": " + e.message) << "  (@"
      << Hex(e.address) << ")\n";
  for (const auto& line : e.stack) {
    if (e.stack_formatted && (line.starts_with(e.type + ":") || line == e.type)) continue;
    out << "    " << line << "\n";
  }
}

nlohmann::json ToJson(const SourceResult& r) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : r.lines) lines.push_back({{"line", l.number}, {"text", l.text}});
  return {{"schema", kSchemaVersion},
          {"thread", r.thread},
          {"frame", r.frame},
          {"function", r.function},
          {"script", r.location.script},
          {"line", r.location.line},
          {"column", r.location.column},
          {"lines", lines},
          {"note", r.note}};
}

void PrintText(const SourceResult& r, std::ostream& out) {
  if (!r.note.empty()) out << "note: " << r.note << "\n";
  out << "frame #" << r.frame << ": " << (r.function.empty() ? "(anonymous)" : r.function) << " at "
      << r.location.ToString() << "\n";
  for (const auto& l : r.lines) {
    std::string number = std::to_string(l.number);
    out << (l.number == r.location.line ? "-> " : "   ")
        << std::string(6 - std::min<size_t>(6, number.size()), ' ') << number << "  " << l.text
        << "\n";
    if (l.number == r.location.line && r.location.column > 0)
      out << std::string(11 + r.location.column - 1, ' ') << "^\n";
  }
  if (r.lines.empty()) out << "(the script's source is not in the core)\n";
}

void PrintText(const StackResult& r, std::ostream& out) {
  if (r.signal) out << "signal " << r.signal << " (" << SignalName(r.signal) << ")\n";
  if (r.exception) {
    PrintText(*r.exception, out);
    out << "\n";
  }
  if (!r.fatal_function.empty()) {
    out << "fatal error in " << r.fatal_function << "\n";
    for (const auto& m : r.fatal_messages) out << "  \"" << m << "\"\n";
    out << "\n";
  }
  for (size_t i = 0; i < r.threads.size(); ++i) {
    if (i) out << "\n";
    PrintThread(r.threads[i], out);
  }
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

}  // namespace mortem::format

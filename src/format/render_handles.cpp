#include <cmath>

#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {
namespace {

nlohmann::json WrapsJson(const std::vector<ActiveWrap>& wraps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& w : wraps)
    out.push_back({{"wrap", Hex(w.wrap)},
                   {"object", w.object ? Hex(w.object) : ""},
                   {"type", w.type},
                   {"js_class", w.js_class},
                   {"owner", w.owner},
                   {"provider", w.provider},
                   {"refed", w.refed},
                   {"preview", w.preview}});
  return out;
}

nlohmann::json Milliseconds(const std::optional<double>& ms) {
  return ms ? nlohmann::json(*ms) : nlohmann::json(nullptr);
}

nlohmann::json TimersJson(const std::vector<JsTimer>& timers) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : timers) {
    nlohmann::json j = {{"object", Hex(t.object)},
                        {"kind", t.kind},
                        {"callback", t.callback},
                        {"callback_object", t.callback_object ? Hex(t.callback_object) : ""},
                        {"script", t.script},
                        {"line", t.line},
                        {"column", t.column},
                        {"refed", t.refed},
                        {"destroyed", t.destroyed}};
    if (t.kind == "Timeout") {
      j["duration_ms"] = Milliseconds(t.duration_ms);
      j["repeat_ms"] = Milliseconds(t.repeat_ms);
    }
    out.push_back(j);
  }
  return out;
}

std::string Counts(const std::map<std::string, size_t>& counts) {
  std::string out, sep = " (";
  for (const auto& [type, count] : counts)
    out += sep + std::to_string(count) + " " + type, sep = ", ";
  return counts.empty() ? out : out + ")";
}

void PrintWraps(const char* title, const std::vector<ActiveWrap>& wraps,
                const std::map<std::string, size_t>& counts, std::ostream& out) {
  out << title << ": " << wraps.size() << Counts(counts) << "\n";
  for (const auto& w : wraps)
    out << "  " << Hex(w.object ? w.object : w.wrap) << "  " << w.type
        << (w.owner.empty() || w.owner == w.js_class ? "" : "  owner " + w.owner)
        << (w.refed ? "" : "  (unref'd)") << "  " << w.preview << "\n";
}

std::string FormatMs(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms == std::floor(ms) ? "%.0f ms" : "%.3f ms", ms);
  return buf;
}

void PrintTimers(const char* title, const std::vector<JsTimer>& timers, std::ostream& out) {
  out << title << ": " << timers.size() << "\n";
  for (const auto& t : timers) {
    out << "  " << Hex(t.object) << "  " << t.kind;
    if (t.duration_ms) out << "  " << FormatMs(*t.duration_ms);
    if (t.repeat_ms) out << ", repeats every " << FormatMs(*t.repeat_ms);
    out << "  " << (t.callback.empty() ? "(no callback)" : t.callback);
    if (t.line) out << " at " << t.script << ":" << t.line << ":" << t.column;
    out << (t.refed ? "" : "  (unref'd)") << (t.destroyed ? "  (destroyed)" : "") << "\n";
  }
}

}  // namespace

nlohmann::json ToJson(const HandlesResult& r) {
  nlohmann::json environments = nlohmann::json::array();
  for (auto e : r.environments) environments.push_back(Hex(e));
  return {{"schema", kSchemaVersion},
          {"environments", environments},
          {"handles", WrapsJson(r.handles)},
          {"requests", WrapsJson(r.requests)},
          {"timers", TimersJson(r.timers)},
          {"immediates", TimersJson(r.immediates)},
          {"handle_counts", r.handle_counts},
          {"request_counts", r.request_counts},
          {"resource_counts", r.resource_counts},
          {"truncated", r.truncated},
          {"partial", r.partial},
          {"warnings", r.warnings}};
}

void PrintText(const HandlesResult& r, std::ostream& out) {
  if (r.listed_handles) PrintWraps("active handles", r.handles, r.handle_counts, out);
  if (r.listed_requests) PrintWraps("active requests", r.requests, r.request_counts, out);
  if (r.listed_timers) {
    PrintTimers("timers", r.timers, out);
    PrintTimers("immediates", r.immediates, out);
    size_t total = 0;
    for (const auto& [name, count] : r.resource_counts) total += count;
    out << "as process.getActiveResourcesInfo() lists them: " << total << Counts(r.resource_counts)
        << "\n";
  }
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

}  // namespace mortem::format

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
                   {"preview", w.preview}});
  return out;
}

void PrintWraps(const char* title, const std::vector<ActiveWrap>& wraps,
                const std::map<std::string, size_t>& counts, std::ostream& out) {
  out << title << ": " << wraps.size();
  std::string sep = " (";
  for (const auto& [type, count] : counts) out << sep << count << " " << type, sep = ", ";
  out << (counts.empty() ? "" : ")") << "\n";
  for (const auto& w : wraps)
    out << "  " << Hex(w.object ? w.object : w.wrap) << "  " << w.type << "  " << w.preview << "\n";
}

}  // namespace

nlohmann::json ToJson(const HandlesResult& r) {
  nlohmann::json environments = nlohmann::json::array();
  for (auto e : r.environments) environments.push_back(Hex(e));
  return {{"schema", kSchemaVersion},         {"environments", environments},
          {"handles", WrapsJson(r.handles)},  {"requests", WrapsJson(r.requests)},
          {"handle_counts", r.handle_counts}, {"request_counts", r.request_counts},
          {"truncated", r.truncated},         {"warnings", r.warnings}};
}

void PrintText(const HandlesResult& r, std::ostream& out) {
  if (r.listed_handles) PrintWraps("active handles", r.handles, r.handle_counts, out);
  if (r.listed_requests) PrintWraps("active requests", r.requests, r.request_counts, out);
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

}  // namespace mortem::format

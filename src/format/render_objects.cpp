#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {
namespace {
nlohmann::json RowJson(const TypeRow& row, bool retained) {
  nlohmann::json j = {
      {"name", row.name}, {"kind", row.kind}, {"count", row.count}, {"self_size", row.self_size}};
  if (retained) j["retained_size"] = row.retained_size;
  return j;
}
}  // namespace

nlohmann::json ToJson(const ObjectsResult& r) {
  nlohmann::json types = nlohmann::json::array();
  for (const auto& row : r.types) types.push_back(RowJson(row, r.has_retained));
  nlohmann::json total = {{"count", r.total.count}, {"self_size", r.total.self_size}};
  nlohmann::json j = {{"schema", kSchemaVersion}, {"types", types},
                      {"total", total},           {"rows_omitted", r.rows_omitted},
                      {"walk", ToJson(r.walk)},   {"warnings", r.warnings}};
  if (r.reachable_only)
    j["unreachable"] = {{"count", r.unreachable_objects}, {"self_size", r.unreachable_bytes}};
  return j;
}

void PrintText(const ObjectsResult& r, std::ostream& out) {
  Table t;
  t.AddColumn("count", Table::Align::kRight);
  t.AddColumn("self size", Table::Align::kRight);
  if (r.has_retained) t.AddColumn("retained", Table::Align::kRight);
  t.AddColumn("kind");
  t.AddColumn("type");
  auto add = [&](const TypeRow& row, const std::string& kind, const std::string& name, bool total) {
    std::vector<std::string> cells{Grouped(row.count), Grouped(row.self_size)};
    if (r.has_retained) cells.push_back(total ? "" : Grouped(row.retained_size));
    cells.push_back(kind);
    cells.push_back(name);
    t.AddRow(cells);
  };
  for (const auto& row : r.types) add(row, row.kind, row.name, false);
  add(r.total, "", "(total)", true);
  t.Print(out);
  if (r.rows_omitted) out << "(" << r.rows_omitted << " smaller rows not shown; --top 0 for all)\n";
  if (r.reachable_only)
    out << "(left out: " << Grouped(r.unreachable_objects) << " objects, "
        << Grouped(r.unreachable_bytes)
        << " bytes that no root reaches: garbage awaiting collection; --all counts them)\n";
  PrintWalkWarning(r.walk, out);
  for (const auto& warning : r.warnings) out << "warning: " << warning << "\n";
}

}  // namespace mortem::format

#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {
namespace {
nlohmann::json RowJson(const TypeRow& row) {
  return {
      {"name", row.name}, {"kind", row.kind}, {"count", row.count}, {"self_size", row.self_size}};
}
}  // namespace

nlohmann::json ToJson(const ObjectsResult& r) {
  nlohmann::json types = nlohmann::json::array();
  for (const auto& row : r.types) types.push_back(RowJson(row));
  nlohmann::json total = {{"count", r.total.count}, {"self_size", r.total.self_size}};
  return {{"schema", kSchemaVersion},       {"types", types},         {"total", total},
          {"rows_omitted", r.rows_omitted}, {"walk", ToJson(r.walk)}, {"warnings", r.warnings}};
}

void PrintText(const ObjectsResult& r, std::ostream& out) {
  Table t;
  t.AddColumn("count", Table::Align::kRight);
  t.AddColumn("self size", Table::Align::kRight);
  t.AddColumn("kind");
  t.AddColumn("type");
  for (const auto& row : r.types)
    t.AddRow({Grouped(row.count), Grouped(row.self_size), row.kind, row.name});
  t.AddRow({Grouped(r.total.count), Grouped(r.total.self_size), "", "(total)"});
  t.Print(out);
  if (r.rows_omitted) out << "(" << r.rows_omitted << " smaller rows not shown; --top 0 for all)\n";
  PrintWalkWarning(r.walk, out);
  for (const auto& warning : r.warnings) out << "warning: " << warning << "\n";
}

}  // namespace mortem::format

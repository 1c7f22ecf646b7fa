// The `diff` command's output: the comparison table and the sample retainer paths.
#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {
namespace {

nlohmann::json ChangeJson(const Change& c) {
  return {{"old", c.old_value}, {"new", c.new_value}, {"delta", c.delta()}};
}

nlohmann::json CoreJson(const DiffCore& c) {
  return {{"pid", c.pid},
          {"isolate", c.isolate},
          {"thread_id", c.thread_id ? nlohmann::json(*c.thread_id) : nlohmann::json(nullptr)},
          {"build_id", c.build_id},
          {"walk", ToJson(c.walk)},
          {"unreachable", {{"count", c.unreachable_objects}, {"self_size", c.unreachable_bytes}}}};
}

std::string Signed(int64_t n) {
  if (n == 0) return "0";
  uint64_t magnitude = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  return (n < 0 ? "-" : "+") + Grouped(magnitude);
}

}  // namespace

nlohmann::json ToJson(const DiffResult& r) {
  nlohmann::json types = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json j = {{"name", row.name},
                        {"kind", row.kind},
                        {"count", ChangeJson(row.count)},
                        {"self_size", ChangeJson(row.self_size)}};
    if (r.has_retained) j["retained_size"] = ChangeJson(row.retained_size);
    if (row.sample)
      j["sample"] = {{"address", Hex(row.sample->address)},
                     {"new_instance", row.sample->is_new},
                     {"tried", row.sample->tried},
                     {"agreeing", row.sample->agreeing},
                     {"path", row.sample->path ? ToJson(*row.sample->path) : nullptr}};
    types.push_back(std::move(j));
  }
  return {{"schema", kSchemaVersion},
          {"old", CoreJson(r.old_core)},
          {"new", CoreJson(r.new_core)},
          {"sort", r.sort},
          {"types", types},
          {"total",
           {{"count", ChangeJson(r.total.count)}, {"self_size", ChangeJson(r.total.self_size)}}},
          {"rows_omitted", r.rows_omitted},
          {"warnings", r.warnings}};
}

void PrintText(const DiffResult& r, std::ostream& out) {
  out << "old core: pid " << r.old_core.pid << " isolate " << r.old_core.isolate
      << ", new core: pid " << r.new_core.pid << " isolate " << r.new_core.isolate;
  if (r.new_core.thread_id) out << " (threadId " << *r.new_core.thread_id << ")";
  if (!r.new_core.build_id.empty()) out << " (build-id " << r.new_core.build_id << ")";
  out << "\n";
  if (r.old_core.unreachable_objects + r.new_core.unreachable_objects > 0)
    out << "(live objects only; garbage awaiting collection left out: "
        << Grouped(r.old_core.unreachable_objects) << " objects, "
        << HumanBytes(r.old_core.unreachable_bytes) << " in the old core, "
        << Grouped(r.new_core.unreachable_objects) << " objects, "
        << HumanBytes(r.new_core.unreachable_bytes) << " in the new one; --all counts them)\n";
  out << "\n";
  Table t;
  for (const char* h : {"old count", "new count", "+/- count", "old size", "new size", "+/- size"})
    t.AddColumn(h, Table::Align::kRight);
  if (r.has_retained)
    for (const char* h : {"old retained", "new retained", "+/- retained"})
      t.AddColumn(h, Table::Align::kRight);
  t.AddColumn("kind");
  t.AddColumn("type");
  auto add = [&](const DiffRow& row, const std::string& kind, const std::string& name, bool total) {
    std::vector<std::string> cells{
        Grouped(row.count.old_value),     Grouped(row.count.new_value),
        Signed(row.count.delta()),        Grouped(row.self_size.old_value),
        Grouped(row.self_size.new_value), Signed(row.self_size.delta())};
    if (r.has_retained)
      for (const auto& cell :
           {Grouped(row.retained_size.old_value), Grouped(row.retained_size.new_value),
            Signed(row.retained_size.delta())})
        cells.push_back(total ? "" : cell);
    cells.push_back(kind);
    cells.push_back(name);
    t.AddRow(std::move(cells));
  };
  for (const auto& row : r.rows) add(row, row.kind, row.name, false);
  add(r.total, "", "(total)", true);
  t.Print(out);
  if (r.rows_omitted) out << "(" << r.rows_omitted << " rows not shown)\n";
  for (const auto& row : r.rows) {
    if (!row.sample) continue;
    out << "\n"
        << row.kind << " " << row.name << ": "
        << (row.sample->is_new ? "a new instance" : "an instance (none is at a new address)");
    if (row.sample->path && row.sample->tried > 1)
      out << " (" << row.sample->agreeing << " of " << row.sample->tried
          << " sampled are held this way)";
    out << ", retained by\n";
    if (row.sample->path)
      PrintPath(*row.sample->path, out, "  ");
    else
      out << "  " << row.name << " @" << Hex(row.sample->address) << ": no retainer path\n";
  }
  PrintWalkWarning(r.old_core.walk, out);
  PrintWalkWarning(r.new_core.walk, out);
  for (const auto& warning : r.warnings) out << "warning: " << warning << "\n";
}

}  // namespace mortem::format

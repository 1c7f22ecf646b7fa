#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {

nlohmann::json ToJson(const RefsResult& r) {
  nlohmann::json refs = nlohmann::json::array();
  for (const auto& ref : r.references)
    refs.push_back({{"holder", Hex(ref.holder)},
                    {"holder_type", ref.holder_type},
                    {"edge", ref.edge},
                    {"weak", ref.weak}});
  nlohmann::json targets = nlohmann::json::array();
  for (Address t : r.targets) targets.push_back(Hex(t));
  return {{"schema", kSchemaVersion}, {"query", r.query},     {"targets", targets},
          {"references", refs},       {"partial", r.partial}, {"warnings", r.warnings}};
}

void PrintText(const RefsResult& r, std::ostream& out) {
  Table t;
  t.AddColumn("holder");
  t.AddColumn("type");
  t.AddColumn("edge");
  for (const auto& ref : r.references)
    t.AddRow({Hex(ref.holder), ref.holder_type, ref.edge + (ref.weak ? " (weak)" : "")});
  t.Print(out);
  out << r.references.size() << " references\n";
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

nlohmann::json ToJson(const RetainerPath& p) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : p.steps)
    steps.push_back({{"address", Hex(s.object)}, {"type", s.type}, {"edge", s.edge}});
  return {{"steps", steps}, {"root", p.root}};
}

void PrintPath(const RetainerPath& p, std::ostream& out, const std::string& indent) {
  const auto& s = p.steps;
  if (s.empty()) return;
  out << indent << OneLine(s[0].type) << " @" << Hex(s[0].object);
  for (size_t i = 1; i < s.size(); ++i)
    out << "\n"
        << indent << "  <- " << OneLine(s[i - 1].edge) << " of " << OneLine(s[i].type) << " @"
        << Hex(s[i].object);
  out << "\n" << indent << "  <- " << p.root << "\n";
}

nlohmann::json ToJson(const RetainersResult& r) {
  nlohmann::json paths = nlohmann::json::array();
  for (const auto& p : r.paths) paths.push_back(ToJson(p));
  return {{"schema", kSchemaVersion},
          {"address", Hex(r.target)},
          {"type", r.target_type},
          {"reachable", r.reachable},
          {"paths", paths},
          {"partial", r.partial},
          {"graph",
           {{"nodes", r.graph_nodes},
            {"edges", r.graph_edges},
            {"reached", r.reached},
            {"reached_with_weak", r.reached_with_weak},
            {"dangling_references", r.dangling_references},
            {"roots",
             {{"roots_table", r.roots_table},
              {"global_handles", r.global_handles},
              {"weak_global_handles", r.weak_global_handles},
              {"eternal_handles", r.eternal_handles},
              {"node_wraps", r.node_wraps},
              {"builtins", r.builtins},
              {"startup_object_cache", r.startup_object_cache},
              {"shared_heap_object_cache", r.shared_heap_object_cache},
              {"external_strings", r.external_strings},
              {"internalized_strings", r.internalized_strings},
              {"stack", r.stack_roots}}}}},
          {"warnings", r.warnings}};
}

void PrintText(const RetainersResult& r, std::ostream& out) {
  for (const auto& p : r.paths) {
    PrintPath(p, out, "");
    out << "\n";
  }
  if (r.paths.empty()) out << r.target_type << " @" << Hex(r.target) << ": no retainer path\n";
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

nlohmann::json ToJson(const DominatorsResult& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& d : r.rows)
    rows.push_back({{"address", Hex(d.object)},
                    {"type", d.type},
                    {"self_size", d.self_size},
                    {"retained_size", d.retained_size},
                    {"path", ToJson(d.path)}});
  return {{"schema", kSchemaVersion}, {"objects", r.heap_objects},
          {"reached", r.reached},     {"retained_by_roots", r.total_retained},
          {"dominators", rows},       {"partial", r.partial},
          {"warnings", r.warnings}};
}

void PrintText(const DominatorsResult& r, std::ostream& out) {
  Table t;
  t.AddColumn("object");
  t.AddColumn("type");
  t.AddColumn("self", Table::Align::kRight);
  t.AddColumn("retained", Table::Align::kRight);
  for (const auto& d : r.rows)
    t.AddRow({Hex(d.object), d.type, Grouped(d.self_size), Grouped(d.retained_size)});
  t.Print(out);
  out << "\n";
  for (const auto& d : r.rows) {
    if (d.path.steps.empty()) continue;
    out << HumanBytes(d.retained_size) << " retained by:\n";
    PrintPath(d.path, out, "  ");
  }
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

}  // namespace mortem::format

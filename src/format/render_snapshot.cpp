#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {

nlohmann::json ToJson(const SnapshotResult& r) {
  return {{"schema", kSchemaVersion},
          {"file", r.file},
          {"nodes", r.nodes},
          {"edges", r.edges},
          {"strings", r.strings},
          {"bytes", r.bytes},
          {"heap_nodes", r.heap_nodes},
          {"native_nodes", r.native_nodes},
          {"synthetic_nodes", r.synthetic_nodes},
          {"seconds", r.seconds},
          {"partial", r.partial},
          {"missing", r.missing},
          {"warnings", r.warnings}};
}

void PrintText(const SnapshotResult& r, std::ostream& out) {
  out << "wrote " << r.file << ": " << Grouped(r.nodes) << " nodes (" << Grouped(r.heap_nodes)
      << " heap objects, " << Grouped(r.native_nodes) << " backing stores, "
      << Grouped(r.synthetic_nodes) << " synthetic), " << Grouped(r.edges) << " edges, "
      << Grouped(r.strings) << " strings, " << HumanBytes(r.bytes) << "\n";
  for (const auto& m : r.missing) out << "partial: " << m << "\n";
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

}  // namespace mortem::format

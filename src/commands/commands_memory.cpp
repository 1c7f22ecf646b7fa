// The command about the whole address space: `memory` (mappings by kind, V8's heap, backing
// stores, glibc malloc's arenas).
#include "command_helpers.h"
#include "mortem/analysis/memory.h"

namespace mortem::commands {

void AddMemoryCommands(std::vector<Command>& r) {
  r.push_back(Command{
      .name = "memory",
      .summary = "the whole address space by kind, and glibc malloc's arenas: where RSS went",
      .add_options =
          [](po::options_description& o) {
            o.add_options()("mappings", "list every mapping (text; JSON always has them)");
          },
      .run =
          [](Invocation& in) {
            auto result = RunMemory(in.session);
            if (!in.json && in.options.count("mappings") == 0) result.mappings.clear();
            Emit(in, result);
            return PartialIf(result.partial);
          },
      .schema = "memory.json",
      .isolates = IsolateScope::kProcess});
}

}  // namespace mortem::commands

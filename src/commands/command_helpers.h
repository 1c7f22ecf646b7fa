// Purpose: what the command definitions share: rendering a result as JSON or text, reading
// --sort, and the groups of commands each file adds to the registry. Internal to mortem_commands.
#pragma once
#include <vector>

#include "mortem/commands/registry.h"
#include "mortem/format/render.h"

namespace mortem::commands {

// Text from the core (names, previews, read --format utf8) need not be valid UTF-8: JSON
// carries U+FFFD for invalid bytes instead of failing.
inline void EmitJson(const Invocation& in, const nlohmann::json& document) {
  in.out << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

template <typename Result>
void Emit(const Invocation& in, const Result& result) {
  if (in.json)
    EmitJson(in, format::ToJson(result));
  else
    format::PrintText(result, in.out);
}

// --sort's word (size, count, retained) as the Sort of ObjectsOptions or DiffOptions.
template <typename Sort>
Sort SortFrom(const po::variables_map& vm) {
  const auto sort = vm["sort"].as<std::string>();
  if (sort == "size") return Sort::kSize;
  if (sort == "count") return Sort::kCount;
  if (sort == "retained") return Sort::kRetained;
  throw po::error("--sort takes size, count or retained");
}

inline ExitCode PartialIf(bool partial) {
  return partial ? ExitCode::kPartial : ExitCode::kOk;
}

void AddHeapCommands(std::vector<Command>& r);      // commands_heap.cpp
void AddBufferCommands(std::vector<Command>& r);    // commands_buffers.cpp
void AddStackCommands(std::vector<Command>& r);     // commands_stack.cpp
void AddGraphCommands(std::vector<Command>& r);     // commands_graph.cpp
void AddDiffCommands(std::vector<Command>& r);      // commands_diff.cpp
void AddMemoryCommands(std::vector<Command>& r);    // commands_memory.cpp
void AddSnapshotCommands(std::vector<Command>& r);  // commands_snapshot.cpp

}  // namespace mortem::commands

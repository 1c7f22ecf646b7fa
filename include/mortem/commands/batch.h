// Purpose: running one registry command over many cores (`--batch DIR_OR_GLOB`): one JSON line
// per core ({"core", "exit_code", "result" | "error"}), in sorted order, past unreadable cores.
// Exit status: 5 (partial) if any core failed, else 6 if a --fail-if condition held, else 0.
#pragma once
#include <string>
#include <vector>

#include "mortem/commands/registry.h"
#include "mortem/elf/core_target.h"

namespace mortem::commands {

int RunBatch(const Command& command, const std::string& pattern, const CoreTargetOptions& base,
             std::vector<std::string> args);

}  // namespace mortem::commands

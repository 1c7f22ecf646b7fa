// Purpose: what a frontend tells a Session about a core it opened with mortem's reader (pid,
// full command line, signal, threads and their registers, binary, load warnings). Shared by the
// CLI and the LLDB plugin, which both open cores this way.
#pragma once
#include "mortem/analysis/session.h"
#include "mortem/elf/core_target.h"

namespace mortem::commands {

ProcessFacts FactsOfCore(const CoreTarget& target);

}  // namespace mortem::commands

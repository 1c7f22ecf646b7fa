// Purpose: opening a core with mortem's reader for a command, in one place: the CoreTarget, its
// unwinder, and the Session over them, with what a frontend tells a Session about such a core
// (pid, full command line, signal, threads and their registers, binary, load warnings). Shared
// by the CLI, --batch, a second core (diff) and the LLDB plugin, which all open cores this way.
#pragma once
#include <memory>

#include "mortem/analysis/session.h"
#include "mortem/elf/core_target.h"
#include "mortem/elf/core_unwinder.h"

namespace mortem::commands {

ProcessFacts FactsOfCore(const CoreTarget& target);

// A core, its unwinder and the Session that reads both: they live and die together (the
// session, declared last, goes first).
struct CoreSession {
  std::unique_ptr<CoreTarget> core;
  std::unique_ptr<CoreUnwinder> unwinder;
  std::unique_ptr<Session> session;
};

CoreSession OpenCoreSession(const CoreTargetOptions& options);  // throws Error

}  // namespace mortem::commands

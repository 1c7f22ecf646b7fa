// Purpose: the mortem::Session of the debugger's selected target, kept between commands so that
// the heap walk of one command serves the next. Memory is read through LLDB (SbMemory, symbols
// from SbSymbolTable) for live processes; for an ELF core, the core file LLDB opened is found
// and opened directly with mortem's own reader (CoreTarget: mmap'd, as fast as the CLI and with
// its facts), unless MORTEM_LLDB_MEMORY=sb. Memory and session are rebuilt when the process stops
// again (SBProcess::GetStopID) or another target/process is selected.
#pragma once
#include <lldb/API/SBDebugger.h>
#include <lldb/API/SBProcess.h>
#include <lldb/API/SBTarget.h>

#include <memory>
#include <string>

#include "mortem/analysis/session.h"
#include "mortem/elf/core_target.h"
#include "sb_memory.h"
#include "sb_symbols.h"
#include "sb_unwinder.h"

namespace mortem::lldb_plugin {

class TargetSessions {
 public:
  // The session of the selected target; throws mortem::Error when there is no target or process.
  Session& Get(lldb::SBDebugger debugger);
  // After each command: lets the memory cache shrink to its bound.
  void EndCommand();
  // `v8 settings`: where memory comes from, the unwinder, the worker threads.
  void DescribeSettings(lldb::SBDebugger debugger, std::ostream& out);

 private:
  void Build(lldb::SBTarget target, lldb::SBProcess process);
  // The core file of an "elf-core" process, opened by mortem; null if it can't be found/opened.
  std::unique_ptr<CoreTarget> OpenCore(lldb::SBTarget target, lldb::SBProcess process,
                                       std::string& why_not);

  lldb::SBTarget target_;
  uint32_t process_id_ = 0;  // SBProcess::GetUniqueID
  uint32_t stop_id_ = 0;
  std::unique_ptr<CoreTarget> core_;
  std::unique_ptr<SbSymbolTable> symbols_;
  std::unique_ptr<SbMemory> memory_;
  std::unique_ptr<SbUnwinder> unwinder_;  // lldb's unwinder, for cores and live processes
  std::unique_ptr<Session> session_;
};

}  // namespace mortem::lldb_plugin

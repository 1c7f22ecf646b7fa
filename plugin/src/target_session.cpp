#include "target_session.h"

#include <elf.h>
#include <lldb/API/SBFileSpec.h>
#include <lldb/API/SBFrame.h>
#include <lldb/API/SBModule.h>
#include <lldb/API/SBThread.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "mortem/commands/core_facts.h"
#include "mortem/core/error.h"

namespace mortem::lldb_plugin {
namespace {

std::string PathOf(lldb::SBFileSpec spec) {
  char buffer[4096];
  if (!spec.IsValid() || spec.GetPath(buffer, sizeof buffer) == 0) return "";
  return buffer;
}

ProcessFacts FactsOfProcess(lldb::SBTarget target, lldb::SBProcess process) {
  ProcessFacts f;
  f.pid = static_cast<int>(process.GetProcessID());
  f.executable = PathOf(target.GetExecutable());
  f.binary_path = f.executable;
  lldb::SBModule module = target.GetModuleAtIndex(0);
  if (const char* uuid = module.IsValid() ? module.GetUUIDString() : nullptr) {
    for (const char* c = uuid; *c; ++c)
      if (*c != '-') f.build_id += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
  }
  // A live local process: its command line from /proc.
  if (std::string(process.GetPluginName() ? process.GetPluginName() : "") != "elf-core") {
    std::ifstream in("/proc/" + std::to_string(f.pid) + "/cmdline");
    std::string arg;
    while (std::getline(in, arg, '\0')) f.command_line += (f.command_line.empty() ? "" : " ") + arg;
  }
  const uint32_t n = process.GetNumThreads();
  for (uint32_t i = 0; i < n; ++i) {
    lldb::SBThread thread = process.GetThreadAtIndex(i);
    ThreadInfo t;
    t.tid = static_cast<int>(thread.GetThreadID());
    if (const char* name = thread.GetName()) t.name = name;  // a live process's (none in cores)
    lldb::SBFrame frame = thread.GetFrameAtIndex(0);
    if (frame.IsValid()) {
      t.pc = frame.GetPC();
      t.sp = frame.GetSP();
      t.fp = frame.GetFP();
    }
    if (f.signal == 0 && thread.GetStopReason() == lldb::eStopReasonSignal &&
        thread.GetStopReasonDataCount() > 0)
      f.signal = static_cast<int>(thread.GetStopReasonDataAtIndex(0));
    f.threads.push_back(t);
  }
  return f;
}

// Files lldb has mapped from offset 0 that are ELF cores: lldb maps the core it opened.
std::vector<std::string> MappedCoreFiles() {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, dev, inode, path;
    fields >> range >> perms >> offset >> dev >> inode;
    std::getline(fields >> std::ws, path);
    if (path.empty() || path[0] != '/' || std::strtoull(offset.c_str(), nullptr, 16) != 0 ||
        !seen.insert(path).second)
      continue;
    std::ifstream file(path, std::ios::binary);
    Elf64_Ehdr header{};
    if (!file.read(reinterpret_cast<char*>(&header), sizeof header)) continue;
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 && header.e_type == ET_CORE)
      out.push_back(path);
  }
  return out;
}

}  // namespace

std::unique_ptr<CoreTarget> TargetSessions::OpenCore(lldb::SBTarget target, lldb::SBProcess process,
                                                     std::string& why_not) {
  const char* plugin = process.GetPluginName();
  if (!plugin || std::string(plugin) != "elf-core") return nullptr;
  if (const char* mode = std::getenv("MORTEM_LLDB_MEMORY"); mode && std::string(mode) == "sb")
    return nullptr;
  for (const auto& path : MappedCoreFiles()) {
    try {
      CoreTargetOptions options;
      options.core_path = path;
      options.binary_path = PathOf(target.GetExecutable());
      auto core = CoreTarget::Open(options);
      if (static_cast<uint64_t>(core->core().process().pid) == process.GetProcessID() &&
          core->core().threads().size() == process.GetNumThreads())
        return core;
    } catch (const std::exception& e) {
      why_not = e.what();
    }
  }
  if (why_not.empty()) why_not = "lldb's core file was not found among its mapped files";
  return nullptr;
}

void TargetSessions::Build(lldb::SBTarget target, lldb::SBProcess process) {
  session_.reset();
  memory_.reset();
  core_.reset();
  unwinder_ = std::make_unique<SbUnwinder>(target, process);
  std::string why_not;
  core_ = OpenCore(target, process, why_not);
  if (core_) {
    session_ = std::make_unique<Session>(*core_, core_->binary(), commands::FactsOfCore(*core_));
    session_->set_unwinder(unwinder_.get());
    return;
  }
  if (!symbols_) symbols_ = std::make_unique<SbSymbolTable>(target);
  memory_ = std::make_unique<SbMemory>(target, process);
  ProcessFacts facts = FactsOfProcess(target, process);
  if (!why_not.empty())
    facts.warnings.push_back("reading the core through lldb (not opened directly: " + why_not +
                             ")");
  session_ = std::make_unique<Session>(*memory_, *symbols_, std::move(facts));
  session_->set_unwinder(unwinder_.get());
}

Session& TargetSessions::Get(lldb::SBDebugger debugger) {
  lldb::SBTarget target = debugger.GetSelectedTarget();
  if (!target.IsValid()) throw Error("no target: load one with `target create` or `lldb -c CORE`");
  lldb::SBProcess process = target.GetProcess();
  if (!process.IsValid())
    throw Error("the target has no process: open a core (-c CORE) or attach (-p PID)");
  const lldb::StateType state = process.GetState();
  if (state == lldb::eStateRunning || state == lldb::eStateStepping)
    throw Error("the process is running: interrupt it first (process interrupt)");
  if (state != lldb::eStateStopped && state != lldb::eStateSuspended &&
      state != lldb::eStateCrashed)
    throw Error(std::string("the process is not stopped (state: ") +
                lldb::SBDebugger::StateAsCString(state) + ")");

  if (!(target_.IsValid() && target_ == target)) {
    session_.reset();
    symbols_.reset();
    target_ = target;
    process_id_ = 0;
  }
  const uint32_t process_id = process.GetUniqueID();
  const uint32_t stop_id = process.GetStopID();
  if (process_id != process_id_) {  // a new process: load addresses may differ
    session_.reset();
    symbols_.reset();
  }
  if (!session_ || process_id != process_id_ || stop_id != stop_id_) {
    Build(target, process);
    process_id_ = process_id;
    stop_id_ = stop_id;
  }
  return *session_;
}

void TargetSessions::DescribeSettings(lldb::SBDebugger debugger, std::ostream& out) {
  Session& session = Get(debugger);
  out << "memory:   "
      << (core_ ? "the core file " + core_->core().path() + ", read by mortem (mmap'd)"
                : std::string("lldb's process memory (SBProcess::ReadMemory, 64 KiB block cache)"))
      << "\n"
      << "          MORTEM_LLDB_MEMORY=sb reads cores through lldb too\n"
      << "unwinder: lldb's (v8 bt shows lldb's frames with V8's decoded)\n"
      << "threads:  " << session.threads() << " for heap walks (--threads N per command)\n"
      << "session:  the heap model is kept until the process resumes (stop id " << stop_id_
      << ")\n";
}

void TargetSessions::EndCommand() {
  if (memory_) memory_->EndCommand();
}

}  // namespace mortem::lldb_plugin

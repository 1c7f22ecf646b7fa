#include "mortem/commands/core_facts.h"

#include <algorithm>

namespace mortem::commands {

namespace {

// Files the NT_FILE note lists where the core has no PT_LOAD (gcore leaves read-only file
// mappings out): mappings too, with no bytes in the core and their rights unknown (read-only).
void AddFileOnlyMappings(const CoreFile& core, std::vector<Mapping>& mappings) {
  std::vector<Mapping> added;
  for (const auto& file : core.mapped_files()) {
    Address cursor = file.start;
    auto add_gap = [&](Address end) {
      if (end > cursor)
        added.push_back(Mapping{.start = cursor,
                                .end = end,
                                .readable = true,
                                .path = file.path,
                                .file_offset = file.file_offset + (cursor - file.start)});
    };
    for (const auto& m : mappings) {
      if (m.end <= cursor || m.start >= file.end) continue;
      add_gap(std::min(m.start, file.end));
      cursor = std::max(cursor, m.end);
    }
    add_gap(file.end);
  }
  if (added.empty()) return;
  mappings.insert(mappings.end(), added.begin(), added.end());
  std::sort(mappings.begin(), mappings.end(),
            [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
}

}  // namespace

ProcessFacts FactsOfCore(const CoreTarget& target) {
  ProcessFacts f;
  const auto& core = target.core();
  f.pid = core.process().pid;
  f.command_line = core.process().arguments;  // cut by the kernel at 80 bytes
  if (auto argv = core.Arguments(); !argv.empty()) {
    f.command_line.clear();
    for (const auto& a : argv) f.command_line += (f.command_line.empty() ? "" : " ") + a;
  }
  f.signal = core.process().signal;
  f.executable = target.recorded_executable();
  f.binary_path = target.binary().path();
  f.build_id = target.binary().build_id();
  f.core_build_id = target.core_build_id();
  for (const auto& t : core.threads())
    f.threads.push_back(ThreadInfo{t.tid, t.reg(Reg::rip), t.reg(Reg::rsp), t.reg(Reg::rbp)});
  for (const auto& s : core.segments()) {
    Mapping m{.start = s.vaddr,
              .end = s.vaddr + s.mem_size,
              .readable = s.readable,
              .writable = s.writable,
              .executable = s.executable,
              .core_bytes = s.file_size};
    for (const auto& file : core.mapped_files())
      if (file.start <= m.start && m.start < file.end) {
        m.path = file.path;
        m.file_offset = file.file_offset + (m.start - file.start);
      }
    f.mappings.push_back(std::move(m));
  }
  AddFileOnlyMappings(core, f.mappings);
  f.warnings = target.warnings();
  f.truncated = core.truncated_bytes() > 0;
  return f;
}

CoreSession OpenCoreSession(const CoreTargetOptions& options) {
  CoreSession s;
  s.core = CoreTarget::Open(options);
  s.unwinder = std::make_unique<CoreUnwinder>(*s.core);
  s.session = std::make_unique<Session>(*s.core, s.core->binary(), FactsOfCore(*s.core));
  s.session->set_unwinder(s.unwinder.get());
  return s;
}

}  // namespace mortem::commands

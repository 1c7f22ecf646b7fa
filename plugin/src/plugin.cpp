// The LLDB plugin's entry point: `plugin load libmortem_lldb.so` registers the `v8` multiword
// command, one subcommand per command of mortem's shared registry plus llnode's names, all run
// through mortem::commands::RunCommand on the selected target's cached Session.
#include <lldb/API/SBCommandInterpreter.h>
#include <lldb/API/SBCommandReturnObject.h>
#include <lldb/API/SBDebugger.h>
#include <lldb/API/SBExpressionOptions.h>
#include <lldb/API/SBFrame.h>
#include <lldb/API/SBThread.h>
#include <lldb/API/SBValue.h>

#include <sstream>
#include <string>
#include <vector>

#include "mortem/commands/registry.h"
#include "mortem/core/error.h"
#include "mortem/elf/core_target.h"
#include "mortem/format/table.h"
#include "target_session.h"
#include "translate.h"

namespace mortem::lldb_plugin {
namespace {

TargetSessions& Sessions() {
  static TargetSessions sessions;  // lldb runs commands one at a time
  return sessions;
}

// The value of an expression as an address: evaluated in the selected frame if there is one,
// else in the target.
std::string EvaluateAddress(lldb::SBDebugger debugger, const std::string& expression) {
  lldb::SBTarget target = debugger.GetSelectedTarget();
  lldb::SBExpressionOptions options;
  options.SetTimeoutInMicroSeconds(5'000'000);
  options.SetTryAllThreads(false);
  lldb::SBValue value;
  lldb::SBFrame frame = target.GetProcess().GetSelectedThread().GetSelectedFrame();
  if (frame.IsValid())
    value = frame.EvaluateExpression(expression.c_str(), options);
  else
    value = target.EvaluateExpression(expression.c_str(), options);
  lldb::SBError error = value.GetError();
  if (!value.IsValid() || error.Fail())
    throw Error("cannot evaluate '" + expression +
                    "' as an address: " + (error.GetCString() ? error.GetCString() : "no value"),
                ExitCode::kUsage);
  bool ok = true;
  lldb::SBError value_error;
  uint64_t address = value.GetValueAsUnsigned(value_error, 0);
  ok = value_error.Success();
  if (!ok) throw Error("'" + expression + "' has no integer value", ExitCode::kUsage);
  std::ostringstream hex;
  hex << "0x" << std::hex << address;
  return hex.str();
}

void PrintHelp(std::ostream& out) {
  out << "mortem: V8 heap analysis for Node.js (usage: v8 COMMAND [ARGS] [--json])\n\n"
         "commands:\n";
  commands::PrintCommandList(out, [](const commands::Command& c) {
    return c.second_core ? " (v8 diff NEW_CORE: the debugged core is the old one)" : "";
  });
  out << "\nllnode names:\n";
  format::Table names;
  for (const char* column : {"", "llnode", "means"}) names.AddColumn(column);
  for (const auto* a : Aliases()) names.AddRow({"", a->usage, "= " + a->means});
  names.Print(out, false);
  out << "  inspect EXPR: EXPR may be an address or an expression lldb evaluates\n"
         "\n`v8 COMMAND --help` lists a command's options.\n";
}

void PrintCommandHelp(const commands::Command& command, std::ostream& out) {
  out << "usage: v8 " << command.name;
  for (const auto& p : command.positionals) out << " " << p;
  out << " [options]\n" << command.summary << "\n\n" << commands::CommandOptions(command);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class V8Subcommand : public lldb::SBCommandPluginInterface {
 public:
  explicit V8Subcommand(std::string name) : name_(std::move(name)) {}

  bool DoExecute(lldb::SBDebugger debugger, char** command,
                 lldb::SBCommandReturnObject& result) override {
    try {
      return Execute(debugger, command, result);
    } catch (const std::exception& e) {
      result.SetError((std::string("mortem: internal error: ") + e.what()).c_str());
    } catch (...) {
      result.SetError("mortem: internal error (unknown exception)");
    }
    result.SetStatus(lldb::eReturnStatusFailed);
    Sessions().EndCommand();
    return false;
  }

 private:
  bool Execute(lldb::SBDebugger debugger, char** command, lldb::SBCommandReturnObject& result) {
    std::vector<std::string> args;
    for (char** a = command; a && *a; ++a) args.emplace_back(*a);
    std::ostringstream out, err;
    bool ok = Run(debugger, args, out, err);
    Sessions().EndCommand();
    const std::string text = out.str();
    if (!text.empty()) result.Printf("%s", text.c_str());
    const std::string errors = Trim(err.str());
    if (!ok) {
      result.SetError(errors.empty() ? "mortem: failed" : errors.c_str());
      result.SetStatus(lldb::eReturnStatusFailed);
      return false;
    }
    if (!errors.empty()) result.Printf("%s\n", errors.c_str());  // warnings of a partial result
    result.SetStatus(lldb::eReturnStatusSuccessFinishResult);
    return true;
  }

  bool Run(lldb::SBDebugger debugger, std::vector<std::string> args, std::ostream& out,
           std::ostream& err) {
    if (name_ == "help") {
      PrintHelp(out);
      return true;
    }
    if (name_ == "settings") {
      try {
        Sessions().DescribeSettings(debugger, out);
        return true;
      } catch (const Error& e) {
        err << "mortem settings: error: " << e.what();
        return false;
      }
    }
    std::string error;
    auto t = Translate(name_, std::move(args), error, commands::OptionTakesValue);
    if (!t) {
      err << "mortem: " << error;
      return false;
    }
    const commands::Command* c = commands::FindCommand(t->command);
    if (!c) {
      err << "mortem: unknown command '" << t->command << "' (v8 help lists them)";
      return false;
    }
    for (const auto& a : t->args)
      if (a == "--help" || a == "-h") {
        PrintCommandHelp(*c, out);
        return true;
      }
    for (const auto& note : t->notes) out << "note: " << note << "\n";
    try {
      if (t->address_arg && !IsPlainNumber(t->args[*t->address_arg]))
        t->args[*t->address_arg] = EvaluateAddress(debugger, t->args[*t->address_arg]);
      Session& session = Sessions().Get(debugger);
      AddSelection(debugger, session, *t);
      // Commands comparing two cores (diff) open the other core with mortem's own reader, for
      // this command only; the debugged target is the first (older) one.
      const commands::Frontend frontend{.other_cores = CoreTargetOptions{}};
      const ExitCode code = commands::RunCommand(*c, session, t->args, out, err, frontend);
      return code == ExitCode::kOk || code == ExitCode::kPartial;
    } catch (const Error& e) {
      err << "mortem " << c->name << ": error: " << e.what();
      return false;
    }
  }

  // `--thread K` (K: the selected thread's number in the session's thread list) and
  // `--frame F` (lldb's selected frame index: the same frames, from lldb's unwinder).
  static void AddSelection(lldb::SBDebugger debugger, Session& session, Translation& t) {
    auto has = [&](const char* flag) {
      for (const auto& a : t.args)
        if (a == flag || a.starts_with(std::string(flag) + "=")) return true;
      return false;
    };
    if (has("--thread") || has("--all")) t.selected_thread = false;
    if (has("--frame")) t.selected_frame = false;
    lldb::SBThread thread = debugger.GetSelectedTarget().GetProcess().GetSelectedThread();
    if (!thread.IsValid()) return;
    // Heap commands default to the isolate the selected thread runs, if it runs one.
    const commands::Command* command = commands::FindCommand(t.command);
    if (command && command->isolates == commands::IsolateScope::kEach && !has("--isolate"))
      for (const auto& isolate : session.isolates())
        if (isolate.tid != 0 && static_cast<lldb::tid_t>(isolate.tid) == thread.GetThreadID()) {
          t.args.push_back("--isolate");
          t.args.push_back(std::to_string(isolate.index));
        }
    if (!t.selected_thread && !t.selected_frame) return;
    const auto& threads = session.facts().threads;
    for (size_t i = 0; i < threads.size(); ++i)
      if (static_cast<lldb::tid_t>(threads[i].tid) == thread.GetThreadID() && t.selected_thread) {
        t.args.push_back("--thread");
        t.args.push_back(std::to_string(i + 1));
      }
    if (t.selected_frame) {
      t.args.push_back("--frame");
      t.args.push_back(std::to_string(thread.GetSelectedFrame().GetFrameID()));
    }
  }

  std::string name_;
};

bool Initialize(lldb::SBDebugger debugger) {
  lldb::SBCommandInterpreter interpreter = debugger.GetCommandInterpreter();
  lldb::SBCommand v8 = interpreter.AddMultiwordCommand(
      "v8", "Node.js V8 heap analysis by mortem (`v8 help` lists the commands)");
  if (!v8.IsValid()) return false;
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& c : commands::Registry()) names.emplace_back(c.name, c.summary);
  // llnode's names that are not a command's own (inspect, source: their flags only).
  for (const auto* a : Aliases())
    if (!commands::FindCommand(a->name))
      names.emplace_back(a->name, "llnode's " + a->usage + " = `v8 " + a->means + "`");
  names.emplace_back("settings", "where memory comes from, the unwinder, threads");
  names.emplace_back("help", "the v8 commands");
  for (const auto& [name, help] : names) {
    // lldb keeps the pointer for the life of the command; it is never deleted.
    v8.AddCommand(name.c_str(), new V8Subcommand(name), help.c_str());
  }
  return true;
}

}  // namespace
}  // namespace mortem::lldb_plugin

namespace lldb {
__attribute__((visibility("default"))) bool PluginInitialize(lldb::SBDebugger debugger);
bool PluginInitialize(lldb::SBDebugger debugger) {
  try {
    return mortem::lldb_plugin::Initialize(debugger);
  } catch (...) {
    return false;
  }
}
}  // namespace lldb

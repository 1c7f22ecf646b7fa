// Purpose: llnode's names for mortem's commands, as the LLDB plugin offers them (`v8
// findjsobjects`, `v8 bt 20`, ...): each alias says how its words become a registry command and its
// arguments. The command descriptors in the registry carry their aliases; the plugin applies them.
// Pure (no LLDB types), so that every translation is unit-tested without a debugger.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mortem::commands {

struct Translation {
  std::string command;             // a registry command name
  std::vector<std::string> args;   // its arguments (after the target)
  std::vector<std::string> notes;  // said to the user before the output (ignored llnode flags)
  // Index in args of an address argument that may be an expression for the debugger to
  // evaluate (inspect/print/read), if present.
  std::optional<size_t> address_arg;
  // The debugger's selected thread (`--thread K`) and frame (`--frame F`) are appended (bt,
  // source list).
  bool selected_thread = false, selected_frame = false;
};

// Whether a command's long option ("--depth") takes a value; the plugin asks the registry's
// option specs (OptionTakesValue), tests pass their own.
using TakesValue = std::function<bool(const std::string& command, const std::string& option)>;

// The words after the alias's name; nothing (and error set) for a usage error of the alias.
using Translator = std::function<std::optional<Translation>(
    std::vector<std::string> args, std::string& error, const TakesValue& takes_value)>;

struct Alias {
  std::string name;   // the word after `v8`; the command's own name: llnode's flags of it
  std::string usage;  // llnode's form, for help: "findjsinstances [-n N] NAME"
  std::string means;  // the mortem command it runs, for help: "instances NAME --limit N"
  Translator translate;
};

// Joins the positional words of args (skipping "--option VALUE" pairs of the command's options
// that take a value) into one expression, so that `v8 inspect ptr + 8` works; returns its index
// in args, if any.
std::optional<size_t> MergePositionals(const std::string& command, std::vector<std::string>& args,
                                       const TakesValue& takes_value);

// True for "0x1f", "4096": an address the registry parses itself, no evaluation needed.
bool IsPlainNumber(const std::string& text);

// True for "-n", "--json"; false for "-" and words.
bool IsFlag(const std::string& word);

}  // namespace mortem::commands

// Purpose: turns the words after `v8` into a call of the shared command registry: registry
// commands pass through unchanged, llnode's names (findjsobjects, findjsinstances, inspect, print,
// nodeinfo, bt, findrefs, source list, getactivehandles, getactiverequests) are mapped onto them
// with their flags translated. Pure (no LLDB types), so that the mapping is unit-tested without a
// debugger.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mortem::lldb_plugin {

struct Translation {
  std::string command;             // a registry command name, or "help"
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
// option specs, tests pass their own.
using TakesValue = std::function<bool(const std::string& command, const std::string& option)>;

// name: the subcommand (e.g. "findjsinstances"); args: the words after it. Returns nothing and
// sets error for a usage error of an alias. Names not known here are passed through unchanged
// (the registry reports unknown commands).
std::optional<Translation> Translate(const std::string& name, std::vector<std::string> args,
                                     std::string& error, const TakesValue& takes_value);

// Joins the positional words of args (skipping "--option VALUE" pairs of the command's options
// that take a value) into one expression, so that `v8 inspect ptr + 8` works; returns its index
// in args, if any.
std::optional<size_t> MergePositionals(const std::string& command, std::vector<std::string>& args,
                                       const TakesValue& takes_value);

// True for "0x1f", "4096": an address the registry parses itself, no evaluation needed.
bool IsPlainNumber(const std::string& text);

// The llnode alias names with the registry command each maps to, for `v8 help`.
const std::vector<std::pair<std::string, std::string>>& Aliases();

}  // namespace mortem::lldb_plugin

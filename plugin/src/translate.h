// Purpose: turns the words after `v8` into a call of the shared command registry: registry
// commands pass through, llnode's names (the aliases each command's descriptor carries:
// findjsobjects, findjsinstances, print, nodeinfo, bt, findrefs, source list, getactivehandles,
// getactiverequests, inspect's flags) are translated by their descriptor, and a command's address
// argument may be an expression of several words. Pure (no LLDB types), so that the mapping is
// unit-tested without a debugger.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/commands/llnode.h"
#include "mortem/commands/registry.h"

namespace mortem::lldb_plugin {

using commands::IsPlainNumber;
using commands::MergePositionals;
using commands::TakesValue;
using commands::Translation;

// name: the subcommand (e.g. "findjsinstances"); args: the words after it. Returns nothing and
// sets error for a usage error of an alias. Names not known here are passed through unchanged
// (the registry reports unknown commands).
std::optional<Translation> Translate(const std::string& name, std::vector<std::string> args,
                                     std::string& error, const TakesValue& takes_value);

// The llnode aliases of the registry's commands, in its order.
std::vector<const commands::Alias*> Aliases();

}  // namespace mortem::lldb_plugin

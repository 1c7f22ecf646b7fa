#include "translate.h"

namespace mortem::lldb_plugin {
namespace {

const commands::Alias* FindAlias(const std::string& name) {
  for (const auto* a : Aliases())
    if (a->name == name) return a;
  return nullptr;
}

// A command whose first argument is an address takes an expression of several words (not refs
// --name / --string, whose argument is a property name or a text).
void MergeAddress(Translation& t, const TakesValue& takes_value) {
  const commands::Command* c = commands::FindCommand(t.command);
  if (t.address_arg || !c || c->positionals.empty() || c->positionals[0] != "address") return;
  for (const auto& a : t.args)
    if (a == "--name" || a == "--string") return;
  t.address_arg = MergePositionals(t.command, t.args, takes_value);
}

}  // namespace

std::vector<const commands::Alias*> Aliases() {
  std::vector<const commands::Alias*> aliases;
  for (const auto& c : commands::Registry())
    for (const auto& a : c.aliases) aliases.push_back(&a);
  return aliases;
}

std::optional<Translation> Translate(const std::string& name, std::vector<std::string> args,
                                     std::string& error, const TakesValue& takes_value) {
  std::optional<Translation> t;
  if (const commands::Alias* alias = FindAlias(name))
    t = alias->translate(std::move(args), error, takes_value);
  else
    t = Translation{.command = name, .args = std::move(args)};
  if (t) MergeAddress(*t, takes_value);
  return t;
}

}  // namespace mortem::lldb_plugin

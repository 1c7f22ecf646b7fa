#include "sb_symbols.h"

#include <lldb/API/SBAddress.h>
#include <lldb/API/SBModule.h>
#include <lldb/API/SBSymbol.h>

#include <algorithm>

namespace mortem::lldb_plugin {

SbSymbolTable::SbSymbolTable(lldb::SBTarget target) {
  lldb::SBModule module = target.GetModuleAtIndex(0);  // the main executable
  const size_t n = module.IsValid() ? module.GetNumSymbols() : 0;
  entries_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    lldb::SBSymbol symbol = module.GetSymbolAtIndex(i);
    if (!symbol.IsValid()) continue;
    // The ELF (mangled) name, as mortem's own ELF reader sees it.
    const char* name = symbol.GetMangledName();
    if (!name || !*name) name = symbol.GetName();
    if (!name || !*name) continue;
    lldb::SBAddress start = symbol.GetStartAddress();
    if (!start.IsValid()) continue;
    const lldb::addr_t address = start.GetLoadAddress(target);
    if (address == LLDB_INVALID_ADDRESS) continue;
    Entry e{name, address, 0, symbol.GetType() == lldb::eSymbolTypeCode};
    lldb::SBAddress end = symbol.GetEndAddress();
    if (end.IsValid()) {
      const lldb::addr_t end_address = end.GetLoadAddress(target);
      if (end_address != LLDB_INVALID_ADDRESS && end_address > address)
        e.size = end_address - address;
    }
    entries_.push_back(std::move(e));
  }
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.name < b.name; });
  entries_.erase(std::unique(entries_.begin(), entries_.end(),
                             [](const Entry& a, const Entry& b) { return a.name == b.name; }),
                 entries_.end());
  for (size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].size > 0) by_address_.push_back(i);
  std::sort(by_address_.begin(), by_address_.end(),
            [&](size_t a, size_t b) { return entries_[a].address < entries_[b].address; });
}

std::optional<Symbol> SbSymbolTable::Find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.name < n; });
  if (it == entries_.end() || it->name != name) return std::nullopt;
  return ToSymbol(*it);
}

void SbSymbolTable::ForEachWithPrefix(std::string_view prefix,
                                      const std::function<void(const Symbol&)>& visit) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), prefix,
                             [](const Entry& e, std::string_view p) { return e.name < p; });
  for (; it != entries_.end() && std::string_view(it->name).starts_with(prefix); ++it)
    visit(ToSymbol(*it));
}

std::optional<Symbol> SbSymbolTable::FindByAddress(Address address) const {
  auto it = std::upper_bound(by_address_.begin(), by_address_.end(), address,
                             [&](Address a, size_t i) { return a < entries_[i].address; });
  if (it == by_address_.begin()) return std::nullopt;
  const Entry& e = entries_[*std::prev(it)];
  if (address >= e.address + e.size) return std::nullopt;
  return ToSymbol(e);
}

}  // namespace mortem::lldb_plugin

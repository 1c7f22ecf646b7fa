// Purpose: mortem::SymbolTable over the symbols LLDB loaded for the target's main executable
// (SBModule::GetSymbolAtIndex), with load addresses, built once per target: a name-sorted table
// for Find/ForEachWithPrefix and an address-sorted one for FindByAddress.
#pragma once
#include <lldb/API/SBTarget.h>

#include <string>
#include <vector>

#include "mortem/core/symbols.h"

namespace mortem::lldb_plugin {

class SbSymbolTable : public SymbolTable {
 public:
  explicit SbSymbolTable(lldb::SBTarget target);

  std::optional<Symbol> Find(std::string_view name) const override;
  void ForEachWithPrefix(std::string_view prefix,
                         const std::function<void(const Symbol&)>& visit) const override;
  std::optional<Symbol> FindByAddress(Address address) const override;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string name;
    Address address = 0;
    uint64_t size = 0;
    bool is_function = false;
  };
  static Symbol ToSymbol(const Entry& e) {
    return Symbol{e.name, e.address, e.size, e.is_function};
  }

  std::vector<Entry> entries_;      // sorted by name, first of each name kept
  std::vector<size_t> by_address_;  // indexes of sized entries, sorted by address
};

}  // namespace mortem::lldb_plugin

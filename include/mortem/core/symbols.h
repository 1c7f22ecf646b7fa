// Purpose: the symbol table of the target's executable, as the layers above need it: look up a
// symbol by name, enumerate symbols by name prefix (the v8dbg_* and nodedbg_* families), and find
// the symbol containing an address. Implemented over ELF by mortem_elf and by fakes in tests.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mortem/core/memory.h"

namespace mortem {

struct Symbol {
  std::string_view name;
  Address address = 0;
  uint64_t size = 0;
  bool is_function = false;
};

class SymbolTable {
 public:
  virtual ~SymbolTable() = default;
  virtual std::optional<Symbol> Find(std::string_view name) const = 0;
  virtual void ForEachWithPrefix(std::string_view prefix,
                                 const std::function<void(const Symbol&)>& visit) const = 0;
  // The symbol whose [address, address+size) contains the address, if any.
  virtual std::optional<Symbol> FindByAddress(Address address) const = 0;
};

}  // namespace mortem

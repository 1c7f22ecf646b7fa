// Purpose: naming Node's handle and request wraps as Node itself does. getActiveResourcesInfo()
// lists each wrap's MemoryInfoName(): the C++ class (read off the wrap's vtable symbol), except
// TCPWrap, which says TCPServerWrap or TCPSocketWrap by its AsyncWrap provider (read through
// node::provider_names; the provider field is found by structure, see NodeWrapNamer::Prepare).
// _getActiveHandles() lists each wrap's owner (the owner_symbol chain of its JS object); a handle
// counts only while its libuv handle is referenced (uv_has_ref).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/core/symbols.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/names.h"

namespace mortem::v8 {

struct WrapNames {
  std::string type;      // as getActiveResourcesInfo() names it ("" if the vtable is unknown)
  std::string provider;  // the AsyncWrap provider: TCPSERVERWRAP, FSREQCALLBACK, ... ("" unknown)
  std::string owner;     // handles: the owner's constructor (_getActiveHandles()); "" if none
  std::optional<bool> refed;  // handles: whether the libuv handle is referenced, if found
};

class NodeWrapNamer {
 public:
  NodeWrapNamer(const Memory& memory, const Layout& layout, const SymbolTable& symbols,
                Namer& namer);
  // Finds the provider field from all the wraps at once (it must fit every one of them).
  void Prepare(const std::vector<Address>& wraps);
  // The names of the wrap at `wrap`, whose JS object starts at `object` (0 if it has none).
  WrapNames Name(Address wrap, Address object, bool is_handle);

 private:
  std::string ClassOfVtable(Address wrap) const;
  std::optional<std::string> Provider(Address wrap) const;
  bool FitsProvider(Address wrap, uint64_t offset) const;
  std::optional<bool> HandleRefed(Address wrap) const;
  std::string Owner(Address object);

  const Memory& memory_;
  const Layout& layout_;
  const SymbolTable& symbols_;
  Namer& namer_;
  std::vector<std::string> provider_names_;
  std::optional<uint64_t> provider_offset_;
};

}  // namespace mortem::v8

// Purpose: naming Node's handle and request wraps as Node itself does. getActiveResourcesInfo()
// lists each wrap's MemoryInfoName(): the C++ class (read off the wrap's vtable symbol), except
// TCPWrap, which says TCPServerWrap or TCPSocketWrap by its AsyncWrap provider (read through
// node::provider_names; the provider field is found by structure, see WrapNamer::Prepare).
// _getActiveHandles() lists each wrap's owner (the owner_symbol chain of its JS object); a handle
// counts only while its libuv handle is referenced (uv_has_ref).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/handles.h"
#include "mortem/v8/values.h"

namespace mortem {

class WrapNamer {
 public:
  WrapNamer(Session& session, v8::ValueReader& values);
  // Finds the provider field from all the wraps at once (it must fit every one of them).
  void Prepare(const std::vector<Address>& wraps);
  // Fills type, provider, refed and owner of a described wrap.
  void Name(ActiveWrap& wrap, bool is_handle);

 private:
  std::string ClassOfVtable(Address wrap) const;
  std::optional<std::string> Provider(Address wrap) const;
  bool FitsProvider(Address wrap, uint64_t offset) const;
  std::optional<bool> HandleRefed(Address wrap) const;
  std::string Owner(Address object);

  Session& session_;
  v8::ValueReader& values_;
  std::vector<std::string> provider_names_;
  std::optional<uint64_t> provider_offset_;
};

}  // namespace mortem

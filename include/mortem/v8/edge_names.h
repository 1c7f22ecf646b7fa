// Purpose: naming a reference the way DevTools' Retainers pane does: for a holder object and one
// of its slots, "map", "(properties)", "(elements)", a property name, "[index]", a context
// variable's name, an internal field by the name V8's snapshot gives it ("shared", "context",
// "table", "buffer", ...), or "+offset" for the other internal fields.
#pragma once
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mortem/v8/names.h"
#include "mortem/v8/object_size.h"

namespace mortem::v8 {

struct EdgeName {
  uint32_t offset = 0;
  std::string name;
  bool weak = false;
  enum class Kind { kInternal, kProperty, kElement, kContext } kind = Kind::kInternal;
};

class EdgeNamer {
 public:
  EdgeNamer(const Memory& memory, const Layout& layout, Namer& namer)
      : memory_(memory), layout_(layout), namer_(namer) {}
  // Every slot of holder that refers to target (strongly or weakly), named.
  std::vector<EdgeName> Names(Address holder, Address target);
  // The name of one slot of holder.
  EdgeName NameSlot(Address holder, const MapInfo& map, uint32_t offset);

 private:
  std::optional<std::string> InternalFieldName(Address holder, uint16_t type, uint32_t offset);
  // The name (a tagged String) of a Context slot by its scope info, which is read once: a big
  // scope keeps its names in a hash table, and every slot of its Context gets named.
  std::optional<uint64_t> ContextSlotName(Address scope_info, uint32_t slot);
  struct ScopeLocals {
    uint32_t first_slot = 0;
    std::vector<uint64_t> names;
  };
  std::unordered_map<Address, ScopeLocals> scope_locals_;  // by scope info; bounded
  const Memory& memory_;
  const Layout& layout_;
  Namer& namer_;
};

}  // namespace mortem::v8

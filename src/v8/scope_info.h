// Purpose: decoding ScopeInfo objects: their size (variable, from flags and counts) and the
// function and inferred names they carry. Internal to mortem_v8.
#pragma once
#include <optional>
#include <span>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/layout.h"

namespace mortem::v8 {

struct ScopeInfoNames {
  uint64_t function_name = 0;   // tagged String, or 0
  uint64_t inferred_name = 0;   // tagged String, or 0
  int64_t position_start = -1;  // source position of the scope's start, -1 if none
  int64_t position_end = -1;    // and of its end
};

// The slots of a ScopeInfo after the map, as indices of 8-byte words from the object start.
struct ScopeInfoLayout {
  uint32_t function_variable = 0;  // index of function_variable_info.name, if present
  uint32_t inferred_name = 0;      // index of inferred_function_name, if present
  uint32_t position = 0;           // index of position_info.start, if present
  uint32_t local_names = 0;        // index of context_local_names[0] (when inlined)
  int64_t context_locals = 0;      // context_local_count
  bool inlined_local_names = false;
  bool has_context_extension_slot = false;
  bool has_position = false;
  bool has_function_variable = false;
  bool has_inferred_name = false;
  uint64_t size = 0;  // bytes
};

// Computes the layout from the ScopeInfo's own bytes (body starts at the map word).
std::optional<ScopeInfoLayout> DecodeScopeInfo(const Layout& layout,
                                               std::span<const std::byte> body);

// The variables a scope's Context holds: the names of slots first_slot, first_slot + 1, ...
// (tagged Strings; 0 where the scope info names none).
struct ContextLocalNames {
  uint32_t first_slot = 0;
  std::vector<uint64_t> names;
};

class ScopeInfoReader {
 public:
  ScopeInfoReader(const Memory& memory, const Layout& layout) : memory_(memory), layout_(layout) {}
  ScopeInfoNames FunctionNames(Address scope_info) const;
  // The name of the variable a Context slot holds, if the scope info names it.
  std::optional<uint64_t> ContextSlotName(Address scope_info, uint32_t slot) const;
  // Every context local's name: inlined in the scope info, or (from
  // kScopeInfoMaxInlinedLocalNamesSize locals on) in its NameToIndexHashTable.
  std::optional<ContextLocalNames> ContextLocals(Address scope_info) const;

 private:
  const Memory& memory_;
  const Layout& layout_;
};

}  // namespace mortem::v8

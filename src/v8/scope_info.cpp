// ScopeInfo decoding: the size and the sections the namer reads, from the object's own header
// and flags. What differs between versions (the header, the flag bits, the ScopeType numbers)
// is in Layout::scope_info, from the version facts (version_facts.cpp names the sources).
#include "scope_info.h"

#include <cstring>

#include "mortem/v8/object_view.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

constexpr int64_t kMaxCount = 1 << 20;

// The Smi in word `index` of the body (a word with the low bit clear reads as one).
std::optional<int64_t> Smi(std::span<const std::byte> body, uint64_t index) {
  if (index > body.size() / 8) return std::nullopt;
  auto w = ObjectBytes(body).Field(index * 8);
  if (!w || w->IsReference()) return std::nullopt;
  return w->SmiValue();
}

std::optional<int64_t> Count(std::span<const std::byte> body, uint64_t index) {
  auto n = Smi(body, index);
  if (!n || *n < 0 || *n > kMaxCount) return std::nullopt;
  return n;
}

bool Bit(uint32_t bits, uint32_t bit) {
  return bits >> bit & 1;
}

// The sections every version has in this order: context local names (or their hash table),
// context local infos, saved class variable, function variable {name, slot}, inferred name.
// Returns the index after them and records where the names are.
uint64_t LocalsAndNames(const ScopeInfoFacts& f, uint32_t flags, int64_t locals, uint64_t index,
                        ScopeInfoLayout& out) {
  out.local_names = static_cast<uint32_t>(index);
  out.context_locals = locals;
  out.inlined_local_names = locals < f.max_inlined_local_names;
  out.has_context_extension_slot = Bit(flags, f.context_extension_bit);
  index += out.inlined_local_names ? locals : 1;
  index += locals;
  if (Bit(flags, f.saved_class_variable_bit)) index += 1;
  if ((flags >> f.function_variable_shift & 3) != 0) {
    out.has_function_variable = true;
    out.function_variable = static_cast<uint32_t>(index);
    index += 2;
  }
  if (Bit(flags, f.inferred_name_bit)) {
    out.has_inferred_name = true;
    out.inferred_name = static_cast<uint32_t>(index);
    index += 1;
  }
  return index;
}

// Whether a ScopeInfo without positions in its header has position_info (scope-info.tq:
// function, script, eval, module and shadow-realm scopes, and class scopes that are not empty).
bool HasPositionSection(const ScopeInfoFacts& f, uint32_t flags) {
  const uint32_t type = flags & f.type_mask;
  return type == f.function_scope || type == f.script_scope || type == f.eval_scope ||
         type == f.module_scope || type == f.shadow_realm_scope ||
         (!Bit(flags, f.empty_bit) && type == f.class_scope);
}

}  // namespace

std::optional<ScopeInfoLayout> DecodeScopeInfo(const Layout& layout,
                                               std::span<const std::byte> body) {
  const ScopeInfoFacts& f = layout.scope_info;
  if (body.size() < uint64_t{f.header_words} * 8) return std::nullopt;
  uint32_t flags;
  if (f.raw_flags) {
    std::memcpy(&flags, body.data() + 8, 4);
  } else {
    auto value = Smi(body, 1);
    if (!value) return std::nullopt;
    flags = static_cast<uint32_t>(*value);
  }
  auto locals = Count(body, 3);
  if (!locals) return std::nullopt;
  const bool module = (flags & f.type_mask) == f.module_scope;
  uint64_t index = f.header_words;
  int64_t module_vars = 0;
  ScopeInfoLayout out;
  if (f.positions_in_header) {
    out.has_position = true;
    out.position = 4;
  }
  if (module && f.module_count_after_locals) {
    auto n = Count(body, index++);
    if (!n) return std::nullopt;
    module_vars = *n;
  }
  index = LocalsAndNames(f, flags, *locals, index, out);
  if (!f.positions_in_header && HasPositionSection(f, flags)) {
    out.has_position = true;
    out.position = static_cast<uint32_t>(index);
    index += 2;
  }
  if (Bit(flags, f.outer_scope_bit)) index += 1;
  if (f.function_slot_after_outer && (flags & f.type_mask) == f.function_scope) index += 1;
  if (f.locals_block_list_bit && Bit(flags, *f.locals_block_list_bit)) index += 1;
  if (module) {
    index += 1;  // module_info
    if (!f.module_count_after_locals) {
      auto n = Count(body, index++);
      if (!n) return std::nullopt;
      module_vars = *n;
    }
    index += 3 * module_vars;  // ModuleVariable {name, index, properties}
  }
  if (f.dependent_code_bit && Bit(flags, *f.dependent_code_bit)) index += 1;
  out.size = index * 8;
  return out;
}

std::optional<uint64_t> ScopeInfoReader::ContextSlotName(Address scope_info, uint32_t slot) const {
  const auto locals = ContextLocals(scope_info);
  if (!locals || slot < locals->first_slot || slot - locals->first_slot >= locals->names.size())
    return std::nullopt;
  const uint64_t name = locals->names[slot - locals->first_slot];
  return name ? std::optional(name) : std::nullopt;
}

std::optional<ContextLocalNames> ScopeInfoReader::ContextLocals(Address scope_info) const {
  std::byte buffer[2048];
  size_t got = memory_.Read(scope_info, buffer, sizeof buffer);
  auto decoded = DecodeScopeInfo(layout_, std::span<const std::byte>(buffer, got));
  if (!decoded) return std::nullopt;
  ContextLocalNames out;
  // Context slots: scope_info, previous, [extension], then the locals (objects/contexts.h).
  out.first_slot = layout_.off.context_min_slots + (decoded->has_context_extension_slot ? 1 : 0);
  const auto count = static_cast<uint64_t>(decoded->context_locals);
  out.names.assign(count, 0);
  if (decoded->inlined_local_names) {
    const size_t read =
        memory_.Read(scope_info + uint64_t{decoded->local_names} * 8, out.names.data(), count * 8);
    if (read != count * 8) return std::nullopt;
    return out;
  }
  // context_local_names_hashtable: a NameToIndexHashTable (objects/hash-table.h: elements
  // [number of elements, deleted, capacity] then entries {key: Name, value: Smi local index}).
  const auto table = ObjectView(memory_, scope_info).Object(uint64_t{decoded->local_names} * 8);
  if (!table) return std::nullopt;
  const Address data = table->address() + layout_.off.fixed_array_data;
  // The capacity is the core's word: believed only as V8 makes it (HashTable::ComputeCapacity,
  // a power of two below 4 x the locals, for which there is room), and when the table's own
  // length agrees, before anything is allocated by it.
  const auto capacity = table->Smi(layout_.off.fixed_array_data + 2 * 8);
  const auto length = table->Smi(layout_.off.fixed_array_length);
  if (!capacity || !length) return std::nullopt;
  const int64_t slots = *capacity;
  if (slots <= 0 || (slots & (slots - 1)) != 0 || static_cast<uint64_t>(slots) > 4 * count + 8 ||
      *length != 3 + 2 * slots)
    return std::nullopt;
  std::vector<uint64_t> entries(2 * static_cast<uint64_t>(slots));
  const size_t read = memory_.Read(data + 3 * 8, entries.data(), entries.size() * 8);
  if (read != entries.size() * 8) return std::nullopt;
  for (size_t e = 0; e + 1 < entries.size(); e += 2) {
    const uint64_t key = entries[e], value = entries[e + 1];
    if (!Tagged(key).IsStrong() || !IsSmi(value)) continue;
    const int64_t index = SmiValue(value);
    if (index >= 0 && static_cast<uint64_t>(index) < count) out.names[index] = key;
  }
  return out;
}

ScopeInfoNames ScopeInfoReader::FunctionNames(Address scope_info) const {
  ScopeInfoNames names;
  names.position_start = -1;
  std::byte buffer[1024];
  size_t got = memory_.Read(scope_info, buffer, sizeof buffer);
  auto decoded = DecodeScopeInfo(layout_, std::span<const std::byte>(buffer, got));
  if (!decoded) return names;
  const ObjectView info(memory_, scope_info);
  auto word = [&](uint32_t index) -> uint64_t {
    return info.Word(uint64_t{index} * 8).value_or(0);
  };
  if (decoded->has_function_variable) names.function_name = word(decoded->function_variable);
  if (decoded->has_inferred_name) names.inferred_name = word(decoded->inferred_name);
  if (decoded->has_position) {
    uint64_t start = word(decoded->position);
    if (IsSmi(start)) names.position_start = SmiValue(start);
    uint64_t end = word(decoded->position + 1);
    if (IsSmi(end)) names.position_end = SmiValue(end);
  }
  return names;
}

}  // namespace mortem::v8

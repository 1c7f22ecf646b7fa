// ScopeInfo after objects/scope-info.tq (`extern class ScopeInfo`, `bitfield struct ScopeFlags`)
// at Node v18.20.4 (V8 10.2), v20.19.2 (11.3) and v22.22.2 (12.4): flags, parameter_count and
// context_local_count Smis, then optional sections chosen by the flags. 12.4 moved
// module_variable_count up behind context_local_count.
// 13.6 (Node 24): flags became a raw uint32 (+4 bytes padding), position_info moved into the
// header (v8dbg_scopeinfo_idx_first_vars 5), REPL_MODE_SCOPE was inserted after SCRIPT_SCOPE,
// locals_block_list is gone and dependent_code follows when sloppy_eval_can_extend_vars
// (scope-info.tq of the V8 13.x line; checked against every ScopeInfo of Node 24.11.1 cores,
// which the walker must parse back to back).
#include "scope_info.h"

#include <cstring>

#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

// kScopeInfoMaxInlinedLocalNamesSize (common/globals.h, 75 in 10.2, 11.3 and 12.4).
constexpr int64_t kMaxInlinedLocalNames = 75;
constexpr int64_t kMaxCount = 1 << 20;

// ScopeType enum order (scope-info.tq).
enum ScopeType : uint32_t {
  kClassScope = 0,
  kEvalScope,
  kFunctionScope,
  kModuleScope,
  kScriptScope,
  kCatchScope,
  kBlockScope,
  kWithScope,
  kShadowRealmScope
};

// ScopeFlags bit positions (scope-info.tq, the same in 10.2, 11.3 and 12.4).
struct Flags {
  uint32_t bits;
  uint32_t scope_type() const { return bits & 0xF; }
  bool has_saved_class_variable() const { return bits >> 10 & 1; }
  uint32_t function_variable() const { return bits >> 12 & 3; }
  bool has_inferred_function_name() const { return bits >> 14 & 1; }
  bool has_outer_scope_info() const { return bits >> 22 & 1; }
  bool has_locals_block_list() const { return bits >> 28 & 1; }
  bool is_empty() const { return bits >> 29 & 1; }
};

// 13.6 ScopeType order: SCRIPT, REPL_MODE, CLASS, EVAL, FUNCTION, MODULE, CATCH, BLOCK, WITH,
// SHADOW_REALM.
enum ScopeType13 : uint32_t {
  k13ScriptScope = 0,
  k13ReplModeScope,
  k13ClassScope,
  k13EvalScope,
  k13FunctionScope,
  k13ModuleScope
};

std::optional<int64_t> Smi(std::span<const std::byte> body, uint64_t index) {
  if ((index + 1) * 8 > body.size()) return std::nullopt;
  uint64_t w;
  std::memcpy(&w, body.data() + index * 8, 8);
  if (w & 1) return std::nullopt;
  return static_cast<int64_t>(w) >> 32;
}

// The sections every version has in this order: context local names (or their hash table),
// context local infos, saved class variable, function variable {name, slot}, inferred name.
// Returns the index after them and records where the names are.
uint64_t LocalsAndNames(Flags flags, int64_t locals, uint64_t index, ScopeInfoLayout& out) {
  out.local_names = static_cast<uint32_t>(index);
  out.context_locals = locals;
  out.inlined_local_names = locals < kMaxInlinedLocalNames;
  out.has_context_extension_slot = flags.bits >> 26 & 1;
  index += locals < kMaxInlinedLocalNames ? locals : 1;
  index += locals;
  if (flags.has_saved_class_variable()) index += 1;
  if (flags.function_variable() != 0) {
    out.has_function_variable = true;
    out.function_variable = static_cast<uint32_t>(index);
    index += 2;
  }
  if (flags.has_inferred_function_name()) {
    out.has_inferred_name = true;
    out.inferred_name = static_cast<uint32_t>(index);
    index += 1;
  }
  return index;
}

}  // namespace

static std::optional<ScopeInfoLayout> DecodeScopeInfo13(std::span<const std::byte> body) {
  if (body.size() < 48) return std::nullopt;
  uint32_t bits;
  std::memcpy(&bits, body.data() + 8, 4);
  Flags flags{bits};
  auto locals = Smi(body, 3);
  if (!locals || *locals < 0 || *locals > kMaxCount) return std::nullopt;
  const bool module = flags.scope_type() == k13ModuleScope;
  uint64_t index = 6;  // map, flags+padding, parameter_count, context_local_count, position x2
  int64_t module_vars = 0;
  ScopeInfoLayout out;
  out.has_position = true;
  out.position = 4;
  if (module) {
    auto n = Smi(body, index++);
    if (!n || *n < 0 || *n > kMaxCount) return std::nullopt;
    module_vars = *n;
  }
  index = LocalsAndNames(flags, *locals, index, out);
  if (flags.has_outer_scope_info()) index += 1;
  if (module) index += 1 + 3 * module_vars;
  if (bits >> 4 & 1) index += 1;  // dependent_code, with sloppy_eval_can_extend_vars
  out.size = index * 8;
  return out;
}

std::optional<ScopeInfoLayout> DecodeScopeInfo(const Layout& layout,
                                               std::span<const std::byte> body) {
  if (layout.v8.Key() >= 1306) return DecodeScopeInfo13(body);
  auto flags_value = Smi(body, 1);
  auto locals = Smi(body, 3);
  if (!flags_value || !locals || *locals < 0 || *locals > kMaxCount) return std::nullopt;
  Flags flags{static_cast<uint32_t>(*flags_value)};
  const uint32_t scope_type = flags.scope_type();
  const bool module = scope_type == kModuleScope;
  uint64_t index = 4;  // map, flags, parameter_count, context_local_count
  int64_t module_vars = 0;
  if (module && layout.v8.Key() >= 1204) {
    auto n = Smi(body, index++);
    if (!n || *n < 0 || *n > kMaxCount) return std::nullopt;
    module_vars = *n;
  }
  ScopeInfoLayout out;
  index = LocalsAndNames(flags, *locals, index, out);
  bool position = scope_type == kFunctionScope || scope_type == kScriptScope ||
                  scope_type == kEvalScope || scope_type == kModuleScope ||
                  scope_type == kShadowRealmScope ||
                  (!flags.is_empty() && scope_type == kClassScope);
  if (position) {
    out.has_position = true;
    out.position = index;
    index += 2;
  }
  if (flags.has_outer_scope_info()) index += 1;
  if (flags.has_locals_block_list()) index += 1;
  if (module) {
    index += 1;  // module_info
    if (layout.v8.Key() < 1204) {
      auto n = Smi(body, index++);
      if (!n || *n < 0 || *n > kMaxCount) return std::nullopt;
      module_vars = *n;
    }
    index += 3 * module_vars;  // ModuleVariable {name, index, properties}
  }
  out.size = index * 8;
  return out;
}

std::optional<uint64_t> ScopeInfoReader::ContextSlotName(Address scope_info, uint32_t slot) const {
  std::byte buffer[2048];
  size_t got = memory_.Read(scope_info, buffer, sizeof buffer);
  auto decoded = DecodeScopeInfo(layout_, std::span<const std::byte>(buffer, got));
  if (!decoded || !decoded->inlined_local_names) return std::nullopt;
  // Context slots: scope_info, previous, [extension], then the locals (objects/contexts.h).
  uint32_t first = layout_.off.context_min_slots + (decoded->has_context_extension_slot ? 1 : 0);
  if (slot < first || slot - first >= decoded->context_locals) return std::nullopt;
  return memory_.ReadWord(scope_info + uint64_t{decoded->local_names + (slot - first)} * 8);
}

ScopeInfoNames ScopeInfoReader::FunctionNames(Address scope_info) const {
  ScopeInfoNames names;
  names.position_start = -1;
  std::byte buffer[1024];
  size_t got = memory_.Read(scope_info, buffer, sizeof buffer);
  auto decoded = DecodeScopeInfo(layout_, std::span<const std::byte>(buffer, got));
  if (!decoded) return names;
  auto word = [&](uint32_t index) -> uint64_t {
    return memory_.ReadWord(scope_info + uint64_t{index} * 8).value_or(0);
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

#include "mortem/analysis/isolate_pairs.h"

#include <algorithm>

#include "mortem/analysis/info.h"
#include "mortem/core/error.h"

namespace mortem {
namespace {

bool AllKnown(const std::vector<std::optional<uint64_t>>& ids) {
  return std::all_of(ids.begin(), ids.end(), [](const auto& id) { return id.has_value(); });
}

std::string Describe(const char* core, size_t index, const std::optional<uint64_t>& thread_id) {
  std::string s = "isolate " + std::to_string(index) + " of the " + core + " core";
  if (thread_id) s += " (threadId " + std::to_string(*thread_id) + ")";
  return s;
}

IsolatePairing PairByIndex(size_t old_count, size_t new_count, std::optional<size_t> only) {
  IsolatePairing out;
  out.warnings.push_back(
      "Node's threadId of the isolates is unknown in one of the cores: isolates are paired by "
      "index, which may pair different workers");
  for (size_t i = 0; i < old_count; ++i) {
    if (only && i != *only) continue;
    if (i < new_count)
      out.pairs.push_back({i, i, std::nullopt});
    else
      out.warnings.push_back(Describe("old", i, std::nullopt) +
                             " has no isolate of its index in "
                             "the new core: not compared");
  }
  return out;
}

}  // namespace

IsolatePairing PairIsolates(Session& old_s, Session& new_s, std::optional<size_t> only) {
  const size_t old_count = old_s.isolates().size(), new_count = new_s.isolates().size();
  if (only && *only >= old_count)
    throw Error("no isolate " + std::to_string(*only) + " in the first core (it has " +
                std::to_string(old_count) + "; see `info`)");
  if (old_count == 1 && new_count == 1) {  // no workers: no walk to find their threadIds
    const bool main = old_s.isolates()[0].main_thread && new_s.isolates()[0].main_thread;
    return {{{0, 0, main ? std::optional<uint64_t>(0) : std::nullopt}}, {}};
  }
  const auto old_ids = NodeThreadIds(old_s);
  const auto new_ids = NodeThreadIds(new_s);
  if (!AllKnown(old_ids) || !AllKnown(new_ids)) return PairByIndex(old_count, new_count, only);
  IsolatePairing out;
  std::vector<bool> paired(new_count, false);
  for (size_t i = 0; i < old_count; ++i) {
    auto match = std::find(new_ids.begin(), new_ids.end(), old_ids[i]);
    if (match == new_ids.end()) {
      if (!only || i == *only)
        out.warnings.push_back(Describe("old", i, old_ids[i]) +
                               " is not in the new core (its worker ended): not compared");
      continue;
    }
    const size_t j = static_cast<size_t>(match - new_ids.begin());
    paired[j] = true;
    if (!only || i == *only) out.pairs.push_back({i, j, old_ids[i]});
  }
  if (!only)
    for (size_t j = 0; j < new_count; ++j)
      if (!paired[j])
        out.warnings.push_back(Describe("new", j, new_ids[j]) +
                               " is not in the old core (its worker started since): not compared");
  return out;
}

}  // namespace mortem

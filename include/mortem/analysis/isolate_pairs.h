// Purpose: the isolates of two cores of one process (e.g. `diff`'s before and after) paired by
// Node's threadId, which a worker keeps for its life while isolate indexes follow OS thread ids:
// the main thread's with the main thread's, each worker with the same worker; isolates found in
// only one core are named in warnings.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/session.h"

namespace mortem {

struct IsolatePair {
  size_t old_index = 0, new_index = 0;
  std::optional<uint64_t> thread_id;  // Node's threadId of both (unset: paired by index)
};

struct IsolatePairing {
  std::vector<IsolatePair> pairs;  // by the old core's index
  std::vector<std::string> warnings;
};

// Every isolate of the old core with the new core's isolate of the same threadId, or (only) the
// old core's isolate of that index alone. Where either core's threadIds are unknown, isolates
// are paired by index (said in a warning). Throws Error if only is not an isolate's index.
IsolatePairing PairIsolates(Session& old_s, Session& new_s,
                            std::optional<size_t> only = std::nullopt);

}  // namespace mortem

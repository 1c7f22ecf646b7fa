// Purpose: the `instances` command (the objects of one histogram row, with one-line previews)
// and the `inspect` command (one value in full, bounded), both over the session's heap.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/session.h"
#include "mortem/v8/values.h"

namespace mortem {

struct InstanceRow {
  Address address = 0;
  uint64_t size = 0;
  std::string preview;
};

struct InstancesResult {
  std::string name;
  uint64_t total = 0;                  // matching objects in the heap
  std::vector<InstanceRow> instances;  // the first `limit` by address
  std::vector<std::string> warnings;
};

// kind: a DevTools node-type word ("object", "closure", ...) or empty: object rows if the name
// has any, else every row of that name.
// The live objects of one row (all: every object of it on the heap, garbage too).
InstancesResult RunInstances(Session& session, const std::string& name, const std::string& kind,
                             size_t limit, bool all = false);

// Where an address lies in the heap: the object that contains it, if any.
struct Containing {
  Address object = 0;
  uint64_t size = 0;
  std::string type;
  std::string space;
};
std::optional<Containing> FindContainingObject(Session& session, Address address);

struct InspectResult {
  Address requested = 0;
  v8::Value value;
  std::string space;
  Address map = 0;                    // the object's Map
  std::optional<std::string> source;  // a function's source, when asked for
  std::vector<std::string> warnings;
};

// address may be tagged (low bit set) or untagged. Throws Error if it is not a heap object start
// (naming the containing object, if any).
// with_source: for a function, its source text too (llnode's inspect -s).
InspectResult RunInspect(Session& session, Address address, const v8::ValueLimits& limits,
                         bool with_source = false);

// Parses "0x..." or decimal; throws Error.
Address ParseAddress(const std::string& text);

}  // namespace mortem

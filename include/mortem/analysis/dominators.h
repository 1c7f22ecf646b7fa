// Purpose: the `dominators` command: the objects with the biggest retained sizes in the
// dominator tree of the whole heap graph (what would be freed if each were gone), each with its
// shortest retainer path from the GC roots. Memory Analyzer's "biggest objects" for a Node core.
#pragma once
#include <vector>

#include "mortem/analysis/retainers.h"
#include "mortem/analysis/session.h"

namespace mortem {

struct DominatorRow {
  Address object = 0;
  std::string type;
  uint64_t self_size = 0;
  uint64_t retained_size = 0;
  RetainerPath path;
};

struct DominatorsResult {
  std::vector<DominatorRow> rows;
  uint64_t heap_objects = 0, reached = 0;
  uint64_t total_retained = 0;  // by the strong roots (the virtual root's retained size)
  bool partial = false;         // objects or references were left out of the graph
  std::vector<std::string> warnings;
};

// top: rows listed; paths: retainer paths computed for the first `paths` rows.
DominatorsResult RunDominators(Session& session, size_t top, size_t paths);

}  // namespace mortem

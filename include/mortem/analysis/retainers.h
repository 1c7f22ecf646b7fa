// Purpose: who keeps an object alive. `refs`: every heap slot that refers to an object (or to a
// string with given text, or objects having a property of a given name), each with its holder
// and the edge. `retainers`: the shortest retainer paths from the GC roots to an object over the
// heap graph, each step naming holder and edge.
#pragma once
#include <string>
#include <vector>

#include "mortem/analysis/session.h"

namespace mortem {

struct Reference {
  Address holder = 0;
  std::string holder_type;  // the histogram row name of the holder
  std::string edge;         // property name, [index], context variable, or internal field
  bool weak = false;
};

struct RefsResult {
  std::string query;  // "0x..." / name / string text
  std::vector<Address> targets;
  std::vector<Reference> references;
  bool partial = false;  // heap pages could not be parsed: references from there are missing
  std::vector<std::string> warnings;
};

RefsResult RunRefs(Session& session, Address target);
RefsResult RunRefsToString(Session& session, const std::string& text, size_t limit);
RefsResult RunRefsByName(Session& session, const std::string& property, size_t limit);

struct PathStep {
  Address object = 0;
  std::string type;
  std::string edge;  // the edge from the next step (toward the root) to this object
};

struct RetainerPath {
  std::vector<PathStep> steps;  // from the object up to the root-held object
  std::string root;             // "(GC roots)", "(Global handles)", "(Stack roots) thread N"
};

// One line: "Type @0x… <- edge of Holder @0x… <- … <- (GC roots)"; "" for an empty path.
std::string DescribePath(const RetainerPath& path);

struct RetainersResult {
  Address target = 0;
  std::string target_type;
  bool reachable = false;
  std::vector<RetainerPath> paths;
  uint64_t graph_nodes = 0, graph_edges = 0, reached = 0, reached_with_weak = 0,
           dangling_references = 0;
  bool partial = false;  // objects or references were left out of the graph
  uint64_t roots_table = 0, global_handles = 0, weak_global_handles = 0, eternal_handles = 0,
           stack_roots = 0, node_wraps = 0, builtins = 0, startup_object_cache = 0,
           shared_heap_object_cache = 0, external_strings = 0, internalized_strings = 0;
  std::vector<std::string> warnings;
};

RetainersResult RunRetainers(Session& session, Address target, size_t paths, uint32_t depth,
                             bool weak);

}  // namespace mortem

// Purpose: a .heapsnapshot (V8's or mortem's) as a graph for the e2e tests: nodes, edges and
// strings as the file has them, with the dominator tree over its non-weak edges from node 0 by
// the dominator algorithm mortem uses (unit-tested on its own), and retained sizes per class
// with DevTools' rule.
#pragma once
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mortem/v8/dominators.h"

namespace mortem::e2e {

struct SnapshotGraph {
  nlohmann::json strings;
  std::vector<uint64_t> nodes, edges;
  std::vector<std::string> nt, et;
  size_t k = 0, ke = 0, n = 0, ti = 0, ni = 0, eci = 0, ett = 0, eto = 0, eni = 0, si = 0, ii = 0;
  mortem::v8::DominatorTree tree;
  std::string Type(size_t node) const { return nt[nodes[node * k + ti]]; }
  std::string Name(size_t node) const { return strings[nodes[node * k + ni]]; }
};

SnapshotGraph LoadSnapshotGraph(const std::filesystem::path& path);

// Retained size per class (object nodes of that name), summed over the instances that no other
// instance of the class dominates.
std::map<std::string, uint64_t> SnapshotRetained(const SnapshotGraph& g,
                                                 const std::vector<std::string>& classes);

// The same for every class of "object" nodes at once, in one walk of the dominator tree.
std::map<std::string, uint64_t> SnapshotRetainedByClass(const SnapshotGraph& g);

}  // namespace mortem::e2e

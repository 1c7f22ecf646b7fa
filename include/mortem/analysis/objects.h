// Purpose: the `objects` command: the heap histogram by type, as DevTools' Summary view names
// the rows (constructor names, closures by function name, "(string)", "(array)", ...), with
// counts and self sizes.
#pragma once
#include <string>
#include <vector>

#include "mortem/analysis/info.h"
#include "mortem/analysis/session.h"

namespace mortem {

struct TypeRow {
  std::string name;
  std::string kind;  // DevTools node type word
  uint64_t count = 0;
  uint64_t self_size = 0;
  uint64_t retained_size = 0;  // with --retained: instances not dominated by another of the row
  // With --retained: the instance that retains the most (the one to show as the example of
  // what the row holds), and how much.
  Address largest_instance = 0;
  uint64_t largest_instance_retained = 0;
};

struct ObjectsOptions {
  enum class Sort { kSize, kCount, kRetained } sort = Sort::kSize;
  size_t top = 0;                 // 0: all rows
  bool by_instance_type = false;  // rows by V8 instance type instead of DevTools class
  bool retained = false;          // compute retained sizes (builds the graph and dominators)
  // Every object on the heap, garbage not yet collected too; by default only the objects the
  // roots reach (over weak references too), as V8's snapshot and DevTools count them.
  bool all = false;
};

struct ObjectsResult {
  std::vector<TypeRow> types;
  TypeRow total;
  size_t rows_omitted = 0;
  bool has_retained = false;
  bool reachable_only = false;                              // not --all
  uint64_t unreachable_objects = 0, unreachable_bytes = 0;  // left out when reachable_only
  WalkSummary walk;
  std::vector<std::string> warnings;
};

ObjectsResult RunObjects(Session& session, const ObjectsOptions& options);

}  // namespace mortem

// Purpose: what V8's heap snapshot (V8HeapExplorer::ExtractReferences, in outline) makes of one
// heap object: its node name (a string's text, "system / Map", a constructor or function name)
// and its edges: "map", "properties", "elements" and other named fields as internal edges;
// property edges to a JS object's named values wherever they are stored (in-object, property
// array, dictionary), element edges to its fast elements; context variables by name; array
// slots as internal edges named by index; unnamed slots as hidden edges; weak slots as weak
// edges. Targets are untagged addresses, not checked to be objects: the caller filters them.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "mortem/v8/edge_names.h"
#include "mortem/v8/names.h"
#include "mortem/v8/walker.h"

namespace mortem::v8 {

// HeapGraphEdge types, in V8's order (include/v8-profiler.h).
enum class SnapshotEdgeType : uint8_t {
  kContext,
  kElement,
  kProperty,
  kInternal,
  kHidden,
  kShortcut,
  kWeak
};

struct SnapshotEdge {
  SnapshotEdgeType type = SnapshotEdgeType::kHidden;
  std::string name;    // context, property, internal, shortcut, weak
  uint32_t index = 0;  // element, hidden
  Address target = 0;  // untagged
};

class SnapshotReader {
 public:
  // `budget`: property and element entries read in all (an honest heap reads each of its slots
  // about once; a hostile core that makes millions of objects share one huge table does not
  // make the walk quadratic: past the budget, objects get their slot edges only).
  SnapshotReader(const Memory& memory, const Layout& layout, Namer& namer, uint64_t budget);
  // The object's edges, in slot order, then its out-of-object properties and fast elements.
  void Edges(const HeapObject& object, std::vector<SnapshotEdge>& out);
  // The node name V8 gives the object, for the row label the census gave it.
  std::string NodeName(const HeapObject& object, const TypeLabel& label);
  // Objects whose property and element edges were left out for the budget.
  uint64_t over_budget() const { return over_budget_; }

 private:
  std::string SlotName(const HeapObject& object, uint32_t offset, SnapshotEdgeType& type,
                       std::vector<Property>& in_object);
  void AddElements(const HeapObject& object, std::vector<SnapshotEdge>& out);
  std::string KeyName(uint64_t key);

  const Memory& memory_;
  const Layout& layout_;
  Namer& namer_;
  EdgeNamer edge_namer_;
  PropertyReader properties_;
  std::unordered_map<uint16_t, std::string> system_names_;  // by instance type
  uint64_t budget_ = 0, over_budget_ = 0;
};

// "FIXED_ARRAY_TYPE" -> "FixedArray", as V8 names system nodes ("system / FixedArray").
std::string SystemTypeName(const std::string& instance_type_name);

}  // namespace mortem::v8

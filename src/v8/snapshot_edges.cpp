// Edges and node names after V8's heap-snapshot-generator.cc (V8HeapExplorer::AddEntry,
// ExtractReferences, ExtractPropertyReferences, ExtractElementReferences,
// ExtractContextReferences, IndexedReferencesExtractor), as Node 18-26's snapshots show them.
#include "mortem/v8/snapshot_edges.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "mortem/v8/graph.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

constexpr size_t kMaxProperties = 4096;      // own properties read per object
constexpr uint64_t kMaxElements = 1u << 20;  // fast elements read per object
constexpr size_t kMaxNameChars = 1024;       // V8's --heap-snapshot-string-limit

bool IsGenericRow(const std::string& name) {
  return name == "(system)" || name == "(compiled code)" || name == "(array)" ||
         name == "(object shape)";
}

}  // namespace

std::string SystemTypeName(const std::string& instance_type_name) {
  std::string base = instance_type_name;
  if (base.ends_with("_TYPE")) base.resize(base.size() - 5);
  std::string out;
  bool upper = true;
  for (char c : base) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    upper = false;
  }
  return out;
}

SnapshotReader::SnapshotReader(const Memory& memory, const Layout& layout, Namer& namer,
                               uint64_t budget)
    : memory_(memory),
      layout_(layout),
      namer_(namer),
      edge_namer_(memory, layout, namer),
      properties_(memory, layout),
      budget_(budget) {}

std::string SnapshotReader::NodeName(const HeapObject& o, const TypeLabel& label) {
  switch (label.kind) {
    case NodeKind::kString: {
      auto value = namer_.strings().Read(o.address, kMaxNameChars);
      return value ? value->utf8 : "";
    }
    case NodeKind::kConsString:
      return "(concatenated string)";
    case NodeKind::kSlicedString:
      return "(sliced string)";
    case NodeKind::kNumber:
      return "heap number";
    default:
      break;
  }
  if (!IsGenericRow(label.name)) return label.name;
  const uint16_t type = o.map->instance_type;
  auto it = system_names_.find(type);
  if (it == system_names_.end())
    it = system_names_.emplace(type, "system / " + SystemTypeName(layout_.TypeName(type))).first;
  return it->second;
}

std::string SnapshotReader::KeyName(uint64_t key) {
  auto text = namer_.strings().ReadTagged(key, kMaxNameChars);
  return text ? text->utf8 : "<symbol>";
}

std::string SnapshotReader::SlotName(const HeapObject& o, uint32_t offset, SnapshotEdgeType& type,
                                     std::vector<Property>& in_object) {
  const Offsets& off = layout_.off;
  const uint16_t instance_type = o.map->instance_type;
  type = SnapshotEdgeType::kInternal;
  if (offset == 0) return "map";
  if (layout_.IsJSReceiver(instance_type)) {
    if (offset == off.receiver_properties) return "properties";
    if (offset == off.object_elements) return "elements";
    if (layout_.IsJSFunction(instance_type)) {
      if (offset == off.function_shared) return "shared";
      if (offset == off.function_context) return "context";
    }
    uint64_t value = 0;
    std::memcpy(&value, o.body.data() + offset, 8);
    for (auto& p : in_object)
      if (p.key != 0 && p.value == value) {
        type = SnapshotEdgeType::kProperty;
        std::string name = KeyName(p.key);
        p.key = 0;  // each property names one slot
        return name;
      }
    type = SnapshotEdgeType::kHidden;
    return "";
  }
  if (layout_.IsContext(instance_type)) {
    EdgeName e = edge_namer_.NameSlot(o.address, *o.map, offset);
    if (e.kind == EdgeName::Kind::kContext) type = SnapshotEdgeType::kContext;
    return e.name;
  }
  const Types& t = layout_.types;
  if (layout_.IsFixedArrayShaped(instance_type) || instance_type == t.weak_fixed_array ||
      instance_type == t.property_array)
    return std::to_string((offset - off.fixed_array_data) / 8);
  type = SnapshotEdgeType::kHidden;
  return "";
}

void SnapshotReader::AddElements(const HeapObject& o, std::vector<SnapshotEdge>& out) {
  const Offsets& off = layout_.off;
  if (o.body.size() < off.object_elements + 8) return;
  uint64_t elements = 0;
  std::memcpy(&elements, o.body.data() + off.object_elements, 8);
  const MapInfo* map = namer_.MapOf(elements);
  if (!map || map->instance_type != layout_.types.fixed_array) return;
  const Address array = elements - 1;
  auto length_word = memory_.ReadWord(array + off.fixed_array_length);
  if (!length_word || !IsSmi(*length_word)) return;
  const int64_t length = SmiValue(*length_word);
  if (length <= 0) return;
  const uint64_t count = std::min<uint64_t>({static_cast<uint64_t>(length), kMaxElements, budget_});
  budget_ -= count;
  std::vector<uint64_t> slots(static_cast<size_t>(count));
  slots.resize(memory_.Read(array + off.fixed_array_data, slots.data(), slots.size() * 8) / 8);
  for (size_t i = 0; i < slots.size(); ++i) {
    const uint64_t v = slots[i];
    if (!IsHeapObject(v) || Tagged(v).IsWeak()) continue;
    out.push_back({SnapshotEdgeType::kElement, "", static_cast<uint32_t>(i), v - 1});
  }
}

void SnapshotReader::Edges(const HeapObject& o, std::vector<SnapshotEdge>& out) {
  out.clear();
  const bool receiver = layout_.IsJSReceiver(o.map->instance_type);
  const bool within_budget = receiver && budget_ > 0;
  over_budget_ += receiver && !within_budget;
  std::vector<Property> properties;
  if (within_budget) {
    properties =
        properties_.OwnProperties(o.address, *o.map, std::min<uint64_t>(kMaxProperties, budget_));
    budget_ -= std::min<uint64_t>(budget_, properties.size());
  }
  std::vector<Property> in_object;
  for (const auto& p : properties)
    if (p.in_object && !p.is_accessor) in_object.push_back(p);
  ForEachTaggedSlot(layout_, o, [&](uint32_t offset, uint64_t value) {
    const bool weak = Tagged(value).IsWeak();
    if (weak && static_cast<uint32_t>(value) == 3) return;  // a cleared weak slot
    SnapshotEdge e;
    e.target = Tagged(value).address();
    e.name = SlotName(o, offset, e.type, in_object);
    e.index = offset / 8;
    if (weak) {
      e.type = SnapshotEdgeType::kWeak;
      if (e.name.empty()) e.name = std::to_string(e.index);
    }
    out.push_back(std::move(e));
  });
  if (!within_budget) return;
  for (const auto& p : properties)
    if (!p.in_object && !p.is_accessor && IsHeapObject(p.value) && !Tagged(p.value).IsWeak())
      out.push_back({SnapshotEdgeType::kProperty, KeyName(p.key), 0, p.value - 1});
  AddElements(o, out);
}

}  // namespace mortem::v8

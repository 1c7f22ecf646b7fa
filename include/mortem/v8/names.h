// Purpose: names and kinds of heap objects the way V8's heap snapshot (and so Chrome DevTools)
// gives them: JS objects by constructor name (V8's GetConstructorName: map constructor, then
// @@toStringTag / "constructor" along the prototype chain, then the class name), closures by
// function name, and the node-type words ("object", "closure", "string", "code", "hidden", ...).
// Per-map results are cached; one Namer per thread.
#pragma once
#include <optional>
#include <string>
#include <unordered_map>

#include "mortem/core/memory.h"
#include "mortem/v8/heap.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/properties.h"
#include "mortem/v8/strings.h"

namespace mortem::v8 {

// HeapGraphNode types, in V8's order (include/v8-profiler.h).
enum class NodeKind : uint8_t {
  kHidden,
  kArray,
  kString,
  kObject,
  kCode,
  kClosure,
  kRegExp,
  kNumber,
  kNative,
  kSynthetic,
  kConsString,
  kSlicedString,
  kSymbol,
  kBigInt,
  kObjectShape
};
const char* KindName(NodeKind kind);  // "hidden", "array", ..., "object shape"

struct TypeLabel {
  NodeKind kind = NodeKind::kHidden;
  std::string name;  // the summary row name: constructor/function name, or "(string)" etc.
};

class Namer {
 public:
  Namer(const Memory& memory, const Layout& layout, const Heap& heap);

  // The summary row of an object (the DevTools Summary class; closures by function name).
  TypeLabel Label(Address object, const MapInfo& map, bool in_read_only);
  // The name V8 gives the function (SharedFunctionInfo::Name), "" if anonymous.
  std::string FunctionName(Address function);
  std::string SharedFunctionName(uint64_t tagged_sfi, bool debug_name);
  // JSReceiver::GetConstructorName for a JS object.
  std::string ConstructorName(Address object, const MapInfo& map);
  // The map of a tagged heap object, or nullptr.
  const MapInfo* MapOf(uint64_t tagged);
  // Fields the analyses ask for, each read through the layout: a JSFunction's
  // SharedFunctionInfo (tagged), a Symbol's description (tagged), a number's value (a Smi or a
  // HeapNumber), and a PropertyCell's name as text.
  std::optional<uint64_t> SharedOf(Address function) const;
  std::optional<uint64_t> SymbolDescription(uint64_t tagged_symbol) const;
  std::optional<double> NumberValue(uint64_t tagged);
  std::optional<std::string> PropertyCellName(Address cell, size_t max_chars) const;
  MapCache& maps() { return maps_; }
  const StringReader& strings() const { return strings_; }

 private:
  TypeLabel LabelForMap(const MapInfo& map, bool in_read_only);
  NodeKind SystemKind(uint16_t type) const;
  bool IsNamed(uint16_t type, const char* name) const;
  std::string ClassName(const MapInfo& map) const;
  std::string ScopeInfoFunctionName(Address scope_info);
  bool IsStringEqual(uint64_t tagged, std::string_view text);
  bool IsToStringTagSymbol(uint64_t tagged);

  const Memory& memory_;
  const Layout& layout_;
  const Heap& heap_;
  MapCache maps_;
  StringReader strings_;
  PropertyReader properties_;
  std::unordered_map<Address, TypeLabel> map_labels_;
  std::unordered_map<uint64_t, std::string> sfi_names_;
};

}  // namespace mortem::v8

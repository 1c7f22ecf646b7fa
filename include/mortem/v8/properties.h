// Purpose: reading a JS object's own named data properties out of target memory, from the map's
// descriptor array (fast mode: in-object and out-of-object fields, descriptor constants) or from
// the property dictionary (dictionary mode). Never runs getters; every count is bounded.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/object_view.h"

namespace mortem::v8 {

struct Property {
  uint64_t key = 0;    // tagged Name (String or Symbol)
  uint64_t value = 0;  // tagged value; 0 if it lives elsewhere (accessor)
  bool is_accessor = false;
  bool in_object = false;
};

class PropertyReader {
 public:
  PropertyReader(const Memory& memory, const Layout& layout) : memory_(memory), layout_(layout) {}
  // The object's own properties, in descriptor or dictionary order; at most limit of them.
  std::vector<Property> OwnProperties(Address object, const MapInfo& map,
                                      size_t limit = 4096) const;
  // How many own properties the object has (descriptors or dictionary entries), if readable.
  std::optional<uint64_t> CountOwn(Address object, const MapInfo& map) const;
  // The value of the own data property whose key satisfies match, if any.
  std::optional<uint64_t> FindOwnData(Address object, const MapInfo& map,
                                      const std::function<bool(uint64_t key)>& match) const;

 private:
  void FromDescriptors(Address object, const MapInfo& map, size_t limit,
                       std::vector<Property>& out) const;
  void FromDictionary(Address object, size_t limit, std::vector<Property>& out) const;
  // The object's NameDictionary, its reads bounded by its length.
  std::optional<ObjectView> Dictionary(Address object) const;
  bool IsName(uint64_t tagged) const;  // a String or Symbol: a dictionary entry in use
  const Memory& memory_;
  const Layout& layout_;
};

}  // namespace mortem::v8

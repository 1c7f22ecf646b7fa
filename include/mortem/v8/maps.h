// Purpose: decoded Map objects, cached per map address. A word is accepted as a map only if its
// own map is a self-mapped meta map of type MAP_TYPE; everything the walker and namer need from a
// map is decoded once here. One MapCache per thread; no locking.
#pragma once
#include <unordered_map>

#include "mortem/core/memory.h"
#include "mortem/v8/layout.h"

namespace mortem::v8 {

struct MapInfo {
  Address address = 0;
  uint16_t instance_type = 0;
  uint32_t instance_size = 0;  // bytes; 0 for variable-size types
  uint8_t inobject_start_words = 0;
  uint8_t bit_field = 0;
  uint8_t bit_field2 = 0;
  uint32_t bit_field3 = 0;
  bool is_map = false;
};

class MapCache {
 public:
  // Decode reads the Map fields it keeps from this many bytes at the map's start (LoadLayout
  // checks that their offsets fall inside).
  static constexpr size_t kDecodedBytes = 24;

  MapCache(const Memory& memory, const Layout& layout) : memory_(memory), layout_(layout) {}
  // The decoded map at address (untagged), or nullptr if that is not a map.
  const MapInfo* Get(Address map);

 private:
  MapInfo Decode(Address map) const;
  const Memory& memory_;
  const Layout& layout_;
  std::unordered_map<Address, MapInfo> cache_;
  Address last_address_ = 0;
  const MapInfo* last_ = nullptr;
};

}  // namespace mortem::v8

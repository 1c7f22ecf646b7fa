// Purpose: decoded Map objects, cached per map address. A word is accepted as a map only if its
// own map is a self-mapped meta map of type MAP_TYPE; everything the walker and namer need from a
// map is decoded once here. One MapCache per thread; no locking.
#pragma once
#include <array>
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

// A map's bit_field3, decoded: whether its objects keep their properties in a dictionary, and how
// many descriptors of its descriptor array are its own.
inline bool IsDictionaryMap(const Layout& layout, const MapInfo& map) {
  return (map.bit_field3 >> layout.off.bit_field3_dictionary_map_shift) & 1;
}
inline uint32_t OwnDescriptors(const Layout& layout, const MapInfo& map) {
  return (map.bit_field3 & layout.off.bit_field3_descriptors_mask) >>
         layout.off.bit_field3_descriptors_shift;
}

class MapCache {
 public:
  // Decode reads the Map fields it keeps from this many bytes at the map's start (LoadLayout
  // checks that their offsets fall inside).
  static constexpr size_t kDecodedBytes = 24;

  MapCache(const Memory& memory, const Layout& layout) : memory_(memory), layout_(layout) {}
  // Moved, never copied: recent_ points into cache_'s nodes, which a move keeps.
  MapCache(const MapCache&) = delete;
  MapCache& operator=(const MapCache&) = delete;
  MapCache(MapCache&&) = default;
  MapCache& operator=(MapCache&&) = delete;
  // The decoded map at address (untagged), or nullptr if that is not a map.
  const MapInfo* Get(Address map);

 private:
  MapInfo Decode(Address map) const;
  const Memory& memory_;
  const Layout& layout_;
  std::unordered_map<Address, MapInfo> cache_;
  // The maps asked for lately, direct-mapped in front of cache_ (random reads, such as the live
  // marker's, meet the same few hundred maps in any order).
  static constexpr size_t kRecent = 1024;
  std::array<std::pair<Address, const MapInfo*>, kRecent> recent_{};
};

}  // namespace mortem::v8

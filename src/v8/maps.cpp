#include "mortem/v8/maps.h"

#include <cstring>

#include "mortem/v8/tagged.h"

namespace mortem::v8 {

const MapInfo* MapCache::Get(Address map) {
  auto& [address, info] = recent_[((map >> 3) ^ (map >> 13)) & (kRecent - 1)];
  if (address != map || !info) {
    auto it = cache_.find(map);
    if (it == cache_.end()) it = cache_.emplace(map, Decode(map)).first;
    address = map;
    info = &it->second;  // stable: the map's nodes never move
  }
  return info->is_map ? info : nullptr;
}

MapInfo MapCache::Decode(Address map) const {
  MapInfo info;
  info.address = map;
  const Offsets& o = layout_.off;
  uint8_t bytes[kDecodedBytes];
  if ((map & 7) != 0 || memory_.Read(map, bytes, sizeof bytes) != sizeof bytes) return info;
  uint64_t meta_tagged;
  std::memcpy(&meta_tagged, bytes, 8);
  if (!Tagged(meta_tagged).IsStrong()) return info;
  Address meta = meta_tagged - 1;
  // The meta map is its own map and has MAP_TYPE.
  auto meta_map = memory_.ReadWord(meta);
  auto meta_type = memory_.ReadValue<uint16_t>(meta + o.map_instance_type);
  if (!meta_map || *meta_map != meta_tagged || !meta_type || *meta_type != layout_.types.map)
    return info;
  std::memcpy(&info.instance_type, bytes + o.map_instance_type, 2);
  info.instance_size = uint32_t{bytes[o.map_instance_size_in_words]} * 8;
  info.inobject_start_words = bytes[o.map_inobject_start_or_ctor_index];
  info.bit_field = bytes[o.map_bit_field];
  info.bit_field2 = bytes[o.map_bit_field2];
  std::memcpy(&info.bit_field3, bytes + o.map_bit_field3, 4);
  info.is_map = true;
  return info;
}

}  // namespace mortem::v8

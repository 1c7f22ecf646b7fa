#include "mortem/v8/edge_names.h"

#include "mortem/v8/properties.h"
#include "scope_info.h"

namespace mortem::v8 {
namespace {
constexpr uint32_t kMaxScannedBytes = 1 << 24;  // holders larger than this are scanned in part
}

std::vector<EdgeName> EdgeNamer::Names(Address holder, Address target) {
  std::vector<EdgeName> out;
  auto map_word = memory_.ReadWord(holder);
  const MapInfo* map = map_word ? namer_.MapOf(holder + 1) : nullptr;
  if (!map) return out;
  // The holder's size bounds the scan; variable-size objects are read up to a cap.
  uint64_t size = map->instance_size;
  if (size == 0) {
    SizeRules rules(layout_, memory_);
    std::vector<std::byte> head(4096);
    head.resize(memory_.Read(holder, head.data(), head.size()));
    size = rules.SizeOf(*map, head).value_or(head.size());
  }
  size = std::min<uint64_t>(size, kMaxScannedBytes);
  std::vector<uint64_t> words(size / 8);
  size_t got = memory_.Read(holder, words.data(), words.size() * 8) / 8;
  for (size_t i = 0; i < got; ++i) {
    uint64_t w = words[i];
    if ((w & ~uint64_t{3}) != target || (w & 1) == 0) continue;
    EdgeName e = NameSlot(holder, *map, static_cast<uint32_t>(i * 8));
    e.weak = (w & 3) == 3;
    out.push_back(e);
  }
  return out;
}

EdgeName EdgeNamer::NameSlot(Address holder, const MapInfo& map, uint32_t offset) {
  const Offsets& o = layout_.off;
  const uint16_t type = map.instance_type;
  EdgeName e;
  e.offset = offset;
  if (offset == 0) {
    e.name = "map";
    return e;
  }
  if (layout_.IsJSReceiver(type)) {
    if (offset == o.receiver_properties) {
      e.name = "(properties)";
      return e;
    }
    if (offset == o.object_elements) {
      e.name = "(elements)";
      return e;
    }
    PropertyReader reader(memory_, layout_);
    uint64_t value = memory_.ReadWord(holder + offset).value_or(0);
    uint32_t start = map.inobject_start_words * 8u;
    if (offset >= start) {
      for (const auto& p : reader.OwnProperties(holder, map))
        if (p.in_object && p.value == value) {
          e.kind = EdgeName::Kind::kProperty;
          auto key = namer_.strings().ReadTagged(p.key, 128);
          e.name = key ? key->utf8 : "(symbol)";
          return e;
        }
    }
  } else if (layout_.IsContext(type)) {
    uint32_t slot = (offset - o.fixed_array_data) / 8;
    if (slot == o.context_scope_info_index)
      e.name = "(scope info)";
    else if (type == layout_.types.native_context && slot == o.context_min_slots)
      e.name = "global (extension)";
    else if (slot == o.context_previous_index)
      e.name = "(previous)";
    else {
      auto scope = memory_.ReadWord(holder + o.fixed_array_data + o.context_scope_info_index * 8);
      auto name = scope && (*scope & 3) == 1
                      ? ScopeInfoReader(memory_, layout_).ContextSlotName(*scope - 1, slot)
                      : std::nullopt;
      auto text = name ? namer_.strings().ReadTagged(*name, 128) : std::nullopt;
      e.kind = EdgeName::Kind::kContext;
      e.name = text ? text->utf8 : "(context slot " + std::to_string(slot) + ")";
    }
    return e;
  } else if (layout_.IsFixedArrayShaped(type) || type == layout_.types.weak_fixed_array ||
             type == layout_.types.property_array) {
    e.kind = EdgeName::Kind::kElement;
    e.name = "[" + std::to_string((offset - o.fixed_array_data) / 8) + "]";
    return e;
  }
  e.name = "+" + std::to_string(offset);
  return e;
}

}  // namespace mortem::v8

#include "mortem/v8/properties.h"

#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {
constexpr uint32_t kMaxCapacity = 1 << 20;

}  // namespace

std::vector<Property> PropertyReader::OwnProperties(Address object, const MapInfo& map,
                                                    size_t limit) const {
  std::vector<Property> out;
  bool dictionary = (map.bit_field3 >> layout_.off.bit_field3_dictionary_map_shift) & 1;
  if (dictionary)
    FromDictionary(object, limit, out);
  else
    FromDescriptors(object, map, limit, out);
  return out;
}

std::optional<uint64_t> PropertyReader::CountOwn(Address object, const MapInfo& map) const {
  const Offsets& o = layout_.off;
  bool dictionary = (map.bit_field3 >> o.bit_field3_dictionary_map_shift) & 1;
  if (!dictionary)
    return (map.bit_field3 & o.bit_field3_descriptors_mask) >> o.bit_field3_descriptors_shift;
  // HashTable prefix: the number of elements (live entries) first.
  auto dict = memory_.ReadWord(object + o.receiver_properties);
  if (!dict || !IsHeapObject(*dict)) return std::nullopt;
  auto elements = memory_.ReadWord(*dict - 1 + o.fixed_array_data);
  if (!elements || !IsSmi(*elements) || SmiValue(*elements) < 0 ||
      SmiValue(*elements) > kMaxCapacity)
    return std::nullopt;
  return static_cast<uint64_t>(SmiValue(*elements));
}

bool PropertyReader::IsName(uint64_t tagged) const {
  if (!IsHeapObject(tagged)) return false;
  auto map = memory_.ReadWord(tagged - 1);
  auto type = map && IsHeapObject(*map)
                  ? memory_.ReadValue<uint16_t>(*map - 1 + layout_.off.map_instance_type)
                  : std::nullopt;
  return type && (layout_.IsString(*type) || *type == layout_.types.symbol);
}

std::optional<uint64_t> PropertyReader::FindOwnData(
    Address object, const MapInfo& map, const std::function<bool(uint64_t key)>& match) const {
  for (const auto& p : OwnProperties(object, map))
    if (!p.is_accessor && match(p.key)) return p.value;
  return std::nullopt;
}

void PropertyReader::FromDescriptors(Address object, const MapInfo& map, size_t limit,
                                     std::vector<Property>& out) const {
  const Offsets& o = layout_.off;
  auto descriptors = memory_.ReadWord(map.address + o.map_instance_descriptors);
  if (!descriptors || !IsHeapObject(*descriptors)) return;
  Address array = *descriptors - 1;
  uint32_t own = (map.bit_field3 & o.bit_field3_descriptors_mask) >> o.bit_field3_descriptors_shift;
  auto all = memory_.ReadValue<int16_t>(array + 8);
  if (!all || own > static_cast<uint32_t>(std::max<int16_t>(*all, 0))) return;
  uint32_t inobject_start = map.inobject_start_words;
  uint32_t size_words = map.instance_size / 8;
  uint32_t inobject = size_words > inobject_start ? size_words - inobject_start : 0;
  uint64_t properties = memory_.ReadWord(object + o.receiver_properties).value_or(0);
  for (uint32_t i = 0; i < own && out.size() < limit; ++i) {
    Address entry = array + o.descriptor_header + uint64_t{i} * o.descriptor_size * 8;
    auto key = memory_.ReadWord(entry + o.descriptor_key * 8);
    auto details_word = memory_.ReadWord(entry + o.descriptor_details * 8);
    if (!key || !details_word || (*details_word & 1) != 0) return;
    uint32_t details = static_cast<uint32_t>(static_cast<int64_t>(*details_word) >> 32);
    Property p;
    p.key = *key;
    p.is_accessor = (details & o.prop_kind_mask) == o.prop_kind_accessor;
    bool in_field =
        ((details & o.prop_location_mask) >> o.prop_location_shift) == o.prop_location_field;
    if (!in_field) {
      p.value = memory_.ReadWord(entry + o.descriptor_value * 8).value_or(0);
    } else {
      uint32_t index = (details & o.prop_index_mask) >> o.prop_index_shift;
      if (index < inobject) {
        p.in_object = true;
        p.value = memory_.ReadWord(object + (uint64_t{inobject_start} + index) * 8).value_or(0);
      } else if (IsHeapObject(properties)) {
        // PropertyArray: map, length_and_hash, then the values.
        p.value =
            memory_.ReadWord(properties - 1 + 16 + uint64_t{index - inobject} * 8).value_or(0);
      }
    }
    out.push_back(p);
  }
}

void PropertyReader::FromDictionary(Address object, size_t limit,
                                    std::vector<Property>& out) const {
  const Offsets& o = layout_.off;
  auto dict = memory_.ReadWord(object + o.receiver_properties);
  if (!dict || !IsHeapObject(*dict)) return;
  Address base = *dict - 1 + o.fixed_array_data;
  auto length = memory_.ReadWord(*dict - 1 + o.fixed_array_length);
  auto capacity = memory_.ReadWord(base + 2 * 8);
  if (!length || !capacity || (*capacity & 1) != 0) return;
  int64_t cap = static_cast<int64_t>(*capacity) >> 32;
  int64_t len = static_cast<int64_t>(*length) >> 32;
  // HashTable prefix (elements, deleted, capacity) then the NameDictionary prefix (next
  // enumeration index, object hash, and from 11.3 flags); entries of (key, value, details).
  const int64_t start = o.name_dictionary_prefix_start + o.name_dictionary_prefix_size;
  const int64_t entry_size = o.name_dictionary_entry_size;
  if (cap < 0 || cap > kMaxCapacity || start + cap * entry_size > len) return;
  for (int64_t i = 0; i < cap && out.size() < limit; ++i) {
    Address entry = base + (start + i * entry_size) * 8;
    auto key = memory_.ReadWord(entry);
    if (!key || !IsName(*key)) continue;  // empty (undefined) or deleted (the hole)
    auto details_word = memory_.ReadWord(entry + 16);
    if (!details_word || (*details_word & 1) != 0) continue;
    uint32_t details = static_cast<uint32_t>(static_cast<int64_t>(*details_word) >> 32);
    Property p;
    p.key = *key;
    p.value = memory_.ReadWord(entry + 8).value_or(0);
    p.is_accessor = (details & o.prop_kind_mask) == o.prop_kind_accessor;
    out.push_back(p);
  }
}

}  // namespace mortem::v8

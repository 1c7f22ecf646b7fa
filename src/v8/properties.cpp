#include "mortem/v8/properties.h"

#include "mortem/v8/object_size.h"
#include "mortem/v8/object_view.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {
constexpr uint32_t kMaxCapacity = 1 << 20;

// A property's details word: a Smi whose value holds the PropertyDetails bits.
std::optional<uint32_t> Details(std::optional<Tagged> word) {
  if (!word || word->IsReference()) return std::nullopt;
  return static_cast<uint32_t>(word->SmiValue());
}

}  // namespace

std::optional<ObjectView> PropertyReader::Dictionary(Address object) const {
  const Offsets& o = layout_.off;
  auto dict = ObjectView(memory_, object).Object(o.receiver_properties);
  if (!dict) return std::nullopt;
  auto length = dict->Smi(o.fixed_array_length);
  if (!length || *length < 0 || *length > int64_t{kMaxCapacity} * 4) return std::nullopt;
  return dict->Sized(o.fixed_array_data + uint64_t(*length) * 8);
}

std::vector<Property> PropertyReader::OwnProperties(Address object, const MapInfo& map,
                                                    size_t limit) const {
  std::vector<Property> out;
  if (IsDictionaryMap(layout_, map))
    FromDictionary(object, limit, out);
  else
    FromDescriptors(object, map, limit, out);
  return out;
}

std::optional<uint64_t> PropertyReader::CountOwn(Address object, const MapInfo& map) const {
  const Offsets& o = layout_.off;
  if (!IsDictionaryMap(layout_, map)) return OwnDescriptors(layout_, map);
  // HashTable prefix: the number of elements (live entries) first.
  auto dict = ObjectView(memory_, object).Object(o.receiver_properties);
  auto elements = dict ? dict->Smi(o.fixed_array_data) : std::nullopt;
  if (!elements || *elements < 0 || *elements > kMaxCapacity) return std::nullopt;
  return static_cast<uint64_t>(*elements);
}

bool PropertyReader::IsName(uint64_t tagged) const {
  auto object = ObjectView::Of(memory_, Tagged(tagged));
  auto map = object ? object->Object(0) : std::nullopt;
  auto type = map ? map->Read<uint16_t>(layout_.off.map_instance_type) : std::nullopt;
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
  auto array = ObjectView(memory_, map.address).Object(o.map_instance_descriptors);
  if (!array) return;
  uint32_t own = OwnDescriptors(layout_, map);
  auto all = array->Read<int16_t>(DescriptorArrayShape::kNumberOfAll);
  if (!all || own > static_cast<uint32_t>(std::max<int16_t>(*all, 0))) return;
  const uint64_t entry_bytes = uint64_t{o.descriptor_size} * 8;
  const ObjectView descriptors = array->Sized(o.descriptor_header + uint64_t(*all) * entry_bytes);
  uint32_t inobject_start = map.inobject_start_words;
  uint32_t size_words = map.instance_size / 8;
  uint32_t inobject = size_words > inobject_start ? size_words - inobject_start : 0;
  const ObjectView receiver = ObjectView(memory_, object).Sized(map.instance_size);
  auto properties = ObjectView(memory_, object).Object(o.receiver_properties);
  for (uint32_t i = 0; i < own && out.size() < limit; ++i) {
    const uint64_t entry = o.descriptor_header + uint64_t{i} * entry_bytes;
    auto key = descriptors.Word(entry + o.descriptor_key * 8);
    auto details = Details(descriptors.Field(entry + o.descriptor_details * 8));
    if (!key || !details) return;
    Property p;
    p.key = *key;
    p.is_accessor = (*details & o.prop_kind_mask) == o.prop_kind_accessor;
    bool in_field =
        ((*details & o.prop_location_mask) >> o.prop_location_shift) == o.prop_location_field;
    if (!in_field) {
      p.value = descriptors.Word(entry + o.descriptor_value * 8).value_or(0);
    } else {
      uint32_t index = (*details & o.prop_index_mask) >> o.prop_index_shift;
      if (index < inobject) {
        p.in_object = true;
        p.value = receiver.Word((uint64_t{inobject_start} + index) * 8).value_or(0);
      } else if (properties) {
        const uint64_t at = PropertyArrayShape::kValues + uint64_t{index - inobject} * 8;
        p.value = properties->Word(at).value_or(0);
      }
    }
    out.push_back(p);
  }
}

void PropertyReader::FromDictionary(Address object, size_t limit,
                                    std::vector<Property>& out) const {
  const Offsets& o = layout_.off;
  auto dict = Dictionary(object);
  if (!dict) return;
  const uint64_t base = o.fixed_array_data;
  auto length = dict->Smi(o.fixed_array_length);
  auto capacity = dict->Field(base + 2 * 8);
  if (!length || !capacity || capacity->IsReference()) return;
  int64_t cap = capacity->SmiValue();
  int64_t len = *length;
  // HashTable prefix (elements, deleted, capacity) then the NameDictionary prefix (next
  // enumeration index, object hash, and from 11.3 flags); entries of (key, value, details).
  const int64_t start = o.name_dictionary_prefix_start + o.name_dictionary_prefix_size;
  const int64_t entry_size = o.name_dictionary_entry_size;
  if (cap < 0 || cap > kMaxCapacity || start + cap * entry_size > len) return;
  for (int64_t i = 0; i < cap && out.size() < limit; ++i) {
    const uint64_t entry = base + uint64_t(start + i * entry_size) * 8;
    auto key = dict->Word(entry);
    if (!key || !IsName(*key)) continue;  // empty (undefined) or deleted (the hole)
    auto details = Details(dict->Field(entry + 16));
    if (!details) continue;
    Property p;
    p.key = *key;
    p.value = dict->Word(entry + 8).value_or(0);
    p.is_accessor = (*details & o.prop_kind_mask) == o.prop_kind_accessor;
    out.push_back(p);
  }
}

}  // namespace mortem::v8

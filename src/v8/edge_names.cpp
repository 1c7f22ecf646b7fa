#include "mortem/v8/edge_names.h"

#include <optional>

#include "mortem/v8/object_view.h"
#include "mortem/v8/properties.h"
#include "mortem/v8/tagged.h"
#include "scope_info.h"

namespace mortem::v8 {
namespace {
constexpr uint32_t kMaxScannedBytes = 1 << 24;  // holders larger than this are scanned in part
constexpr size_t kMaxCachedScopes = 4096;
}  // namespace

std::optional<uint64_t> EdgeNamer::ContextSlotName(Address scope_info, uint32_t slot) {
  auto it = scope_locals_.find(scope_info);
  if (it == scope_locals_.end()) {
    if (scope_locals_.size() >= kMaxCachedScopes) scope_locals_.clear();
    ScopeLocals locals;
    if (auto read = ScopeInfoReader(memory_, layout_).ContextLocals(scope_info))
      locals = {read->first_slot, std::move(read->names)};
    it = scope_locals_.emplace(scope_info, std::move(locals)).first;
  }
  const ScopeLocals& locals = it->second;
  if (slot < locals.first_slot || slot - locals.first_slot >= locals.names.size())
    return std::nullopt;
  const uint64_t name = locals.names[slot - locals.first_slot];
  return name ? std::optional(name) : std::nullopt;
}

std::vector<EdgeName> EdgeNamer::Names(Address holder, Address target) {
  std::vector<EdgeName> out;
  const ObjectView object(memory_, holder);
  const MapInfo* map = object.Map() ? namer_.MapOf(object.tagged().raw()) : nullptr;
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
    if (Tagged(w).address() != target || !Tagged(w).IsReference()) continue;
    EdgeName e = NameSlot(holder, *map, static_cast<uint32_t>(i * 8));
    e.weak = Tagged(w).IsWeak();
    out.push_back(e);
  }
  return out;
}

// The names V8's heap snapshot gives internal fields (heap-snapshot-generator.cc's
// SetInternalReference calls): a closure's "shared", "context", "feedback_cell", "code" and
// "initial_map" (or its "prototype" property), a Map's or Set's "table", a view's "buffer".
std::optional<std::string> EdgeNamer::InternalFieldName(Address holder, uint16_t type,
                                                        uint32_t offset) {
  const Offsets& o = layout_.off;
  const Types& t = layout_.types;
  if (layout_.IsJSFunction(type)) {
    if (offset == o.function_shared) return "shared";
    if (offset == o.function_context) return "context";
    if (offset == o.function_feedback_cell) return "feedback_cell";
    if (offset == o.function_code) return "code";
    if (offset == o.function_prototype_or_initial_map) {
      auto value = ObjectView(memory_, holder).Field(offset);
      const MapInfo* map = value ? namer_.MapOf(value->raw()) : nullptr;
      return map && map->instance_type == t.map ? "initial_map" : "prototype";
    }
    return std::nullopt;
  }
  const bool collection = type == t.js_map || type == t.js_set ||
                          (t.js_weak_map && type == *t.js_weak_map) ||
                          (t.js_weak_set && type == *t.js_weak_set);
  if (collection && offset == o.collection_table) return "table";
  const bool view = type == t.js_typed_array || type == t.js_data_view ||
                    (t.js_rab_gsab_data_view && type == *t.js_rab_gsab_data_view);
  if (view && offset == o.view_buffer) return "buffer";
  return std::nullopt;
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
  if (auto internal = InternalFieldName(holder, type, offset)) {
    e.name = *internal;
    if (e.name == "prototype") e.kind = EdgeName::Kind::kProperty;
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
    auto field = ObjectView(memory_, holder).Field(offset);
    const uint64_t value = field ? field->raw() : 0;
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
    // V8's snapshot names these internal slots (ExtractContextReferences): "scope_info",
    // "previous", and a native context's extension slot, its global object, "global_object".
    if (slot == o.context_scope_info_index)
      e.name = "scope_info";
    else if (type == layout_.types.native_context && slot == o.context_min_slots)
      e.name = "global_object";
    else if (slot == o.context_previous_index)
      e.name = "previous";
    else {
      auto scope =
          ObjectView(memory_, holder).Object(o.fixed_array_data + o.context_scope_info_index * 8);
      auto name = scope ? ContextSlotName(scope->address(), slot) : std::nullopt;
      auto text = name ? namer_.strings().ReadTagged(*name, 128) : std::nullopt;
      e.kind = EdgeName::Kind::kContext;
      e.name = text ? text->utf8 : "(context slot " + std::to_string(slot) + ")";
    }
    return e;
  } else if (layout_.IsFixedArrayShaped(type) || type == layout_.types.weak_fixed_array ||
             type == layout_.types.property_array) {
    // V8's snapshot: an internal edge named by the slot's index (ExtractFixedArrayReferences);
    // a JS object's elements are shown as its own "[index]" (retainers folds the store).
    e.kind = EdgeName::Kind::kElement;
    e.name = std::to_string((offset - o.fixed_array_data) / 8);
    return e;
  }
  e.name = "+" + std::to_string(offset);
  return e;
}

}  // namespace mortem::v8

// Node's Buffer.poolSize, read off the Buffer function (see node_buffer.h).
#include "mortem/v8/node_buffer.h"

#include "mortem/v8/maps.h"
#include "mortem/v8/properties.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

// Buffer's own properties number about twenty on every line; ordinary functions have four or
// five (length, name, prototype, arguments, caller).
constexpr uint32_t kManyOwnDescriptors = 10;
// A pool is an ArrayBuffer; V8 caps an ArrayBuffer's length far below this. A larger value is
// not a pool size.
constexpr int64_t kMaxPoolSize = int64_t{1} << 40;

}  // namespace

bool MayBeBufferFunction(const Layout& layout, const HeapObject& object) {
  if (!layout.IsJSFunction(object.map->instance_type)) return false;
  return IsDictionaryMap(layout, *object.map) ||
         OwnDescriptors(layout, *object.map) >= kManyOwnDescriptors;
}

std::optional<uint64_t> BufferPoolSize(const Memory& memory, const Layout& layout, Namer& namer,
                                       std::span<const FunctionCandidate> candidates) {
  PropertyReader properties(memory, layout);
  std::optional<uint64_t> found;
  for (const auto& c : candidates) {
    const MapInfo* map = namer.maps().Get(c.map);
    if (!map || namer.FunctionName(c.address) != "Buffer") continue;
    auto value = properties.FindOwnData(c.address, *map, [&](uint64_t key) {
      auto text = namer.strings().ReadTagged(key, 16);
      return text && text->utf8 == "poolSize";
    });
    if (!value || !Tagged(*value).IsSmi()) continue;
    const int64_t size = SmiValue(*value);
    if (size <= 0 || size > kMaxPoolSize) continue;
    if (found && *found != static_cast<uint64_t>(size)) return std::nullopt;
    found = static_cast<uint64_t>(size);
  }
  return found;
}

}  // namespace mortem::v8

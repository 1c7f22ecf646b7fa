// Purpose: the size in bytes of a heap object from its map and, for variable-size types, the
// length fields in its own body, following V8's HeapObject::SizeFromMap per version.
#pragma once
#include <optional>
#include <span>

#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"

namespace mortem::v8 {

// body: the bytes from the object's start to the end of its page area (bounded view).
// Returns nullopt if the size cannot be determined or the fields are not in body.
std::optional<uint64_t> ObjectSize(const Layout& layout, const MapInfo& map,
                                   std::span<const std::byte> body);

}  // namespace mortem::v8

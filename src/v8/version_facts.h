// Purpose: per-version layout facts that V8's postmortem metadata does not carry (page headers,
// space ids, isolate offsets, unexported instance types). Internal to mortem_v8.
#pragma once
#include <string>
#include <vector>

#include "mortem/v8/layout.h"

namespace mortem::v8 {

// Fills the fact-derived parts of the layout for layout.v8. Returns the names of facts that could
// not be established (reported together with missing constants).
std::vector<std::string> ApplyVersionFacts(Layout& layout);

// Names for instance types V8 does not export (e.g. NATIVE_CONTEXT_TYPE); "type N" otherwise.
std::string DerivedTypeName(const Layout& layout, uint16_t type);

}  // namespace mortem::v8

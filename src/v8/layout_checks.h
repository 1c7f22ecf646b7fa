// Purpose: range checks of the layout constants that decoders use as offsets, shifts, masks and
// instance-type numbers, run once when the layout loads. The v8dbg_* and nodedbg_* values are
// read from the target, so a damaged core controls them: an out-of-range one is an Error naming
// it here, never an out-of-bounds read or an undefined shift later. Internal to mortem_v8.
#pragma once
#include "mortem/v8/layout.h"

namespace mortem::v8 {

// Throws Error (bad input) naming every constant of the layout that is out of range.
void CheckLayoutRanges(const Layout& layout);

}  // namespace mortem::v8

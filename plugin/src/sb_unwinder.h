// Purpose: native frames from LLDB's own unwinder (SBThread/SBFrame), for a core or a live
// process, so that `v8 bt` shows the same frames (and frame numbers) as lldb's `bt`, with V8's
// frames decoded in them by mortem.
#pragma once
#include <lldb/API/SBProcess.h>
#include <lldb/API/SBTarget.h>

#include "mortem/core/unwind.h"

namespace mortem::lldb_plugin {

class SbUnwinder : public Unwinder {
 public:
  SbUnwinder(lldb::SBTarget target, lldb::SBProcess process) : target_(target), process_(process) {}
  UnwoundThread Unwind(int tid, size_t max_frames) const override;

 private:
  // SB handles are cheap references whose getters are not const.
  mutable lldb::SBTarget target_;
  mutable lldb::SBProcess process_;
};

}  // namespace mortem::lldb_plugin

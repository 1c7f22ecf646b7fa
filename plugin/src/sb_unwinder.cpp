#include "sb_unwinder.h"

#include <lldb/API/SBFileSpec.h>
#include <lldb/API/SBFrame.h>
#include <lldb/API/SBModule.h>
#include <lldb/API/SBSymbol.h>
#include <lldb/API/SBThread.h>

namespace mortem::lldb_plugin {

UnwoundThread SbUnwinder::Unwind(int tid, size_t max_frames) const {
  UnwoundThread out;
  out.tid = tid;
  lldb::SBThread thread = process_.GetThreadByID(static_cast<lldb::tid_t>(tid));
  if (!thread.IsValid()) {
    out.stopped_because = "lldb has no such thread";
    return out;
  }
  const uint32_t count = thread.GetNumFrames();
  for (uint32_t i = 0; i < count && out.frames.size() < max_frames; ++i) {
    lldb::SBFrame frame = thread.GetFrameAtIndex(i);
    if (!frame.IsValid()) break;
    NativeFrame f;
    f.pc = frame.GetPC();
    f.sp = frame.GetSP();
    f.fp = frame.GetFP();
    lldb::SBSymbol symbol = frame.GetSymbol();
    if (symbol.IsValid() && symbol.GetName()) {
      f.symbol = symbol.GetDisplayName() ? symbol.GetDisplayName() : symbol.GetName();
      lldb::addr_t start = symbol.GetStartAddress().GetLoadAddress(target_);
      if (start != LLDB_INVALID_ADDRESS && f.pc >= start) f.symbol_offset = f.pc - start;
    }
    lldb::SBModule module = frame.GetModule();
    if (module.IsValid() && module.GetFileSpec().GetFilename())
      f.module = module.GetFileSpec().GetFilename();
    out.frames.push_back(std::move(f));
  }
  if (out.frames.size() >= max_frames && count > max_frames)
    out.stopped_because = "frame limit reached";
  return out;
}

}  // namespace mortem::lldb_plugin

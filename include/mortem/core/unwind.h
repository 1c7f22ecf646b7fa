// Purpose: native stack unwinding as the layers above need it: a thread's frames (pc, stack and
// frame pointers, symbol and module where known). Implemented by the ELF core reader (libunwind
// over the core) and by the LLDB plugin (lldb's own unwinder); the V8 model decodes JS frames
// from these frames without knowing where they came from.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mortem/core/memory.h"

namespace mortem {

struct NativeFrame {
  Address pc = 0;      // for frames above the first: the return address
  Address sp = 0;      // the canonical frame address's stack pointer at that frame, if known
  Address fp = 0;      // rbp while executing in that frame (V8 frames are rbp-based)
  std::string symbol;  // demangled where possible; empty if unknown
  uint64_t symbol_offset = 0;
  std::string module;  // file name of the mapped file holding pc; empty for anonymous memory
};

struct UnwoundThread {
  int tid = 0;
  std::vector<NativeFrame> frames;
  std::string stopped_because;  // why unwinding ended early, if it did ("" at the stack's end)
};

class Unwinder {
 public:
  virtual ~Unwinder() = default;
  // The frames of thread tid, innermost first, at most max_frames.
  virtual UnwoundThread Unwind(int tid, size_t max_frames) const = 0;
};

}  // namespace mortem

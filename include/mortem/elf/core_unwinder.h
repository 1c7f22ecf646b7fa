// Purpose: native stack unwinding of a core's threads with libunwind's remote API over mortem's
// own core reader: registers from NT_PRSTATUS, memory through the CoreTarget (the core, then the
// mapped files), unwind tables from each module's .eh_frame_hdr. Code without unwind tables (V8's
// JIT code and builtins) is crossed by libunwind's frame-pointer fallback. Frames are symbolized
// from the modules' symbol tables and demangled.
#pragma once
#include <memory>
#include <mutex>

#include "mortem/core/unwind.h"
#include "mortem/elf/core_target.h"

namespace mortem {

class CoreUnwinder : public Unwinder {
 public:
  explicit CoreUnwinder(const CoreTarget& target);
  ~CoreUnwinder() override;
  CoreUnwinder(const CoreUnwinder&) = delete;
  CoreUnwinder& operator=(const CoreUnwinder&) = delete;

  UnwoundThread Unwind(int tid, size_t max_frames) const override;

  // The module and symbol of an address ("" where unknown); shared with other frontends' needs.
  void Symbolize(Address pc, NativeFrame& frame) const;
  const CoreTarget& target() const { return target_; }

 private:
  struct AddressSpace;
  const CoreTarget& target_;
  std::unique_ptr<AddressSpace> space_;
  mutable std::mutex mutex_;  // libunwind address spaces are not shared between threads
};

}  // namespace mortem

// Purpose: V8 stack frames on x64, decoded from a frame pointer: typed frames by their marker
// (entry, exit, internal, stub, construct, ...; the frame type numbers from v8dbg_frametype_*),
// and JavaScript frames by their fixed slots (function, context, argument count, bytecode array
// and offset): function name, receiver and arguments, script:line:column. Interpreted frames get
// the exact position of the current bytecode; baseline and optimized frames the function's start.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/heap.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/object_view.h"
#include "mortem/v8/scripts.h"
#include "mortem/v8/values.h"

namespace mortem::v8 {

struct V8Frame {
  enum class Kind { kNone, kJavaScript, kTyped };
  Kind kind = Kind::kNone;
  // JS frames: "interpreted", "baseline", "optimized"; typed frames: V8's type name
  // ("Entry", "Exit", "BuiltinExit", "Internal", "Stub", "Construct", ...).
  std::string type;
  Address function = 0;  // tagged JSFunction (JS frames)
  std::string function_name;
  SourceLocation location;
  bool position_exact = false;  // the current position (else the function's start)
  std::string receiver;         // preview
  std::vector<std::string> arguments;
  size_t arguments_omitted = 0;
};

// A JS Error object as a crash report shows it: its class, message and stack. The stack is the
// formatted `stack` string if V8 formatted it already, else decoded from the captured call sites
// (CallSiteInfo: function, script, position).
struct ErrorInfo {
  Address address = 0;  // untagged
  std::string type;     // constructor name: Error, TypeError, a user class, ...
  std::string message;
  std::vector<std::string> stack;  // one line per frame, "at fn (file:line:column)"
  bool stack_formatted = false;    // taken from the formatted string
};

class FrameDecoder {
 public:
  FrameDecoder(const Memory& memory, const Layout& layout, const Heap& heap);
  // Decodes the V8 frame whose frame pointer is fp; kind kNone if it is not one.
  V8Frame Decode(Address fp, size_t max_arguments = 8);
  // The error at a tagged value, if it is a JS Error object (JS_ERROR_TYPE).
  std::optional<ErrorInfo> DescribeError(uint64_t tagged, size_t max_frames = 32);
  // The JSFunction of a frame, for `source list` (0 if none).
  Address FunctionOf(Address fp);
  ScriptReader& scripts() { return scripts_; }
  ValueReader& values() { return values_; }

 private:
  std::optional<std::string> MarkerType(uint64_t slot) const;
  bool IsJSFunction(uint64_t tagged);
  void Position(V8Frame& frame, Address fp, uint64_t shared);
  void Arguments(V8Frame& frame, Address fp, size_t max_arguments);
  std::vector<std::string> CallSites(uint64_t tagged_array, size_t max_frames);
  // Where a captured frame's fields lie in the object that holds them.
  struct CallSiteFields {
    uint64_t code, function, offset, flags;
  };
  std::optional<std::string> CallSite(const ObjectView& info);
  std::vector<std::string> FlatCallSites(const ObjectView& array, int64_t length,
                                         size_t max_frames);
  std::optional<std::string> CallSiteAt(const ObjectView& holder, const CallSiteFields& fields);
  uint64_t BytecodeOf(uint64_t code);

  const Memory& memory_;
  const Layout& layout_;
  ValueReader values_;
  ScriptReader scripts_;
};

}  // namespace mortem::v8

// Purpose: the `stack` command (and the plugin's `v8 bt`): every thread's native frames with
// V8's frames decoded in place (JS function, receiver, arguments, script:line:column; entry,
// exit, internal and stub frames labelled), and, when the process died throwing, the exception
// (its class, message and JS stack).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/session.h"
#include "mortem/v8/frames.h"

namespace mortem {

struct StackFrameRow {
  size_t index = 0;
  NativeFrame native;
  v8::V8Frame v8;  // kind kNone for native frames
};

struct ThreadStack {
  size_t number = 0;  // 1-based, in the core's order (the first is the thread that dumped)
  int tid = 0;
  std::string name;               // the OS's name of the thread; empty: unknown (cores)
  std::optional<size_t> isolate;  // the isolate this thread runs (its JS frames decoded with it)
  std::vector<StackFrameRow> frames;
  std::string stopped_because;
  size_t js_frames = 0;
};

struct StackOptions {
  size_t thread = 0;  // 1-based thread number; 0: the first (crashing) thread, unless all
  bool all = false;
  size_t max_frames = 256;
  size_t max_arguments = 8;
};

struct StackResult {
  int signal = 0;
  std::vector<ThreadStack> threads;
  std::optional<v8::ErrorInfo> exception;  // the error being thrown, if the process died throwing
  // When the dumping thread is in V8's or Node's fatal-error path (out of memory, a failed
  // check): the messages whose addresses that path left on the stack, innermost first (e.g.
  // "Allocation failed - JavaScript heap out of memory", "Reached heap limit").
  std::string fatal_function;
  std::vector<std::string> fatal_messages;
  std::string unwinder;  // "native unwinder" (the frontend's) or "frame pointers"
  std::vector<std::string> warnings;
};

StackResult RunStack(Session& session, const StackOptions& options);

// `source`: the script source around a JS frame's position (llnode's `v8 source list`).
struct SourceResult {
  size_t thread = 0, frame = 0;  // the frame shown (the first JS frame at or after the one asked)
  std::string function;
  v8::SourceLocation location;
  std::vector<v8::SourceLine> lines;
  std::string note;
};

struct SourceOptions {
  size_t thread = 0;  // 1-based; 0: the first thread
  size_t frame = 0;   // index as `stack` numbers frames
  int context = 5;    // lines shown before and after
};

SourceResult RunSource(Session& session, const SourceOptions& options);

// The frames of one thread as `stack` shows them (for frontends that want one thread).
ThreadStack UnwindThread(Session& session, v8::FrameDecoder& decoder, const ThreadInfo& thread,
                         size_t number, const StackOptions& options);

}  // namespace mortem

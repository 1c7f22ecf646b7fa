#include "mortem/analysis/stack.h"

#include <algorithm>
#include <cctype>

#include "mortem/core/error.h"
#include "mortem/v8/tagged.h"

namespace mortem {
namespace {

constexpr uint64_t kMaxFrameSize = 16 << 20;         // a caller's fp this far up ends the walk
constexpr uint64_t kExceptionScanBytes = 256 << 10;  // stack scanned for the thrown error

// Where V8 may have left frames: anonymous executable memory (JIT code, a copy of the
// builtins) and the embedded builtins in the binary.
bool MaybeV8Code(const NativeFrame& frame) {
  return frame.module.empty() || frame.symbol.starts_with("Builtins_");
}

// The rbp chain, for frontends without an unwinder: V8 and Node keep frame pointers.
UnwoundThread WalkFramePointers(const Memory& memory, const ThreadInfo& thread, size_t max_frames) {
  UnwoundThread out;
  out.tid = thread.tid;
  out.frames.push_back(NativeFrame{thread.pc, thread.sp, thread.fp, "", 0, ""});
  Address fp = thread.fp;
  while (out.frames.size() < max_frames) {
    auto caller_fp = memory.ReadWord(fp);
    auto return_address = memory.ReadWord(fp + 8);
    if (!caller_fp || !return_address || *return_address == 0) break;
    if (*caller_fp <= fp || *caller_fp - fp > kMaxFrameSize) {
      if (*caller_fp != 0) out.stopped_because = "the frame pointer chain ends";
      out.frames.push_back(NativeFrame{*return_address, fp + 16, *caller_fp, "", 0, ""});
      break;
    }
    out.frames.push_back(NativeFrame{*return_address, fp + 16, *caller_fp, "", 0, ""});
    fp = *caller_fp;
  }
  return out;
}

bool IsThrowing(const ThreadStack& stack) {
  for (const auto& f : stack.frames) {
    const auto& s = f.native.symbol;
    if (s.find("Isolate::Throw") != std::string::npos ||
        s.find("Isolate::ReThrow") != std::string::npos ||
        s.find("Runtime_Throw") != std::string::npos)
      return true;
  }
  return false;
}

// The error being thrown: the first Error object on the stack between the thread's stack pointer
// and its innermost JS frame (the runtime call's arguments and the C++ handles of Isolate::Throw
// live there).
std::optional<v8::ErrorInfo> FindThrownError(const Memory& memory, v8::FrameDecoder& decoder,
                                             const ThreadStack& stack) {
  if (stack.frames.empty()) return std::nullopt;
  Address from = stack.frames.front().native.sp;
  Address to = from + kExceptionScanBytes;
  for (const auto& f : stack.frames)
    if (f.v8.kind == v8::V8Frame::Kind::kJavaScript) {
      to = std::min(to, f.native.fp + 16);
      break;
    }
  for (Address slot = from & ~Address{7}; slot < to; slot += 8) {
    auto word = memory.ReadWord(slot);
    if (!word) break;
    if (!v8::Tagged(*word).IsStrong()) continue;
    if (auto error = decoder.DescribeError(*word)) return error;
  }
  return std::nullopt;
}

// The frame of V8's or Node's fatal-error path, if the thread is in one.
std::string FatalFunction(const ThreadStack& stack) {
  static const char* kFatal[] = {"OOMErrorHandler", "OnFatalError", "FatalProcessOutOfMemory",
                                 "V8_Fatal",        "FatalError",   "node::Assert"};
  for (const auto& f : stack.frames)
    for (const char* name : kFatal)
      if (f.native.symbol.find(name) != std::string::npos) return f.native.symbol;
  return "";
}

bool IsMessageText(const std::string& s) {
  if (s.size() < 12 || !std::isupper(static_cast<unsigned char>(s[0]))) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == ' ' || c == '-' || c == ',' || c == '.' || c == ':' || c == '(' ||
          c == ')' || c == '\'' || c == '_'))
      return false;
  return true;
}

// Messages the fatal-error path passed around (location, detail): pointers on the stack, between
// the stack pointer and the first JS frame, to NUL-started C strings in the executable's
// read-only data.
std::vector<std::string> FatalMessages(Session& session, const ThreadStack& stack) {
  constexpr size_t kMaxMessages = 8;
  std::vector<Region> rodata;
  for (const auto& r : session.memory().Regions())
    if (!r.writable && !r.executable && !r.name.empty() && r.name == session.facts().executable)
      rodata.push_back(r);
  auto in_rodata = [&](Address a) {
    for (const auto& r : rodata)
      if (r.Contains(a)) return true;
    return false;
  };
  Address from = stack.frames.front().native.sp, to = from + kExceptionScanBytes;
  for (const auto& f : stack.frames)
    if (f.v8.kind != v8::V8Frame::Kind::kNone) {
      to = std::min(to, f.native.sp);
      break;
    }
  std::vector<std::string> messages;
  for (Address slot = from & ~Address{7}; slot < to && messages.size() < kMaxMessages; slot += 8) {
    auto word = session.memory().ReadWord(slot);
    if (!word) break;
    if (!in_rodata(*word) || session.memory().ReadValue<char>(*word - 1) != '\0') continue;
    auto text = session.memory().ReadCString(*word, 256);
    if (!text || !IsMessageText(*text)) continue;
    if (std::find(messages.begin(), messages.end(), *text) == messages.end())
      messages.push_back(*text);
  }
  return messages;
}

// A frame decoder per isolate: a thread's JS frames are its own isolate's objects.
class IsolateDecoders {
 public:
  explicit IsolateDecoders(Session& session) : session_(session) {
    const size_t selected = session.selected_isolate();
    for (const auto& i : session.isolates()) {
      session.SelectIsolate(i.index);
      decoders_.push_back(
          std::make_unique<v8::FrameDecoder>(session.memory(), session.layout(), session.heap()));
    }
    session.SelectIsolate(selected);
  }
  // The isolate a thread runs, if it runs one, and the decoder for its frames (the main
  // thread's isolate's for threads that run none: they hold no JS frames of their own).
  std::pair<std::optional<size_t>, v8::FrameDecoder&> For(int tid) {
    for (const auto& i : session_.isolates())
      if (i.tid != 0 && i.tid == tid) return {i.index, *decoders_[i.index]};
    return {std::nullopt, *decoders_.front()};
  }

 private:
  Session& session_;
  std::vector<std::unique_ptr<v8::FrameDecoder>> decoders_;
};

}  // namespace

ThreadStack UnwindThread(Session& session, v8::FrameDecoder& decoder, const ThreadInfo& thread,
                         size_t number, const StackOptions& options) {
  ThreadStack stack;
  stack.number = number;
  stack.tid = thread.tid;
  stack.name = thread.name;
  UnwoundThread unwound = session.unwinder()
                              ? session.unwinder()->Unwind(thread.tid, options.max_frames)
                              : WalkFramePointers(session.memory(), thread, options.max_frames);
  stack.stopped_because = unwound.stopped_because;
  for (auto& native : unwound.frames) {
    StackFrameRow row{stack.frames.size(), std::move(native), {}};
    if (MaybeV8Code(row.native) && row.native.fp != 0)
      row.v8 = decoder.Decode(row.native.fp, options.max_arguments);
    if (row.v8.kind == v8::V8Frame::Kind::kJavaScript) ++stack.js_frames;
    stack.frames.push_back(std::move(row));
  }
  return stack;
}

StackResult RunStack(Session& session, const StackOptions& options) {
  StackResult result;
  result.signal = session.facts().signal;
  result.warnings = session.Warnings();
  result.unwinder = session.unwinder() ? "native unwinder" : "frame pointers";
  const auto& threads = session.facts().threads;
  if (threads.empty()) throw Error("the target has no threads", ExitCode::kBadInput);
  if (options.thread > threads.size())
    throw Error("no thread " + std::to_string(options.thread) + " (the target has " +
                    std::to_string(threads.size()) + ")",
                ExitCode::kUsage);
  IsolateDecoders decoders(session);
  for (size_t i = 0; i < threads.size(); ++i) {
    bool wanted = options.all || (options.thread ? options.thread == i + 1 : i == 0);
    if (!wanted) continue;
    auto [isolate, decoder] = decoders.For(threads[i].tid);
    result.threads.push_back(UnwindThread(session, decoder, threads[i], i + 1, options));
    result.threads.back().isolate = isolate;
  }
  // The thread that dumped is the first; if it died throwing, find what it threw.
  if (!result.threads.empty() && result.threads.front().number == 1) {
    const ThreadStack& dumping = result.threads.front();
    if (IsThrowing(dumping))
      result.exception =
          FindThrownError(session.memory(), decoders.For(dumping.tid).second, dumping);
    result.fatal_function = FatalFunction(dumping);
    if (!result.fatal_function.empty() && !dumping.frames.empty())
      result.fatal_messages = FatalMessages(session, dumping);
  }
  return result;
}

SourceResult RunSource(Session& session, const SourceOptions& options) {
  const auto& threads = session.facts().threads;
  size_t number = options.thread ? options.thread : 1;
  if (number > threads.size())
    throw Error("no thread " + std::to_string(number) + " (the target has " +
                    std::to_string(threads.size()) + ")",
                ExitCode::kUsage);
  IsolateDecoders decoders(session);
  v8::FrameDecoder& decoder = decoders.For(threads[number - 1].tid).second;
  StackOptions stack_options;
  stack_options.max_arguments = 0;
  ThreadStack stack = UnwindThread(session, decoder, threads[number - 1], number, stack_options);
  SourceResult result;
  result.thread = number;
  for (size_t i = options.frame; i < stack.frames.size(); ++i) {
    const auto& frame = stack.frames[i].v8;
    if (frame.kind != v8::V8Frame::Kind::kJavaScript) continue;
    if (i != options.frame)
      result.note = "frame #" + std::to_string(options.frame) + " is not a JavaScript frame; " +
                    "showing #" + std::to_string(i);
    result.frame = i;
    result.function = frame.function_name;
    result.location = frame.location;
    auto shared = decoder.values().namer().SharedOf(frame.function - 1);
    auto script = shared ? decoder.scripts().ScriptOf(*shared) : std::nullopt;
    if (script && frame.location.line > 0) {
      int first = std::max(1, frame.location.line - options.context);
      result.lines = decoder.scripts().Lines(*script, first, 2 * options.context + 1);
    }
    return result;
  }
  throw Error("thread " + std::to_string(number) + " has no JavaScript frame at or after #" +
                  std::to_string(options.frame),
              ExitCode::kBadInput);
}

}  // namespace mortem

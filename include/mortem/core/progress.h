// Purpose: progress on stderr for steps that take longer than about a second (walking a big
// heap, building the heap graph, ...): "mortem: building the heap graph ..." after a second,
// then "done in 3.2 s". Off unless the frontend enables it (the CLI: stderr is a terminal and
// no --quiet), so scripts and JSON consumers never see it. With MORTEM_TRACE=1 in the environment,
// TracePhase prints the time since start, the resident and peak memory at named points (for
// benchmarks).
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace mortem {

class ProgressStep {
 public:
  explicit ProgressStep(std::string what);
  ~ProgressStep();
  ProgressStep(const ProgressStep&) = delete;
  ProgressStep& operator=(const ProgressStep&) = delete;

  static void Enable(bool enabled);
  static bool enabled();

 private:
  std::string what_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false, announced_ = false;
  std::thread watcher_;
};

// "mortem-trace: 3.21 s  rss 812 MB  peak 830 MB  <what>" on stderr when MORTEM_TRACE is set.
void TracePhase(const char* what);

}  // namespace mortem

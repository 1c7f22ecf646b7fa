#include "mortem/core/progress.h"

#include <atomic>
#include <cstdio>

namespace mortem {
namespace {
std::atomic<bool> g_enabled{false};
std::mutex g_print;  // one line at a time from nested steps
constexpr auto kQuietFor = std::chrono::seconds(1);
}  // namespace

void ProgressStep::Enable(bool enabled) {
  g_enabled = enabled;
}
bool ProgressStep::enabled() {
  return g_enabled;
}

ProgressStep::ProgressStep(std::string what)
    : what_(std::move(what)), start_(std::chrono::steady_clock::now()) {
  if (!g_enabled) return;
  watcher_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    if (done_cv_.wait_for(lock, kQuietFor, [this] { return done_; })) return;
    announced_ = true;
    std::lock_guard print(g_print);
    std::fprintf(stderr, "mortem: %s ...\n", what_.c_str());
  });
}

ProgressStep::~ProgressStep() {
  if (!watcher_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  done_cv_.notify_all();
  watcher_.join();
  if (!announced_) return;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::lock_guard print(g_print);
  std::fprintf(stderr, "mortem: %s done in %.1f s\n", what_.c_str(), seconds);
}

}  // namespace mortem

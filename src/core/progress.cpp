#include "mortem/core/progress.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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

namespace {
// VmRSS and VmHWM of /proc/self/status, in kB.
std::pair<long, long> ResidentKb() {
  long rss = 0, peak = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      if (std::strncmp(line, "VmRSS:", 6) == 0) rss = std::atol(line + 6);
      if (std::strncmp(line, "VmHWM:", 6) == 0) peak = std::atol(line + 6);
    }
    std::fclose(f);
  }
  return {rss, peak};
}
}  // namespace

void TracePhase(const char* what) {
  static const bool enabled = std::getenv("MORTEM_TRACE") != nullptr;
  static const auto start = std::chrono::steady_clock::now();
  if (!enabled) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto [rss, peak] = ResidentKb();
  std::lock_guard<std::mutex> guard(g_print);
  std::fprintf(stderr, "mortem-trace: %7.2f s  rss %6ld MB  peak %6ld MB  %s\n", seconds,
               rss / 1024, peak / 1024, what);
}

}  // namespace mortem

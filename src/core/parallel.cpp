#include "mortem/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace mortem {
namespace {

// The shared cursor and the first failure of one RunWorkers call.
class WorkQueue {
 public:
  explicit WorkQueue(size_t n) : n_(n) {}

  bool Next(size_t& item) {
    if (stop_.load(std::memory_order_relaxed)) return false;
    item = cursor_.fetch_add(1, std::memory_order_relaxed);
    return item < n_;
  }
  // Records the exception in flight (the first one wins) and stops handing out items.
  void Fail() {
    std::lock_guard lock(mutex_);
    if (!first_) first_ = std::current_exception();
    stop_ = true;
  }
  void RethrowFirst() const {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  const size_t n_;
  std::atomic<size_t> cursor_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::exception_ptr first_;
};

}  // namespace

void RunWorkers(size_t n, unsigned threads,
                const std::function<void(unsigned worker, const NextItem& next)>& body) {
  if (n == 0) return;
  WorkQueue queue(n);
  const NextItem next = [&queue](size_t& item) { return queue.Next(item); };
  auto run = [&](unsigned worker) {
    try {
      body(worker, next);
    } catch (...) {
      queue.Fail();
    }
  };
  const auto count = static_cast<unsigned>(std::clamp<size_t>(threads, 1, n));
  std::vector<std::thread> workers;
  workers.reserve(count - 1);
  try {
    for (unsigned w = 1; w < count; ++w) workers.emplace_back(run, w);
  } catch (const std::system_error&) {
    // The system gave fewer threads than asked: those started and the caller do every item.
  }
  run(0);
  for (auto& w : workers) w.join();
  queue.RethrowFirst();
}

}  // namespace mortem

// Unit tests of ParallelFor: every item is handed out exactly once to workers numbered below the
// thread count, and an exception thrown on a worker thread stops the hand-out and reaches the
// caller (same type and message) only after every worker has finished.
#include "mortem/core/parallel.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "mortem/core/error.h"

namespace {

// Items that take long enough for the other workers to be running when one of them throws.
void SlowItem() {
  std::this_thread::sleep_for(std::chrono::microseconds(200));
}

}  // namespace

TEST_CASE("ParallelFor visits every item once, on workers below the thread count") {
  constexpr size_t kItems = 10000;
  std::vector<std::atomic<int>> visits(kItems);
  std::atomic<bool> bad_worker{false};
  mortem::ParallelFor(kItems, 4, [&](unsigned worker, size_t item) {
    if (worker >= 4) bad_worker = true;
    visits[item].fetch_add(1);
  });
  CHECK_FALSE(bad_worker.load());
  size_t once = 0;
  for (const auto& v : visits) once += v.load() == 1;
  CHECK(once == kItems);
  size_t none = 0;
  mortem::ParallelFor(0, 4, [&](unsigned, size_t) { ++none; });
  CHECK(none == 0);
}

TEST_CASE("ParallelFor gives each worker its own state") {
  std::atomic<int> states{0};
  std::atomic<size_t> items{0};
  mortem::ParallelFor(
      1000, 3, [&](unsigned) { return ++states; }, [&](int&, size_t) { ++items; });
  CHECK(states.load() >= 1);
  CHECK(states.load() <= 3);
  CHECK(items.load() == 1000);
}

TEST_CASE("an exception in a worker thread is rethrown on the caller and stops all work") {
  constexpr size_t kItems = 100000;
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> thrown{false};
  std::atomic<size_t> started{0};
  std::atomic<int> running{0};
  bool caught = false;
  try {
    mortem::ParallelFor(kItems, 4, [&](unsigned, size_t) {
      ++started;
      ++running;
      if (std::this_thread::get_id() != caller && !thrown.exchange(true)) {
        --running;
        throw mortem::Error("worker failed", mortem::ExitCode::kPartial);
      }
      // However late the workers start on a busy machine, the caller waits for the throw.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!thrown && std::chrono::steady_clock::now() < give_up) SlowItem();
      SlowItem();
      --running;
    });
  } catch (const mortem::Error& e) {
    caught = true;
    CHECK(std::string(e.what()) == "worker failed");
    CHECK(e.code() == mortem::ExitCode::kPartial);
    CHECK(running.load() == 0);  // every worker joined before the rethrow
  }
  CHECK(caught);
  CHECK(thrown.load());
  // Without the stop, all 100,000 items would run; with it, each worker ends its current item.
  CHECK(started.load() < 1000);
}

TEST_CASE("an exception on the calling thread stops the workers too") {
  std::atomic<size_t> started{0};
  CHECK_THROWS_AS(mortem::ParallelFor(100000, 3,
                                      [&](unsigned worker, size_t) {
                                        ++started;
                                        if (worker == 0) throw std::bad_alloc();
                                        SlowItem();
                                      }),
                  std::bad_alloc);
  CHECK(started.load() < 1000);
}

TEST_CASE("on one thread, no item after the failing one starts") {
  std::vector<size_t> seen;
  CHECK_THROWS_AS(mortem::ParallelFor(100, 1,
                                      [&](unsigned, size_t item) {
                                        seen.push_back(item);
                                        if (item == 5) throw std::runtime_error("item 5");
                                      }),
                  std::runtime_error);
  CHECK(seen == std::vector<size_t>{0, 1, 2, 3, 4, 5});
}

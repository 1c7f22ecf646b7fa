// Purpose: the one worker pool of mortem. ParallelFor hands the items 0..n-1 out from an atomic
// cursor to up to `threads` threads, the calling thread among them. The first exception a worker
// throws stops the hand-out; after every worker has joined it is rethrown on the calling thread,
// so a bad_alloc or an Error inside a worker ends one command, never the host process.
#pragma once
#include <cstddef>
#include <functional>

namespace mortem {

// Gives a worker its next item (true) or says that none is left or a worker failed (false).
using NextItem = std::function<bool(size_t& item)>;

// Runs body(worker, next) once on each of min(threads, n) threads (at least one; worker 0 is the
// calling thread); body draws items with next. Rethrows the first exception of any body.
void RunWorkers(size_t n, unsigned threads,
                const std::function<void(unsigned worker, const NextItem& next)>& body);

// work(worker, item) for every item in [0, n), each exactly once unless a worker throws.
template <typename Work>
void ParallelFor(size_t n, unsigned threads, Work&& work) {
  RunWorkers(n, threads, [&](unsigned worker, const NextItem& next) {
    for (size_t item; next(item);) work(worker, item);
  });
}

// The same with per-worker state: state = make_state(worker) once per worker, then
// work(state, item) for the items that worker draws.
template <typename MakeState, typename Work>
void ParallelFor(size_t n, unsigned threads, MakeState&& make_state, Work&& work) {
  RunWorkers(n, threads, [&](unsigned worker, const NextItem& next) {
    auto state = make_state(worker);
    for (size_t item; next(item);) work(state, item);
  });
}

}  // namespace mortem

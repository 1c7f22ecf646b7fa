#include "mortem/v8/live_marker.h"

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <utility>

#include "mortem/core/parallel.h"
#include "mortem/v8/graph.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

constexpr size_t kRootChunk = 4096;

struct Work {
  Address address = 0;
  NodeId id = 0;
};

// Chunks of work that a busy marker gives away and an idle one takes. Marking ends when every
// marker that started waits and no chunk is left (or one of them failed). A marker that never
// started (the system gave fewer threads) held no work, so it is not waited for.
class WorkPool {
 public:
  void Register() {
    std::lock_guard lock(mutex_);
    ++markers_;
  }

  void Give(std::vector<Work>&& chunk) {
    std::lock_guard lock(mutex_);
    chunks_.push_back(std::move(chunk));
    wake_.notify_one();
  }
  // A chunk into `out`, waiting for one while another marker still works; false at the end.
  bool Take(std::vector<Work>& out) {
    std::unique_lock lock(mutex_);
    ++idle_;
    while (chunks_.empty() && !done_) {
      if (idle_ == markers_) {
        done_ = true;
        wake_.notify_all();
        break;
      }
      wake_.wait(lock);
    }
    if (chunks_.empty()) return false;
    --idle_;
    out = std::move(chunks_.back());
    chunks_.pop_back();
    return true;
  }
  bool SomeoneIdle() const { return idle_markers_hint_.load(std::memory_order_relaxed); }
  void Stop() {
    std::lock_guard lock(mutex_);
    done_ = true;
    chunks_.clear();
    wake_.notify_all();
  }
  void UpdateHint() {
    std::lock_guard lock(mutex_);
    idle_markers_hint_.store(idle_ > 0, std::memory_order_relaxed);
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::vector<Work>> chunks_;
  unsigned markers_ = 0;
  unsigned idle_ = 0;
  bool done_ = false;
  std::atomic<bool> idle_markers_hint_{false};
};

// One marker thread: its stack, its map cache and its share of the totals.
class Marker {
 public:
  Marker(const Memory& memory, const Layout& layout, const ObjectIndex& index, LiveSet& live,
         WorkPool& pool)
      : memory_(memory),
        layout_(layout),
        index_(index),
        live_(live),
        pool_(pool),
        maps_(memory, layout) {}

  void Run() {
    constexpr size_t kShareAbove = 4096;
    uint64_t steps = 0;
    for (;;) {
      if (stack_.empty() && !pool_.Take(stack_)) return;
      const Work w = stack_.back();
      stack_.pop_back();
      Visit(w);
      if ((++steps & 1023) == 0) pool_.UpdateHint();
      if (stack_.size() > kShareAbove && pool_.SomeoneIdle()) Share();
    }
  }
  void Push(NodeId id, Address address) {
    if (!live_.Mark(id)) return;
    ++objects, bytes += index_.object_size(id);
    if (!index_.InReadOnlySpace(id)) stack_.push_back(Work{address, id});
  }
  std::vector<Work>& stack() { return stack_; }
  uint64_t objects = 0, bytes = 0;

 private:
  // The object's references, as the heap graph takes them (the map word included; cleared weak
  // slots and references to no object start left out).
  void Visit(const Work& w) {
    if (index_.Hollow(w.id)) return;  // a cache the next full GC empties: alive, holds nothing
    const uint32_t size = index_.object_size(w.id);
    std::span<const std::byte> body = memory_.View(w.address, size);
    if (body.size() < size) {  // across blocks of the implementation (a live process's cache)
      copy_.resize(size);
      body = {copy_.data(), memory_.Read(w.address, copy_.data(), size)};
    }
    const auto map_word = ObjectBytes(body).Field(0);
    const MapInfo* map =
        map_word && map_word->IsStrong() ? maps_.Get(map_word->address()) : nullptr;
    if (!map) return;
    const HeapObject object{.address = w.address, .map = map, .size = size, .body = body};
    ForEachTaggedSlot(layout_, object, [&](uint32_t, uint64_t value) {
      if (Tagged(value).IsCleared()) return;
      const Address target = Tagged(value).address();
      if (auto id = index_.Find(target)) Push(*id, target);
    });
  }
  void Share() {
    const size_t half = stack_.size() / 2;
    std::vector<Work> chunk(stack_.begin(), stack_.begin() + half);
    stack_.erase(stack_.begin(), stack_.begin() + half);
    pool_.Give(std::move(chunk));
  }

  const Memory& memory_;
  const Layout& layout_;
  const ObjectIndex& index_;
  LiveSet& live_;
  WorkPool& pool_;
  MapCache maps_;
  std::vector<Work> stack_;
  std::vector<std::byte> copy_;  // an object's bytes when no view holds them whole
};

}  // namespace

LiveSet MarkLive(const Memory& memory, const Layout& layout, const ObjectIndex& index,
                 std::span<const NodeId> roots, unsigned threads) {
  LiveSet live(index.size());
  threads = std::max(1u, threads);
  WorkPool pool;
  // Read-only space whole, then the roots, handed out in chunks.
  Marker seeder(memory, layout, index, live, pool);
  for (const auto& [first, end] : index.read_only_ranges())
    for (NodeId id = first; id < end; ++id)
      if (live.Mark(id)) ++seeder.objects, seeder.bytes += index.object_size(id);
  for (NodeId id : roots) {
    if (id < index.size()) seeder.Push(id, index.address(id));
    if (seeder.stack().size() >= kRootChunk) pool.Give(std::exchange(seeder.stack(), {}));
  }
  if (!seeder.stack().empty()) pool.Give(std::exchange(seeder.stack(), {}));
  std::vector<uint64_t> objects(threads), bytes(threads);
  RunWorkers(threads, threads, [&](unsigned worker, const NextItem&) {
    pool.Register();
    Marker marker(memory, layout, index, live, pool);
    try {
      marker.Run();
    } catch (...) {
      pool.Stop();
      throw;
    }
    objects[worker] = marker.objects;
    bytes[worker] = marker.bytes;
  });
  live.objects = seeder.objects, live.bytes = seeder.bytes;
  for (unsigned t = 0; t < threads; ++t) live.objects += objects[t], live.bytes += bytes[t];
  return live;
}

}  // namespace mortem::v8

#include "mortem/analysis/session.h"

#include <algorithm>

#include "mortem/analysis/graph_state.h"
#include "mortem/analysis/liveness.h"
#include "mortem/core/error.h"
#include "mortem/core/progress.h"
#include "mortem/core/text.h"
#include "mortem/v8/node_environment.h"

namespace mortem {

Session::Session(const Memory& memory, const SymbolTable& symbols, ProcessFacts facts)
    : memory_(memory),
      symbols_(symbols),
      facts_(std::move(facts)),
      threads_(v8::HeapWalker::DefaultThreads()) {}

const v8::Layout& Session::layout() {
  if (!layout_) {
    layout_ = v8::LoadLayout(memory_, symbols_);
    TracePhase("layout");
  }
  return *layout_;
}

namespace {

// The OS thread that runs each isolate. V8 sets an isolate's JS stack limit, for the thread that
// entered it, a fixed size (--stack-size) below that thread's stack position at entry: inside the
// thread's stack mapping, or below it for the main thread, whose [stack] mapping grows only as
// far as it was touched. Each isolate takes the thread whose stack pointer lies closest above its
// limit, and a thread runs one isolate.
std::vector<int> MatchThreads(const std::vector<uint64_t>& limits,
                              const std::vector<ThreadInfo>& threads, int pid,
                              const Memory& memory) {
  constexpr uint64_t kMaxDistance = uint64_t{64} << 20;
  const auto regions = memory.Regions();
  auto region_of = [&](uint64_t a) -> const Region* {
    for (const auto& r : regions)
      if (a >= r.start && a < r.end) return &r;
    return nullptr;
  };
  struct Pair {
    uint64_t distance;
    size_t isolate, thread;
  };
  std::vector<Pair> pairs;
  for (size_t i = 0; i < limits.size(); ++i) {
    if (limits[i] == 0) continue;
    const Region* limit_region = region_of(limits[i]);
    for (size_t t = 0; t < threads.size(); ++t) {
      const uint64_t sp = threads[t].sp;
      if (sp <= limits[i] || sp - limits[i] > kMaxDistance) continue;
      const Region* stack = region_of(sp);
      bool same_stack = stack && limit_region == stack;
      bool main_below = threads[t].tid == pid && (!limit_region || limit_region->end <= sp);
      if (same_stack || main_below) pairs.push_back({sp - limits[i], i, t});
    }
  }
  std::sort(pairs.begin(), pairs.end(),
            [](const Pair& a, const Pair& b) { return a.distance < b.distance; });
  std::vector<int> tid(limits.size(), 0);
  std::vector<bool> taken(threads.size(), false);
  for (const auto& p : pairs) {
    if (tid[p.isolate] != 0 || taken[p.thread]) continue;
    tid[p.isolate] = threads[p.thread].tid;
    taken[p.thread] = true;
  }
  return tid;
}

}  // namespace

void Session::DiscoverIsolates() {
  if (discovered_) return;
  auto found = v8::Heap::DiscoverAll(memory_, layout());
  discovered_ = true;
  for (const auto& b : found.broken) broken_.push_back(BrokenIsolate{b.heap, b.pages, b.reason});
  std::vector<uint64_t> limits;
  for (const auto& h : found.heaps) limits.push_back(h.StackLimit());
  const auto tids = MatchThreads(limits, facts_.threads, facts_.pid, memory_);
  std::vector<size_t> order(found.heaps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  // The main thread's isolate first, then by OS thread id; unmatched isolates last.
  auto rank = [&](size_t i) {
    bool main = tids[i] != 0 && tids[i] == facts_.pid;
    return std::make_tuple(main ? 0 : tids[i] != 0 ? 1 : 2, tids[i], found.heaps[i].heap_address());
  };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rank(a) < rank(b); });
  for (size_t i : order) {
    IsolateInfo info;
    info.index = isolates_.size();
    info.isolate = found.heaps[i].isolate_address();
    info.heap = found.heaps[i].heap_address();
    info.tid = tids[i];
    for (const auto& t : facts_.threads)
      if (t.tid == tids[i] && tids[i] != 0) info.thread_name = t.name;
    info.main_thread = tids[i] != 0 && tids[i] == facts_.pid;
    info.stack_limit = limits[i];
    isolates_.push_back(info);
    per_isolate_.emplace_back();
    per_isolate_.back().heap.emplace(std::move(found.heaps[i]));
  }
  TracePhase("heaps discovered");
}

const std::vector<IsolateInfo>& Session::isolates() {
  DiscoverIsolates();
  return isolates_;
}

const std::vector<BrokenIsolate>& Session::broken_isolates() {
  DiscoverIsolates();
  return broken_;
}

void Session::SelectIsolate(size_t index) {
  DiscoverIsolates();
  if (index >= isolates_.size())
    throw Error("no isolate " + std::to_string(index) + ": the process has " +
                    std::to_string(isolates_.size()) + " (0 to " +
                    std::to_string(isolates_.size() - 1) + "; see `info`)",
                ExitCode::kUsage);
  selected_ = index;
}

const IsolateInfo& Session::isolate() {
  DiscoverIsolates();
  return isolates_.at(selected_);
}

Session::PerIsolate& Session::current() {
  DiscoverIsolates();
  return per_isolate_.at(selected_);
}

std::optional<size_t> Session::IsolateOf(Address address) {
  DiscoverIsolates();
  for (size_t i = 0; i < per_isolate_.size(); ++i)
    if (const v8::Page* p = per_isolate_[i].heap->PageAt(address); p && !p->read_only) return i;
  return std::nullopt;
}

const v8::Heap& Session::heap() {
  return *current().heap;
}

bool Session::has_census() const {
  return selected_ < per_isolate_.size() && per_isolate_[selected_].census.has_value();
}

std::vector<std::string> Session::Warnings() {
  std::vector<std::string> out = facts_.warnings;
  for (const auto& b : broken_)
    out.push_back("an isolate's heap (Heap " + Hex(b.heap) + ", " + std::to_string(b.pages) +
                  " pages) could not be read: " + b.reason);
  if (!discovered_ || selected_ >= per_isolate_.size()) return out;
  const PerIsolate& here = per_isolate_[selected_];
  for (const auto& w : here.heap->warnings()) out.push_back(w);
  const auto& graph_ = here.graph;
  if (graph_ && graph_->index.skipped_bytes() > 0)
    out.push_back("the heap graph leaves out " + std::to_string(graph_->index.skipped_bytes()) +
                  " bytes of heap pages that could not be parsed or read");
  if (graph_ && graph_->dangling > 0)
    out.push_back(std::to_string(graph_->dangling) +
                  " references point into the heap but at no object start (corrupt or stale "
                  "memory): left out of the graph");
  return out;
}

std::vector<std::string> Session::DamageOf(const PerIsolate& here) {
  std::vector<std::string> out;
  if (!here.heap) return out;
  if (const size_t scanned = here.heap->page_origin().scanned_spaces)
    out.push_back(std::to_string(scanned) +
                  (scanned == 1 ? " space's page list is damaged: its pages"
                                : " spaces' page lists are damaged: their pages") +
                  " come from the page-header scan");
  if (const size_t recovered = here.heap->page_origin().recovered_spaces)
    out.push_back(std::to_string(recovered) +
                  (recovered == 1
                       ? " space's page list is damaged at a link: its pages follow"
                       : " spaces' page lists are damaged at a link: their pages follow") +
                  " the links the other way");
  uint64_t skipped = here.environments_skipped_bytes;
  for (const auto* census : {&here.census, &here.live_census})
    if (*census) skipped = std::max(skipped, (*census)->walk.total.skipped_bytes);
  if (here.liveness) skipped = std::max(skipped, here.liveness->index().skipped_bytes());
  if (here.graph) skipped = std::max(skipped, here.graph->index.skipped_bytes());
  if (skipped > 0)
    out.push_back(std::to_string(skipped) + " bytes of heap pages could not be parsed");
  return out;
}

std::vector<std::string> Session::HeapDamage() {
  if (!discovered_ || selected_ >= per_isolate_.size()) return {};
  return DamageOf(per_isolate_[selected_]);
}

std::vector<std::string> Session::HeapDamageOfAll() {
  std::vector<std::string> out;
  if (!discovered_) return out;
  for (size_t i = 0; i < per_isolate_.size(); ++i)
    for (auto& d : DamageOf(per_isolate_[i]))
      out.push_back(per_isolate_.size() > 1 ? "isolate " + std::to_string(i) + ": " + d
                                            : std::move(d));
  return out;
}

const Liveness& Session::liveness() {
  PerIsolate& here = current();
  if (!here.liveness) {
    if (here.graph) {
      here.liveness = std::make_shared<Liveness>(Liveness::FromGraph(here.graph));
    } else {
      ProgressStep step("marking the objects the roots reach");
      here.liveness = std::make_shared<Liveness>(Liveness::Mark(*this));
    }
  }
  return *here.liveness;
}

const std::set<Address>& Session::environments() {
  PerIsolate& here = current();
  if (!here.environments)
    here.environments =
        v8::FindEnvironments(memory_, layout(), heap(), threads_, &here.environments_skipped_bytes);
  return *here.environments;
}

const Census& Session::live_census() {
  PerIsolate& here = current();
  if (!here.live_census) {
    const Liveness& live = liveness();
    ProgressStep step("walking the live heap");
    here.live_census = TakeCensus(*this, [&](Address a) { return live.IsLive(a); });
  }
  return *here.live_census;
}

const GraphState& Session::graph() {
  PerIsolate& here = current();
  if (!here.graph) {
    ProgressStep step("building the heap graph and its roots");
    here.graph = std::make_shared<GraphState>(BuildGraphState(*this));
  }
  return *here.graph;
}

const v8::DominatorTree& Session::dominators() {
  PerIsolate& here = current();
  if (!here.dominators) {
    graph();
    ProgressStep step("computing dominators and retained sizes");
    here.dominators = std::make_shared<v8::DominatorTree>(BuildDominators(*here.graph));
    TracePhase("dominators");
  }
  return *here.dominators;
}

v8::MapCache& Session::maps() {
  PerIsolate& here = current();
  if (!here.maps) here.maps.emplace(memory_, layout());
  return *here.maps;
}

const Census& Session::census() {
  PerIsolate& here = current();
  if (!here.census) {
    ProgressStep step("walking the heap");
    here.census = TakeCensus(*this);
  }
  return *here.census;
}

}  // namespace mortem

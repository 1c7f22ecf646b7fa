#include "mortem/analysis/session.h"

#include "mortem/analysis/graph_state.h"
#include "mortem/core/progress.h"

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

const v8::Heap& Session::heap() {
  if (!heap_) {
    heap_ = v8::Heap::Discover(memory_, layout());
    TracePhase("heap discovered");
  }
  return *heap_;
}

std::vector<std::string> Session::Warnings() {
  std::vector<std::string> out = facts_.warnings;
  if (heap_)
    for (const auto& w : heap_->warnings()) out.push_back(w);
  if (graph_ && graph_->index.skipped_bytes() > 0)
    out.push_back("the heap graph leaves out " + std::to_string(graph_->index.skipped_bytes()) +
                  " bytes of heap pages that could not be parsed or read");
  if (graph_ && graph_->dangling > 0)
    out.push_back(std::to_string(graph_->dangling) +
                  " references point into the heap but at no object start (corrupt or stale "
                  "memory): left out of the graph");
  return out;
}

const GraphState& Session::graph() {
  if (!graph_) {
    ProgressStep step("building the heap graph and its roots");
    graph_ = std::make_shared<GraphState>(BuildGraphState(*this));
  }
  return *graph_;
}

const v8::DominatorTree& Session::dominators() {
  if (!dominators_) {
    graph();
    ProgressStep step("computing dominators and retained sizes");
    dominators_ = std::make_shared<v8::DominatorTree>(BuildDominators(*graph_));
    TracePhase("dominators");
  }
  return *dominators_;
}

v8::MapCache& Session::maps() {
  if (!maps_) maps_.emplace(memory_, layout());
  return *maps_;
}

const Census& Session::census() {
  if (!census_) {
    ProgressStep step("walking the heap");
    census_ = TakeCensus(*this);
  }
  return *census_;
}

}  // namespace mortem

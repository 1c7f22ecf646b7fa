#include "mortem/analysis/liveness.h"

#include "mortem/analysis/graph_state.h"
#include "mortem/core/progress.h"

namespace mortem {

const v8::ObjectIndex& Liveness::index() const {
  return own_index_ ? *own_index_ : graph_->index;
}

Liveness Liveness::FromGraph(std::shared_ptr<const GraphState> graph) {
  Liveness l;
  l.graph_ = std::move(graph);
  const v8::ObjectIndex& index = l.index();
  l.live_ = v8::LiveSet(index.size());
  for (v8::NodeId id = 0; id < index.size(); ++id) {
    if (!l.graph_->ReachableWithWeak(id) && !index.InReadOnlySpace(id)) continue;
    l.live_.Mark(id);
    ++l.live_.objects;
    l.live_.bytes += index.object_size(id);
  }
  return l;
}

Liveness Liveness::Mark(Session& session) {
  Liveness l;
  l.own_index_ =
      v8::ObjectIndex::Build(session.memory(), session.layout(), session.heap(), session.threads());
  TracePhase("object index");
  const RootSet roots = FindRoots(session, *l.own_index_);
  l.own_index_->SetHollow(roots.hollow);
  TracePhase("roots");
  const std::vector<v8::NodeId> from = RootNodes(roots, true);
  l.live_ =
      v8::MarkLive(session.memory(), session.layout(), *l.own_index_, from, session.threads());
  TracePhase("marking");
  return l;
}

}  // namespace mortem

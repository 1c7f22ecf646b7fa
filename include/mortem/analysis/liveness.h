// Purpose: which objects of the selected isolate are alive, as V8's heap snapshot judges it:
// what the roots reach over strong and weak references, read-only space whole. Taken from the
// heap graph when the session already has one; otherwise marked straight from the core (an
// object index, the roots and one bit per object: no edges). Objects outside it are garbage the
// GC has not collected yet (or kept by a root mortem cannot locate: see roots.h).
#pragma once
#include <memory>
#include <optional>

#include "mortem/analysis/roots.h"
#include "mortem/v8/live_marker.h"

namespace mortem {

struct GraphState;

class Liveness {
 public:
  static Liveness FromGraph(std::shared_ptr<const GraphState> graph);
  static Liveness Mark(Session& session);

  const v8::ObjectIndex& index() const;
  bool IsLive(Address object) const {
    auto id = index().Find(object);
    return id && live_.Contains(*id);
  }
  bool IsLive(v8::NodeId id) const { return live_.Contains(id); }

 private:
  std::shared_ptr<const GraphState> graph_;  // owns the index when taken from the graph
  std::optional<v8::ObjectIndex> own_index_;
  v8::LiveSet live_;
};

}  // namespace mortem

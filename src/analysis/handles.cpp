#include "mortem/analysis/handles.h"

#include <algorithm>

#include "mortem/v8/node_environment.h"
#include "mortem/v8/node_wraps.h"
#include "mortem/v8/values.h"

namespace mortem {
namespace {

ActiveWrap Describe(Session& session, v8::ValueReader& values, Address wrap) {
  ActiveWrap out;
  out.wrap = wrap;
  out.type = out.js_class = "(no JS object)";
  const auto tagged = v8::WrapObjectValue(session.memory(), session.layout(), wrap);
  const v8::MapInfo* map = tagged ? values.namer().MapOf(*tagged) : nullptr;
  if (!map) return out;
  out.object = *tagged - 1;
  out.type = out.js_class = values.namer().Label(out.object, *map, false).name;
  out.preview = values.Preview(*tagged, 160);
  return out;
}

// Names a described wrap as Node does; the JS class stands in for an unknown C++ class.
void Name(v8::NodeWrapNamer& namer, ActiveWrap& wrap, bool is_handle) {
  v8::WrapNames names = namer.Name(wrap.wrap, wrap.object, is_handle);
  wrap.provider = names.provider;
  if (!names.type.empty()) wrap.type = names.type;
  if (is_handle) wrap.refed = names.refed.value_or(true);
  wrap.owner = !wrap.object ? "" : is_handle ? names.owner : wrap.js_class;
}

// Describes and names every wrap; the provider field is found from all of them at once.
void NameWraps(Session& session, v8::ValueReader& values, const std::vector<Address>& handles,
               const std::vector<Address>& requests, HandlesResult& result) {
  v8::NodeWrapNamer namer(session.memory(), session.layout(), session.symbols(), values.namer());
  std::vector<Address> all(handles);
  all.insert(all.end(), requests.begin(), requests.end());
  namer.Prepare(all);
  for (Address wrap : handles) {
    result.handles.push_back(Describe(session, values, wrap));
    Name(namer, result.handles.back(), true);
    ++result.handle_counts[result.handles.back().type];
  }
  for (Address wrap : requests) {
    result.requests.push_back(Describe(session, values, wrap));
    Name(namer, result.requests.back(), false);
    ++result.request_counts[result.requests.back().type];
  }
}

// process.getActiveResourcesInfo(): every request, the refed handles, timers and immediates.
void CountResources(HandlesResult& result) {
  for (const auto& w : result.requests) ++result.resource_counts[w.type];
  for (const auto& w : result.handles)
    if (w.refed) ++result.resource_counts[w.type];
  for (const auto* list : {&result.timers, &result.immediates})
    for (const auto& t : *list)
      if (t.refed && !t.destroyed) ++result.resource_counts[t.kind];
}

}  // namespace

HandlesResult RunHandles(Session& session, const HandlesOptions& options) {
  HandlesResult result;
  result.listed_handles = options.handles;
  result.listed_requests = options.requests;
  result.warnings = session.Warnings();
  const auto& layout = session.layout();
  if (!v8::HasWrapQueueLayout(layout)) {
    result.warnings.push_back(
        "the binary lacks Node's nodedbg_* debug constants; handles and requests unknown");
    return result;
  }
  const auto& environments = session.environments();
  result.environments.assign(environments.begin(), environments.end());
  if (result.environments.empty())
    result.warnings.push_back("no native context holds a Node Environment");
  v8::ValueReader values(session.memory(), layout, session.heap());
  const v8::WrapQueues queues =
      v8::ReadWrapQueues(session.memory(), layout, result.environments, options.handles,
                         options.requests, options.max_per_queue);
  result.truncated = queues.truncated;
  NameWraps(session, values, queues.handles, queues.requests, result);
  if (options.timers) FindJsTimers(session, options.max_per_queue, result);
  result.listed_timers = options.timers;
  CountResources(result);
  if (result.truncated) result.warnings.push_back("a handle or request queue was cut short");
  result.partial = result.environments.empty() || result.truncated;
  return result;
}

}  // namespace mortem

#include "mortem/analysis/info.h"

#include <map>
#include <mutex>
#include <set>

#include "mortem/core/progress.h"
#include "mortem/v8/node_environment.h"
#include "mortem/v8/walker.h"

namespace mortem {

WalkSummary SummariseWalk(Session& session, const v8::WalkResult& walk) {
  WalkSummary s;
  const auto& t = walk.total;
  s.objects = t.objects;
  s.object_bytes = t.object_bytes;
  s.filler_bytes = t.filler_bytes;
  s.unused_bytes = t.unused_bytes;
  s.skipped_bytes = t.skipped_bytes;
  s.unreadable_bytes = t.unreadable_bytes;
  s.resyncs = t.resyncs;
  s.moved_objects = t.moved_objects;
  s.moved_bytes = t.moved_bytes;
  s.dead_objects = t.dead_objects;
  s.dead_bytes = t.dead_bytes;
  s.lab_bytes = t.lab_bytes;
  const auto& pages = session.heap().pages();
  for (size_t i = 0; i < pages.size(); ++i) {
    const auto& p = walk.pages[i];
    if (p.first_problem.empty()) continue;
    s.problems.push_back(PageProblem{pages[i].start, session.heap().SpaceName(pages[i].space),
                                     p.first_problem, p.skipped_bytes + p.unreadable_bytes});
  }
  return s;
}

namespace {

// Node's threadId of the isolate: what its Environments hold at Environment::thread_id_, if they
// agree.
std::optional<uint64_t> ThreadIdOf(const Memory& memory, const v8::Layout& layout,
                                   const std::set<Address>& environments) {
  std::optional<uint64_t> id;
  for (Address env : environments) {
    auto v = v8::EnvironmentThreadId(memory, layout, env);
    if (!v || (id && *id != *v)) return std::nullopt;
    id = *v;
  }
  return id;
}

// A heap-walk visitor that adds the Environment of each native context it meets to environments.
auto EnvironmentCollector(Session& session, std::mutex& mutex, std::set<Address>& environments) {
  return [&session, &mutex, &environments](unsigned, const v8::HeapObject& o) {
    const auto& layout = session.layout();
    if (o.map->instance_type != layout.types.native_context) return;
    if (Address env = v8::EnvironmentOf(session.memory(), layout, o.address)) {
      std::lock_guard<std::mutex> lock(mutex);
      environments.insert(env);
    }
  };
}

// The selected isolate's heap per space, from the census's walk if one was taken (it visits the
// same pages), else a plain walk; and its Environments' threadId, from a walk.
IsolateHeapInfo DescribeIsolate(Session& session) {
  IsolateHeapInfo out;
  out.isolate = session.isolate();
  const auto& heap = session.heap();
  const auto& layout = session.layout();
  std::mutex mutex;
  std::set<Address> environments;
  auto visit = EnvironmentCollector(session, mutex, environments);
  v8::WalkResult walk;
  if (session.has_census()) {
    walk = session.census().walk;
    environments = v8::FindEnvironments(session.memory(), layout, heap);
  } else {
    v8::HeapWalker walker(session.memory(), layout, heap);
    ProgressStep step("walking the heap");
    walk = walker.WalkAll(session.threads(), visit);
  }
  out.node_thread_id = ThreadIdOf(session.memory(), layout, environments);
  std::map<int, SpaceInfo> spaces;
  for (size_t i = 0; i < heap.pages().size(); ++i) {
    const auto& page = heap.pages()[i];
    if (page.read_only && out.isolate.index != 0) continue;  // shared: isolate 0 counts it
    auto& s = spaces[page.space];
    s.name = heap.SpaceName(page.space);
    s.committed += page.size;
    s.used += walk.pages[i].object_bytes;
    s.objects += walk.pages[i].objects;
    s.pages += 1;
  }
  for (auto& [id, s] : spaces) out.spaces.push_back(s);
  out.walk = SummariseWalk(session, walk);
  return out;
}

// Node's threadIds are 0 for the main thread and distinct for the workers; a layout that reads
// anything else is not this release's.
bool ThreadIdsValid(const std::vector<std::pair<std::optional<uint64_t>, bool>>& id_and_main) {
  std::set<uint64_t> seen;
  bool valid = true;
  for (const auto& [id, main] : id_and_main)
    if (id) valid &= seen.insert(*id).second && *id < (uint64_t{1} << 32) && (*id == 0) == main;
  return valid;
}

// Otherwise all unknown.
void ValidateThreadIds(std::vector<IsolateHeapInfo>& isolates) {
  std::vector<std::pair<std::optional<uint64_t>, bool>> ids;
  for (const auto& i : isolates) ids.emplace_back(i.node_thread_id, i.isolate.main_thread);
  if (!ThreadIdsValid(ids))
    for (auto& i : isolates) i.node_thread_id.reset();
}

}  // namespace

InfoResult RunInfo(Session& session, bool all_isolates) {
  InfoResult r;
  const auto& layout = session.layout();
  r.node_version = layout.node_version;
  r.v8_version = layout.v8.ToString();
  r.process = session.facts();
  const size_t selected = session.selected_isolate();
  for (const auto& isolate : session.isolates()) {
    if (!all_isolates && isolate.index != selected) continue;
    session.SelectIsolate(isolate.index);
    r.isolates.push_back(DescribeIsolate(session));
  }
  session.SelectIsolate(selected);
  ValidateThreadIds(r.isolates);
  r.broken_isolates = session.broken_isolates();
  const IsolateHeapInfo& main = r.isolates.front();  // isolate 0, or the selected one
  r.isolate = main.isolate.isolate;
  r.heap = main.isolate.heap;
  r.spaces = main.spaces;
  r.walk = main.walk;
  r.warnings = session.Warnings();
  return r;
}

std::vector<std::optional<uint64_t>> NodeThreadIds(Session& session) {
  const size_t selected = session.selected_isolate();
  std::vector<std::pair<std::optional<uint64_t>, bool>> ids;
  for (const auto& isolate : session.isolates()) {
    session.SelectIsolate(isolate.index);
    ids.emplace_back(
        ThreadIdOf(session.memory(), session.layout(),
                   v8::FindEnvironments(session.memory(), session.layout(), session.heap())),
        isolate.main_thread);
  }
  session.SelectIsolate(selected);
  std::vector<std::optional<uint64_t>> out;
  const bool valid = ThreadIdsValid(ids);
  for (const auto& [id, main] : ids) out.push_back(valid ? id : std::nullopt);
  return out;
}

}  // namespace mortem

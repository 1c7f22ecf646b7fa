#include "mortem/analysis/info.h"

#include <map>
#include <mutex>
#include <set>

#include "mortem/analysis/handles.h"
#include "mortem/core/progress.h"
#include "mortem/v8/tagged.h"
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
  const uint32_t offset = layout.line->node.environment_thread_id;
  std::optional<uint64_t> id;
  for (Address env : environments) {
    auto v = memory.ReadWord(env + offset);
    if (!offset || !v || (id && *id != *v)) return std::nullopt;
    id = *v;
  }
  return id;
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
  auto visit = [&](unsigned, const v8::HeapObject& o) {
    if (o.map->instance_type != layout.types.native_context) return;
    if (Address env = EnvironmentOf(session.memory(), layout, o.address)) {
      std::lock_guard<std::mutex> lock(mutex);
      environments.insert(env);
    }
  };
  v8::WalkResult walk;
  if (session.has_census()) {
    walk = session.census().walk;
    // Native contexts live in old space: only its pages are walked again.
    v8::HeapWalker walker(session.memory(), layout, heap);
    v8::MapCache maps(session.memory(), layout);
    for (const auto& page : heap.pages())
      if (page.space == layout.spaces.old_space && !page.from_space)
        walker.WalkPage(page, maps, 0, visit);
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
// anything else is not this release's: all unknown.
void ValidateThreadIds(std::vector<IsolateHeapInfo>& isolates) {
  std::set<uint64_t> seen;
  bool valid = true;
  for (const auto& i : isolates) {
    if (!i.node_thread_id) continue;
    const uint64_t id = *i.node_thread_id;
    valid &=
        seen.insert(id).second && id < (uint64_t{1} << 32) && (id == 0) == (i.isolate.main_thread);
  }
  if (!valid)
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

}  // namespace mortem

#include "mortem/analysis/info.h"

#include <map>

#include "mortem/core/progress.h"

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

// The selected isolate's heap per space, from the census's walk if one was taken (it visits the
// same pages), else a plain walk.
IsolateHeapInfo DescribeIsolate(Session& session) {
  IsolateHeapInfo out;
  out.isolate = session.isolate();
  const auto& heap = session.heap();
  v8::WalkResult walk;
  if (session.has_census()) {
    walk = session.census().walk;
  } else {
    v8::HeapWalker walker(session.memory(), session.layout(), heap);
    ProgressStep step("walking the heap");
    walk = walker.WalkAll(session.threads(), [](unsigned, const v8::HeapObject&) {});
  }
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

#include "mortem/analysis/info.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "mortem/core/progress.h"
#include "mortem/v8/names.h"
#include "mortem/v8/node_environment.h"
#include "mortem/v8/object_fields.h"
#include "mortem/v8/scripts.h"
#include "mortem/v8/strings.h"
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

struct ThreadIdentity {
  std::optional<uint64_t> id;
  std::optional<std::string> name;
};

// The Environments' reading of one field, if they all agree (an isolate may have several).
template <typename T, typename Read>
std::optional<T> Agreed(const std::set<Address>& environments, Read read) {
  std::optional<T> agreed;
  for (Address env : environments) {
    auto v = read(env);
    if (!v || (agreed && *agreed != *v)) return std::nullopt;
    agreed = std::move(v);
  }
  return agreed;
}

// Node's threadId and thread name of each isolate: what its Environments hold at
// Environment::thread_id_ and thread_name_ (the layout learnt from all of them), if they agree.
// The main thread's id is 0 by Node's definition when the offset cannot be learnt (a process
// without workers gives too few samples).
std::vector<ThreadIdentity> ThreadIdentitiesOf(
    const Memory& memory, const std::vector<std::pair<std::set<Address>, bool>>& per_isolate) {
  std::vector<v8::EnvironmentSample> samples;
  for (const auto& [environments, main] : per_isolate)
    for (Address env : environments) samples.push_back({env, main});
  const auto layout = v8::LearnThreadIdOffset(memory, samples);
  std::vector<ThreadIdentity> out;
  for (const auto& [environments, main] : per_isolate) {
    ThreadIdentity t;
    if (layout) {
      t.id = Agreed<uint64_t>(environments, [&](Address env) {
        return v8::EnvironmentThreadId(memory, layout->offset, env);
      });
      t.name = Agreed<std::string>(environments, [&](Address env) {
        return v8::EnvironmentThreadName(memory, *layout, env);
      });
    } else if (main && !environments.empty()) {
      t.id = 0;
    }
    out.push_back(std::move(t));
  }
  return out;
}

// What a walk of the isolate's heap collects besides the space totals: its Environments (from
// its native contexts) and its Scripts (tagged, by id).
struct HeapFacts {
  std::mutex mutex;
  std::set<Address> environments;
  std::vector<std::pair<int64_t, uint64_t>> scripts;
};

auto FactsCollector(Session& session, HeapFacts& facts) {
  return [&session, &facts](unsigned, const v8::HeapObject& o) {
    const auto& layout = session.layout();
    const uint16_t type = o.map->instance_type;
    if (type == layout.types.native_context) {
      if (Address env = v8::EnvironmentOf(session.memory(), layout, o.address)) {
        std::lock_guard<std::mutex> lock(facts.mutex);
        facts.environments.insert(env);
      }
    } else if (type == layout.types.script) {
      const auto id = v8::NormalScriptId(layout, o);
      if (!id) return;
      std::lock_guard<std::mutex> lock(facts.mutex);
      facts.scripts.emplace_back(*id, o.address + 1);
    }
  };
}

// Of the normal scripts (not V8's extensions such as --expose-gc's "v8/gc"), Node's own are
// named "node:..." (its builtins, 18 and later); new Function()'s have no name. Node 18 and 20
// run eval code (a worker's, -e) from a wrapper script of their own named NAME-wrapper, which
// then compiles NAME (lib/internal/process/execution.js, evalScript): NAME is the origin.
constexpr size_t kMaxScriptsNamed = 4096;
constexpr std::string_view kWrapperSuffix = "-wrapper";

std::string FirstUserScript(Session& session, std::vector<std::pair<int64_t, uint64_t>> scripts) {
  std::sort(scripts.begin(), scripts.end());
  v8::Namer namer(session.memory(), session.layout(), session.heap());
  v8::ScriptReader reader(session.memory(), session.layout(), namer);
  std::vector<std::string> names;
  for (size_t i = 0; i < scripts.size() && i < kMaxScriptsNamed; ++i) {
    std::string name = reader.Name(scripts[i].second);
    if (!name.empty() && !name.starts_with("node:")) names.push_back(std::move(name));
  }
  if (names.empty()) return "";
  const std::string& first = names.front();
  if (first.ends_with(kWrapperSuffix)) {
    const std::string wrapped = first.substr(0, first.size() - kWrapperSuffix.size());
    if (std::find(names.begin() + 1, names.end(), wrapped) != names.end()) return wrapped;
  }
  return first;
}

// The selected isolate's heap per space, from the census's walk if one was taken (it visits the
// same pages), else a plain walk; its Environments' threadId and its first script, from a walk
// (of its old space, where both live, when the census walked the rest).
IsolateHeapInfo DescribeIsolate(Session& session, std::set<Address>& environments) {
  IsolateHeapInfo out;
  out.isolate = session.isolate();
  const auto& heap = session.heap();
  const auto& layout = session.layout();
  HeapFacts facts;
  auto visit = FactsCollector(session, facts);
  v8::WalkResult walk;
  v8::HeapWalker walker(session.memory(), layout, heap);
  if (session.has_census()) {
    walk = session.census().walk;
    std::vector<size_t> old_pages;
    for (size_t i = 0; i < heap.pages().size(); ++i)
      if (heap.pages()[i].space == layout.spaces.old_space) old_pages.push_back(i);
    walker.WalkPages(old_pages, session.threads(), visit);
  } else {
    ProgressStep step("walking the heap");
    walk = walker.WalkAll(session.threads(), visit);
  }
  environments = std::move(facts.environments);
  out.origin = FirstUserScript(session, std::move(facts.scripts));
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
  out.page_lists = heap.page_origin();
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
  if (ThreadIdsValid(ids)) return;
  for (auto& i : isolates) {  // the layout learnt is wrong: the names read with it too
    i.node_thread_id.reset();
    i.node_thread_name.reset();
  }
}

// Each isolate's Node threadId and thread name, by index, from the Environments the session
// finds in each (all unknown where the ids read are not valid ones).
std::vector<ThreadIdentity> NodeThreadIdentities(Session& session) {
  const size_t selected = session.selected_isolate();
  std::vector<std::pair<std::set<Address>, bool>> environments;
  for (const auto& isolate : session.isolates()) {
    session.SelectIsolate(isolate.index);
    environments.emplace_back(session.environments(), isolate.main_thread);
  }
  session.SelectIsolate(selected);
  auto identities = ThreadIdentitiesOf(session.memory(), environments);
  std::vector<std::pair<std::optional<uint64_t>, bool>> ids;
  for (size_t i = 0; i < identities.size(); ++i)
    ids.emplace_back(identities[i].id, environments[i].second);
  if (!ThreadIdsValid(ids)) identities.assign(identities.size(), ThreadIdentity{});
  return identities;
}

}  // namespace

InfoResult RunInfo(Session& session, bool all_isolates) {
  InfoResult r;
  const auto& layout = session.layout();
  r.node_version = layout.node_version;
  r.v8_version = layout.v8.ToString();
  r.process = session.facts();
  const size_t selected = session.selected_isolate();
  std::vector<std::pair<std::set<Address>, bool>> environments;
  for (const auto& isolate : session.isolates()) {
    if (!all_isolates && isolate.index != selected) continue;
    session.SelectIsolate(isolate.index);
    r.isolates.push_back(DescribeIsolate(session, environments.emplace_back().first));
    environments.back().second = isolate.main_thread;
  }
  if (all_isolates) {
    const auto identities = ThreadIdentitiesOf(session.memory(), environments);
    for (size_t i = 0; i < identities.size(); ++i) {
      r.isolates[i].node_thread_id = identities[i].id;
      r.isolates[i].node_thread_name = identities[i].name;
    }
    ValidateThreadIds(r.isolates);
  } else {
    // One isolate's identity is learnt from all of them, as `info` learns it: a worker alone
    // gives too few samples.
    const auto identities = NodeThreadIdentities(session);
    r.isolates.front().node_thread_id = identities.at(selected).id;
    r.isolates.front().node_thread_name = identities.at(selected).name;
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

std::vector<std::optional<uint64_t>> NodeThreadIds(Session& session) {
  std::vector<std::optional<uint64_t>> out;
  for (auto& identity : NodeThreadIdentities(session)) out.push_back(identity.id);
  return out;
}

}  // namespace mortem

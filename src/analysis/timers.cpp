// Node's JS timers and immediates, found by structure on the JS heap: lib/internal/timers.js keeps
// every pending Timeout on the ring of a TimersList (one per duration: list._idleNext ->
// timer._idleNext -> ... -> list) and every pending Immediate on an ImmediateList (head ->
// _idleNext -> ... -> null). The lists are found by their class while the heap is walked; each
// ring is followed with a bound and cycle check.
#include <algorithm>
#include <set>

#include "mortem/analysis/handles.h"
#include "mortem/v8/names.h"
#include "mortem/v8/scripts.h"
#include "mortem/v8/tagged.h"
#include "mortem/v8/walker.h"

namespace mortem {
namespace {

constexpr size_t kMaxListsPerKind = 1 << 16;

// Reading named own properties of the timer objects.
class TimerReader {
 public:
  explicit TimerReader(Session& session)
      : session_(session),
        layout_(session.layout()),
        namer_(session.memory(), layout_, session.heap()),
        properties_(session.memory(), layout_) {}

  v8::Namer& namer() { return namer_; }

  // The value of the own data property `name` (a string key, or a symbol with that description
  // when symbol is true).
  std::optional<uint64_t> Get(uint64_t tagged, std::string_view name, bool symbol = false) {
    const v8::MapInfo* map = namer_.MapOf(tagged);
    if (!map || !layout_.IsJSReceiver(map->instance_type)) return std::nullopt;
    return properties_.FindOwnData(tagged - 1, *map,
                                   [&](uint64_t key) { return KeyIs(key, name, symbol); });
  }

  std::optional<double> Number(std::optional<uint64_t> tagged) {
    return tagged ? namer_.NumberValue(*tagged) : std::nullopt;
  }

  bool IsRoot(std::optional<uint64_t> tagged, int root) {
    return tagged && session_.heap().Root(root) == *tagged;
  }

  // The callback's name and where its source starts.
  void DescribeCallback(std::optional<uint64_t> fn, JsTimer& out) {
    const v8::MapInfo* map = fn ? namer_.MapOf(*fn) : nullptr;
    if (!map || map->instance_type != layout_.types.js_function) return;
    out.callback_object = *fn - 1;
    std::string name = namer_.FunctionName(*fn - 1);
    out.callback = name.empty() ? "(anonymous)" : name;
    auto sfi = namer_.SharedOf(*fn - 1);
    if (!sfi) return;
    v8::ScriptReader scripts(session_.memory(), layout_, namer_);
    auto script = scripts.ScriptOf(*sfi);
    if (!script) return;
    auto at = scripts.Locate(*script, scripts.FunctionStart(*sfi));
    out.script = at.script;
    out.line = at.line;
    out.column = at.column;
  }

 private:
  bool KeyIs(uint64_t key, std::string_view name, bool symbol) {
    const v8::MapInfo* map = namer_.MapOf(key);
    if (!map) return false;
    if (symbol) {
      if (map->instance_type != layout_.types.symbol) return false;
      auto description = namer_.SymbolDescription(key);
      if (!description) return false;
      key = *description;
      map = namer_.MapOf(key);
      if (!map) return false;
    }
    if (!layout_.IsString(map->instance_type)) return false;
    auto s = namer_.strings().ReadTagged(key, name.size() + 1);
    return s && !s->truncated && s->utf8 == name;
  }

  Session& session_;
  const v8::Layout& layout_;
  v8::Namer namer_;
  v8::PropertyReader properties_;
};

// The TimersList and ImmediateList objects of the heap (tagged), by their constructor's name.
void FindLists(Session& session, std::vector<uint64_t>& timer_lists,
               std::vector<uint64_t>& immediate_lists) {
  const auto& layout = session.layout();
  unsigned threads = std::max(1u, session.threads());
  std::vector<v8::Namer> namers;
  for (unsigned i = 0; i < threads; ++i)
    namers.emplace_back(session.memory(), layout, session.heap());
  std::vector<std::vector<std::pair<bool, uint64_t>>> found(threads);
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  walker.WalkAll(threads, [&](unsigned thread, const v8::HeapObject& o) {
    if (o.map->instance_type != layout.types.js_object) return;
    const std::string& name = namers[thread].Label(o.address, *o.map, false).name;
    if (name == "TimersList" || name == "ImmediateList")
      found[thread].push_back({name == "TimersList", o.address + 1});
  });
  for (const auto& per_thread : found)
    for (auto [is_timers, tagged] : per_thread)
      (is_timers ? timer_lists : immediate_lists).push_back(tagged);
  std::sort(timer_lists.begin(), timer_lists.end());
  std::sort(immediate_lists.begin(), immediate_lists.end());
}

// The items linked from `first` by _idleNext, until `end` (the list itself, or null).
std::vector<uint64_t> FollowRing(TimerReader& reader, std::optional<uint64_t> first, uint64_t end,
                                 size_t limit, bool& truncated) {
  std::vector<uint64_t> items;
  std::set<uint64_t> seen;
  while (first && *first != end && v8::IsHeapObject(*first)) {
    if (!seen.insert(*first).second) break;  // a ring that does not come back: stop
    if (items.size() >= limit) {
      truncated = true;
      break;
    }
    items.push_back(*first);
    first = reader.Get(*first, "_idleNext");
  }
  return items;
}

JsTimer DescribeTimeout(TimerReader& reader, uint64_t timer, const v8::RootIndices& roots) {
  JsTimer t;
  t.kind = "Timeout";
  t.object = timer - 1;
  t.duration_ms = reader.Number(reader.Get(timer, "_idleTimeout"));
  t.repeat_ms = reader.Number(reader.Get(timer, "_repeat"));
  t.refed = !reader.IsRoot(reader.Get(timer, "refed", true), roots.false_value);
  t.destroyed = reader.IsRoot(reader.Get(timer, "_destroyed"), roots.true_value);
  reader.DescribeCallback(reader.Get(timer, "_onTimeout"), t);
  return t;
}

JsTimer DescribeImmediate(TimerReader& reader, uint64_t immediate, const v8::RootIndices& roots) {
  JsTimer t;
  t.kind = "Immediate";
  t.object = immediate - 1;
  t.refed = !reader.IsRoot(reader.Get(immediate, "refed", true), roots.false_value);
  t.destroyed = reader.IsRoot(reader.Get(immediate, "_destroyed"), roots.true_value);
  reader.DescribeCallback(reader.Get(immediate, "_onImmediate"), t);
  return t;
}

}  // namespace

void FindJsTimers(Session& session, size_t limit, HandlesResult& result) {
  std::vector<uint64_t> timer_lists, immediate_lists;
  FindLists(session, timer_lists, immediate_lists);
  if (timer_lists.size() > kMaxListsPerKind) timer_lists.resize(kMaxListsPerKind);
  if (immediate_lists.size() > kMaxListsPerKind) immediate_lists.resize(kMaxListsPerKind);
  TimerReader reader(session);
  const auto& roots = session.layout().isolate.roots;
  std::set<uint64_t> seen;  // an item is listed once, whichever list reaches it
  for (uint64_t list : timer_lists)
    for (uint64_t timer :
         FollowRing(reader, reader.Get(list, "_idleNext"), list, limit, result.truncated))
      if (seen.insert(timer).second) result.timers.push_back(DescribeTimeout(reader, timer, roots));
  for (uint64_t list : immediate_lists)
    for (uint64_t item : FollowRing(reader, reader.Get(list, "head"),
                                    session.heap().Root(roots.null), limit, result.truncated))
      if (seen.insert(item).second)
        result.immediates.push_back(DescribeImmediate(reader, item, roots));
}

}  // namespace mortem

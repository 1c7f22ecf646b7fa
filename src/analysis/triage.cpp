#include "mortem/analysis/triage.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstring>
#include <set>

#include "mortem/analysis/dominators.h"
#include "mortem/analysis/graph_state.h"
#include "mortem/analysis/liveness.h"
#include "mortem/analysis/memory.h"
#include "mortem/analysis/retainers.h"
#include "mortem/core/error.h"
#include "mortem/core/progress.h"
#include "mortem/core/text.h"
#include "mortem/v8/names.h"
#include "mortem/v8/object_fields.h"
#include "mortem/v8/strings.h"
#include "mortem/v8/walker.h"

namespace mortem {
namespace {

constexpr uint32_t kPathDepth = 32;
constexpr size_t kStringBytesHashed = 4096;  // longer strings: hashed on their first 4 KiB + size
constexpr size_t kStackFrames = 64;

std::vector<TypeRow> TopBy(std::vector<TypeRow> rows, size_t top, uint64_t TypeRow::*field) {
  std::sort(rows.begin(), rows.end(), [&](const TypeRow& a, const TypeRow& b) {
    return a.*field != b.*field ? a.*field > b.*field : a.name < b.name;
  });
  if (rows.size() > top) rows.resize(top);
  return rows;
}

RetainerPath PathOf(Session& session, Address object) {
  auto r = RunRetainers(session, object, 1, kPathDepth, false);
  return r.paths.empty() ? RetainerPath{} : r.paths.front();
}

// Strings with equal contents, by a hash of their characters (sequential strings: the ones that
// hold their own characters). One 24-byte record per string, sorted; no per-string allocation.
// Only the live strings, those V8's snapshot keeps: garbage not yet collected holds copies too
// (a module source compiled once more, say), which no one wastes.
std::vector<DuplicateString> FindDuplicateStrings(Session& session, size_t top,
                                                  uint64_t& wasted_total) {
  const Liveness& live = session.liveness();
  const auto& layout = session.layout();
  struct Record {
    uint64_t hash;
    Address address;
    uint32_t size;
    bool operator<(const Record& o) const { return hash != o.hash ? hash < o.hash : size < o.size; }
  };
  // One array sized by the census's count of sequential strings (census keys are maps), filled
  // through an atomic cursor: no growth, no per-thread copies.
  uint64_t strings = 0;
  for (const auto& [key, stats] : session.live_census().keys) {
    const v8::MapInfo* map = session.maps().Get(key.map);
    if (map && layout.IsString(map->instance_type) &&
        v8::ShapeOf(layout, map->instance_type).representation ==
            v8::StringShape::Representation::kSeq)
      strings += stats.count;
  }
  std::vector<Record> all(strings);
  std::atomic<size_t> used{0};
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  ProgressStep step("grouping equal strings");
  walker.WalkAll(session.threads(), [&](unsigned, const v8::HeapObject& o) {
    const auto chars = v8::SeqStringChars(layout, o);
    if (!chars) return;
    if (!live.IsLive(o.address)) return;
    const uint64_t byte_length = chars->bytes.size();
    std::string_view bytes(reinterpret_cast<const char*>(chars->bytes.data()),
                           std::min<uint64_t>(byte_length, kStringBytesHashed));
    uint64_t hash = std::hash<std::string_view>{}(bytes) ^ (byte_length * 0x9e3779b97f4a7c15ull) ^
                    (chars->one_byte ? 1 : 0);
    size_t at = used.fetch_add(1, std::memory_order_relaxed);
    if (at < all.size()) all[at] = Record{hash, o.address, static_cast<uint32_t>(o.size)};
  });
  all.resize(std::min(used.load(), all.size()));
  std::sort(all.begin(), all.end());
  struct Group {
    uint64_t count, size;
    Address example;
  };
  std::vector<Group> groups;
  wasted_total = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i + 1;
    while (j < all.size() && all[j].hash == all[i].hash && all[j].size == all[i].size) ++j;
    if (j - i > 1) {
      uint64_t wasted = (j - i - 1) * all[i].size;
      wasted_total += wasted;
      groups.push_back(Group{j - i, all[i].size, all[i].address});
    }
    i = j;
  }
  std::vector<Record>().swap(all);
  size_t n = std::min(top, groups.size());
  std::partial_sort(groups.begin(), groups.begin() + n, groups.end(),
                    [](const Group& a, const Group& b) {
                      return (a.count - 1) * a.size > (b.count - 1) * b.size;
                    });
  std::vector<DuplicateString> out;
  v8::StringReader reader(session.memory(), layout);
  for (size_t i = 0; i < n; ++i) {
    auto s = reader.Read(groups[i].example, 80);
    out.push_back(DuplicateString{s ? s->utf8 + (s->truncated ? "..." : "") : "?", groups[i].count,
                                  groups[i].size, (groups[i].count - 1) * groups[i].size});
  }
  return out;
}

// A row of the program's own objects (a class, a constructor name), not V8's internals
// ("(array)", "system / Context", ...) nor the generic Object and Array.
bool IsUserClass(const TypeRow& row) {
  return row.kind == "object" && !row.name.empty() && row.name.front() != '(' &&
         !row.name.starts_with("system /") && row.name != "Object" && row.name != "Array";
}

// One live instance of a row, from the census (no extra walk).
Address ExampleOf(Session& session, const TypeRow& row) {
  const Census& census = session.live_census();
  Address example = 0;
  for (const auto& [key, stats] : census.keys) {
    auto label = census.labels.find(key);
    if (label == census.labels.end() || label->second.name != row.name ||
        v8::KindName(label->second.kind) != row.kind || stats.sample == 0)
      continue;
    if (example == 0 || stats.sample < example) example = stats.sample;
  }
  return example;
}

std::string Percent(uint64_t part, uint64_t whole) {
  if (!whole) return "0%";
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.0f%%", 100.0 * part / whole);
  return buffer;
}

// "(12% of the heap)"; more than the heap holds (backing stores and other memory outside it
// count in retained sizes) says so instead of a percentage above 100.
std::string ShareOfHeap(uint64_t part, uint64_t heap_used) {
  if (part <= heap_used) return "(" + Percent(part, heap_used) + " of the heap)";
  return "(more than the " + HumanBytes(heap_used) +
         " the V8 heap uses: memory outside the heap, such as buffers' backing stores, counts too)";
}

void CrashSuspect(TriageResult& r) {
  if (r.exception) {
    std::string where = r.exception->stack.empty() ? "" : ", " + r.exception->stack.front();
    r.suspects.push_back({"crash",
                          "The process died on an uncaught " + r.exception->type +
                              (r.exception->message.empty() ? "" : ": " + r.exception->message) +
                              where,
                          r.exception->stack});
    return;
  }
  if (r.fatal_function.empty()) return;
  bool oom = r.fatal_function.find("OutOfMemory") != std::string::npos ||
             r.fatal_function.find("OOM") != std::string::npos;
  std::string text;
  for (const auto& m : r.fatal_messages) text += (text.empty() ? "" : "; ") + m;
  std::vector<std::string> evidence{"in " + r.fatal_function};
  if (oom) evidence.push_back("see the top types and dominators for what filled the heap");
  r.suspects.push_back(
      {"crash",
       std::string(oom ? "V8 ran out of memory" : "The process hit a fatal error") +
           (text.empty() ? "" : ": " + text),
       evidence});
}

void HeapSuspects(TriageResult& r, uint64_t heap_used) {
  for (const auto& t : r.top_by_retained) {
    if (!IsUserClass(t.row) || !t.example || t.row.retained_size * 5 < heap_used) continue;
    r.suspects.push_back(
        {"leak",
         Grouped(t.row.count) + " " + t.row.name + " objects retain " +
             HumanBytes(t.row.retained_size) + " " + ShareOfHeap(t.row.retained_size, heap_used),
         {"held by: " + (t.path.steps.empty() ? "(no path found)" : DescribePath(t.path)),
          "example: v8 inspect " + Hex(t.example)}});
  }
  for (const auto& row : r.top_by_size) {
    if (!IsUserClass(row) || row.self_size * 10 < heap_used || row.count < 1000) continue;
    bool listed = false;
    for (const auto& s : r.suspects)
      listed |= s.sentence.find(" " + row.name + " ") != std::string::npos;
    if (listed) continue;
    r.suspects.push_back({"leak",
                          Grouped(row.count) + " " + row.name + " objects take " +
                              HumanBytes(row.self_size) + " " +
                              ShareOfHeap(row.self_size, heap_used) + " by themselves",
                          {"mortem instances CORE " + row.name}});
  }
  if (r.duplicate_string_bytes * 10 > heap_used && r.duplicate_string_bytes > (1u << 20)) {
    std::vector<std::string> evidence;
    for (size_t i = 0; i < r.duplicate_strings.size() && i < 3; ++i)
      evidence.push_back(Grouped(r.duplicate_strings[i].count) + " copies of \"" +
                         r.duplicate_strings[i].preview + "\"");
    r.suspects.push_back({"strings",
                          "Duplicated strings waste " + HumanBytes(r.duplicate_string_bytes) + " " +
                              ShareOfHeap(r.duplicate_string_bytes, heap_used),
                          evidence});
  }
  for (const auto& c : r.closures)
    if (c.count >= 10000)
      r.suspects.push_back({"closures",
                            Grouped(c.count) + " closures named " + c.name +
                                " exist at once (functions created per call or per request?)",
                            {"mortem instances CORE '" + c.name + "' --kind closure"}});
}

void BufferAndHandleSuspects(TriageResult& r, uint64_t heap_used) {
  for (const auto& cause : r.retention)
    if (cause.unviewed_bytes >= (8u << 20))
      r.suspects.push_back(
          {"buffers",
           cause.sentence,
           {cause.cause + ": " + HumanBytes(cause.unviewed_bytes) +
                " of backing store no view can reach",
            cause.example_view ? "example view: " + Hex(cause.example_view) : ""}});
  // Linear memory grows on a module's demand and never shrinks: worth a sentence when it is
  // large, or larger than the JS heap.
  const auto& b = r.buffers;
  if (b.wasm_memories && (b.wasm_bytes >= (uint64_t{64} << 20) || b.wasm_bytes > heap_used))
    r.suspects.push_back(
        {"wasm",
         Grouped(b.wasm_memories) + " WebAssembly " +
             (b.wasm_memories == 1 ? "memory holds " : "memories hold ") +
             HumanBytes(b.wasm_bytes) +
             " of linear memory outside the JS heap (it grows on demand and never shrinks)",
         {"mortem buffers CORE"}});
  for (const auto& [type, count] : r.handles)
    if (count >= 1000)
      r.suspects.push_back({"handles",
                            Grouped(count) + " active " + type + " handles",
                            {"mortem handles CORE --handles-only"}});
  for (const auto& [type, count] : r.requests)
    if (count >= 1000)
      r.suspects.push_back({"handles",
                            Grouped(count) + " requests of type " + type + " in flight",
                            {"mortem handles CORE --requests-only"}});
}

// Native memory: glibc malloc's arenas and mmapped chunks against the JS heap.
void NativeSuspects(const native::MallocReport& malloc, TriageResult& r) {
  r.native_bytes = MallocNativeBytes(malloc);
  r.malloc_free_bytes = MallocFreeBytes(malloc);
  uint64_t committed = r.all_heaps_committed;
  if (committed == 0)
    for (const auto& s : r.info.spaces) committed += s.committed;
  const std::string dominates = NativeDominatesSentence(r.native_bytes, committed);
  if (!dominates.empty()) r.suspects.push_back({"native", dominates, {"mortem memory CORE"}});
  for (const auto& sentence : FragmentationSentences(malloc))
    r.suspects.push_back({"native", sentence, {"mortem memory CORE"}});
  for (const auto& w : malloc.warnings) r.warnings.push_back(w);
}

void Metrics(TriageResult& r, const std::vector<TypeRow>& rows, uint64_t heap_used) {
  auto& m = r.metrics;
  m["heap_used"] = static_cast<double>(heap_used);
  m["objects"] = static_cast<double>(r.info.walk.objects);
  // By row name; where a name has several rows (class RequestRecord: its instances, kind
  // "object", and the constructor, kind "closure"), the object row counts.
  for (bool objects : {false, true})
    for (const auto& row : rows) {
      if ((row.kind == "object") != objects) continue;
      m["count(" + row.name + ")"] = static_cast<double>(row.count);
      m["self(" + row.name + ")"] = static_cast<double>(row.self_size);
      m["retained(" + row.name + ")"] = static_cast<double>(row.retained_size);
    }
  uint64_t slab_waste = 0;
  for (const auto& c : r.retention) slab_waste += c.unviewed_bytes;
  m["slab_waste"] = static_cast<double>(slab_waste);
  m["buffers"] = static_cast<double>(r.buffers.backing_store_bytes);
  m["wasm_memory"] = static_cast<double>(r.buffers.wasm_bytes);
  m["duplicate_strings"] = static_cast<double>(r.duplicate_string_bytes);
  for (const auto& [type, count] : r.handles)
    m["handles(" + type + ")"] = static_cast<double>(count);
  for (const auto& [type, count] : r.requests)
    m["requests(" + type + ")"] = static_cast<double>(count);
  size_t handles = 0, requests = 0;
  for (const auto& [type, count] : r.handles) handles += count;
  for (const auto& [type, count] : r.requests) requests += count;
  m["handles"] = static_cast<double>(handles);
  m["requests"] = static_cast<double>(requests);
  m["js_frames"] = r.crashing_thread ? static_cast<double>(r.crashing_thread->js_frames) : 0;
  m["exception"] = r.exception ? 1 : 0;
  m["malloc_free"] = static_cast<double>(r.malloc_free_bytes);
  m["native"] = static_cast<double>(r.native_bytes);
  m["suspects"] = static_cast<double>(r.suspects.size());
}

// The JS heaps of every isolate, the shared read-only space once: what malloc, which serves the
// whole process, is weighed against.
uint64_t AllHeapsCommitted(Session& session) {
  const size_t selected = session.selected_isolate();
  uint64_t total = 0;
  for (const auto& isolate : session.isolates()) {
    session.SelectIsolate(isolate.index);
    for (const auto& page : session.heap().pages())
      if (!page.read_only || isolate.index == 0) total += page.size;
  }
  session.SelectIsolate(selected);
  return total;
}

}  // namespace

TriageResult RunTriage(Session& session, const TriageOptions& options) {
  TriageResult r;
  ObjectsOptions objects_options;
  objects_options.retained = options.retained;
  auto objects = RunObjects(session, objects_options);  // live objects only
  r.unreachable_objects = objects.unreachable_objects;
  r.unreachable_bytes = objects.unreachable_bytes;
  r.info = RunInfo(session, false);
  r.warnings = r.info.warnings;
  r.partial = r.info.walk.skipped_bytes > 0;
  StackOptions stack_options;
  stack_options.max_frames = kStackFrames;
  auto stack = RunStack(session, stack_options);
  // The crashing thread belongs to the report of the isolate it runs (the main thread's if it
  // runs none): never a worker's stack next to the main thread's heap, or the reverse.
  const bool ours = !stack.threads.empty() &&
                    stack.threads.front().isolate.value_or(0) == session.selected_isolate();
  if (ours) {
    r.crashing_thread = stack.threads.front();
    r.exception = stack.exception;
    r.fatal_function = stack.fatal_function;
    r.fatal_messages = stack.fatal_messages;
  }
  r.top_by_count = TopBy(objects.types, options.top, &TypeRow::count);
  r.top_by_size = TopBy(objects.types, options.top, &TypeRow::self_size);
  r.retained_listed = options.retained;
  if (options.retained) {
    for (const auto& row : TopBy(objects.types, options.top, &TypeRow::retained_size)) {
      TypeWithPath t{row, 0, {}};
      if (IsUserClass(row)) {
        // The instance that retains the most: its path is the one that holds the bytes.
        t.example = row.largest_instance ? row.largest_instance : ExampleOf(session, row);
        if (t.example) t.path = PathOf(session, t.example);
      }
      r.top_by_retained.push_back(std::move(t));
    }
    r.dominators = RunDominators(session, std::min<size_t>(options.top, 10), 10).rows;
  }
  BuffersOptions buffer_options;
  buffer_options.top = 1;
  buffer_options.paths = options.retained;
  auto buffers = RunBuffers(session, buffer_options);
  r.buffers = buffers.totals;
  r.retention = buffers.retention;
  r.duplicate_strings = FindDuplicateStrings(session, options.top, r.duplicate_string_bytes);
  for (const auto& row : objects.types)
    if (row.kind == "closure") r.closures.push_back(row);
  r.closures = TopBy(r.closures, options.top, &TypeRow::count);
  HandlesOptions handle_options;
  handle_options.timers = false;  // the wraps by Node's names; no further walk of the heap
  auto handles = RunHandles(session, handle_options);
  r.handles = handles.handle_counts;
  r.requests = handles.request_counts;
  r.all_heaps_committed = AllHeapsCommitted(session);
  JudgeTriage(r, objects.types, native::ReadMalloc(session.memory(), SessionMappings(session)));
  return r;
}

void JudgeTriage(TriageResult& r, const std::vector<TypeRow>& rows,
                 const native::MallocReport& malloc) {
  const uint64_t heap_used = r.info.walk.object_bytes;
  CrashSuspect(r);
  HeapSuspects(r, heap_used);
  BufferAndHandleSuspects(r, heap_used);
  NativeSuspects(malloc, r);
  Metrics(r, rows, heap_used);
}

namespace {

struct Condition {
  std::string metric, op;
  double value = 0;
};

Condition ParseCondition(const std::string& text) {
  static const char* kOps[] = {">=", "<=", "==", "!=", ">", "<"};
  for (const char* op : kOps) {
    auto at = text.find(op);
    if (at == std::string::npos) continue;
    Condition c;
    c.op = op;
    auto trim = [](std::string s) {
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
      return s;
    };
    c.metric = trim(text.substr(0, at));
    std::string number = trim(text.substr(at + std::string(op).size()));
    size_t used = 0;
    try {
      c.value = std::stod(number, &used);
    } catch (const std::exception&) {
      throw Error("--fail-if '" + text + "': '" + number + "' is not a number", ExitCode::kUsage);
    }
    std::string unit = trim(number.substr(used));
    static const std::map<std::string, double> kUnits = {
        {"", 1},         {"B", 1},           {"KB", 1e3},           {"MB", 1e6}, {"GB", 1e9},
        {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"%", 0.01}};
    auto u = kUnits.find(unit);
    if (u == kUnits.end())
      throw Error("--fail-if '" + text + "': unknown unit '" + unit + "'", ExitCode::kUsage);
    c.value *= u->second;
    if (c.metric.empty()) throw Error("--fail-if '" + text + "': no metric", ExitCode::kUsage);
    return c;
  }
  throw Error("--fail-if '" + text + "': expected METRIC OP VALUE, e.g. 'retained(Foo) > 50MB'",
              ExitCode::kUsage);
}

}  // namespace

std::vector<std::string> FailingConditions(const TriageResult& result,
                                           const std::vector<std::string>& conditions) {
  std::vector<std::string> holding;
  for (const auto& text : conditions) {
    Condition c = ParseCondition(text);
    static const std::set<std::string> kPlain = {
        "heap_used",   "objects",  "slab_waste", "buffers",   "duplicate_strings",
        "handles",     "requests", "js_frames",  "exception", "suspects",
        "malloc_free", "native",   "wasm_memory"};
    static const std::set<std::string> kKeyed = {"count", "self", "retained", "handles",
                                                 "requests"};
    auto open = c.metric.find('(');
    bool keyed = open != std::string::npos && c.metric.back() == ')' &&
                 kKeyed.count(c.metric.substr(0, open)) > 0;
    if (!keyed && !kPlain.count(c.metric))
      throw Error("--fail-if '" + text + "': unknown metric '" + c.metric + "'", ExitCode::kUsage);
    auto it = result.metrics.find(c.metric);
    double v = it == result.metrics.end() ? 0 : it->second;
    bool holds = c.op == ">"    ? v > c.value
                 : c.op == ">=" ? v >= c.value
                 : c.op == "<"  ? v < c.value
                 : c.op == "<=" ? v <= c.value
                 : c.op == "==" ? v == c.value
                                : v != c.value;
    if (holds) {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.0f", v);
      holding.push_back(text + " (" + c.metric + " = " + buffer + ")");
    }
  }
  return holding;
}

}  // namespace mortem

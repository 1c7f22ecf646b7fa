#include "mortem/analysis/inspect.h"

#include <algorithm>
#include <cstdio>

#include "mortem/analysis/liveness.h"
#include "mortem/core/error.h"
#include "mortem/core/text.h"
#include "mortem/v8/scripts.h"
#include "mortem/v8/tagged.h"

namespace mortem {
namespace {

const v8::Page* PageOf(const v8::Heap& heap, Address address) {
  for (const auto& page : heap.pages())
    if (address >= page.area_start && address < page.area_end) return &page;
  return nullptr;
}

}  // namespace

Address ParseAddress(const std::string& text) {
  try {
    size_t used = 0;
    uint64_t value = std::stoull(text, &used, 0);
    if (used != text.size()) throw Error("");
    return value;
  } catch (...) {
    throw Error("not an address: '" + text + "' (use 0x... or a decimal number)", ExitCode::kUsage);
  }
}

InstancesResult RunInstances(Session& session, const std::string& name, const std::string& kind,
                             size_t limit, bool all) {
  const Census& census = all ? session.census() : session.live_census();
  const Liveness* live = all ? nullptr : &session.liveness();
  InstancesResult r;
  r.name = name;
  std::string wanted_kind = kind;
  if (wanted_kind.empty()) {
    for (const auto& [key, label] : census.labels)
      if (label.name == name &&
          (label.kind == v8::NodeKind::kObject || label.kind == v8::NodeKind::kNative))
        wanted_kind = "object";
  }
  std::unordered_map<ObjectKey, bool, ObjectKeyHash> wanted;
  for (const auto& [key, label] : census.labels) {
    if (label.name != name) continue;
    std::string label_kind = v8::KindName(label.kind);
    if (!wanted_kind.empty() && label_kind != wanted_kind &&
        !(wanted_kind == "object" && label.kind == v8::NodeKind::kNative))
      continue;
    wanted[key] = true;
    r.total += census.keys.at(key).count;
  }
  if (wanted.empty()) {
    r.warnings.push_back("no objects of type '" + name + "' (see `mortem objects` for the names)");
    return r;
  }
  const auto& layout = session.layout();
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  std::vector<std::vector<InstanceRow>> found(session.threads());
  walker.WalkAll(session.threads(), [&](unsigned thread, const v8::HeapObject& o) {
    if (!wanted.count(census.KeyOf(layout, o))) return;
    if (live && !live->IsLive(o.address)) return;
    auto& list = found[thread];
    list.push_back(InstanceRow{o.address, o.size, {}});
    // Keep memory bounded: only the lowest `limit` addresses can be shown.
    if (limit && list.size() > 2 * limit) {
      std::nth_element(list.begin(), list.begin() + limit, list.end(),
                       [](auto& a, auto& b) { return a.address < b.address; });
      list.resize(limit);
    }
  });
  for (auto& part : found) r.instances.insert(r.instances.end(), part.begin(), part.end());
  std::sort(r.instances.begin(), r.instances.end(),
            [](auto& a, auto& b) { return a.address < b.address; });
  if (limit && r.instances.size() > limit) r.instances.resize(limit);
  v8::ValueReader reader(session.memory(), layout, session.heap());
  for (auto& row : r.instances) row.preview = reader.Preview(row.address + 1);
  for (auto& w : session.Warnings()) r.warnings.push_back(w);
  return r;
}

std::optional<Containing> FindContainingObject(Session& session, Address address) {
  const auto& heap = session.heap();
  const v8::Page* page = PageOf(heap, address);
  if (!page) return std::nullopt;
  v8::HeapWalker walker(session.memory(), session.layout(), heap);
  v8::MapCache maps(session.memory(), session.layout());
  std::optional<Containing> hit;
  walker.WalkPage(*page, maps, 0, [&](unsigned, const v8::HeapObject& o) {
    if (address >= o.address && address < o.address + o.size)
      hit = Containing{o.address, o.size, session.layout().TypeName(o.map->instance_type),
                       heap.SpaceName(page->space)};
  });
  return hit;
}

InspectResult RunInspect(Session& session, Address address, const v8::ValueLimits& limits,
                         bool with_source) {
  InspectResult r;
  r.requested = address;
  Address object = v8::Tagged(address).IsStrong() ? address - 1 : address;
  auto containing = FindContainingObject(session, object);
  if (!containing) {
    if (!PageOf(session.heap(), object)) throw Error(Hex(address) + " is not in the V8 heap");
    throw Error(Hex(address) + " is in the V8 heap but inside no object (free or unused space)");
  }
  if (containing->object != object)
    throw Error(Hex(address) + " is not an object start; it lies " +
                std::to_string(object - containing->object) + " bytes into " + containing->type +
                " at " + Hex(containing->object) + " (" + std::to_string(containing->size) +
                " bytes)");
  r.space = containing->space;
  v8::ValueReader reader(session.memory(), session.layout(), session.heap());
  r.value = reader.Read(object + 1, limits);
  r.value.size = containing->size;
  r.map = session.memory().ReadWord(object).value_or(1) - 1;
  const v8::MapInfo* map = reader.namer().MapOf(object + 1);
  if (with_source && map && session.layout().IsJSFunction(map->instance_type)) {
    auto shared = reader.namer().SharedOf(object);
    v8::ScriptReader scripts(session.memory(), session.layout(), reader.namer());
    if (shared) r.source = scripts.FunctionSource(*shared, 1 << 20);
  }
  r.warnings = session.Warnings();
  return r;
}

}  // namespace mortem

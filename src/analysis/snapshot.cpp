// The .heapsnapshot layout after V8's HeapSnapshotJSONSerializer (heap-snapshot-generator.cc):
// "snapshot" with meta, node_count, edge_count, trace_function_count (and extra_native_bytes from
// 13.6), then nodes, edges, trace_function_infos, trace_tree, samples, locations and strings;
// a node's edges follow in node order and to_node is the target's index in the nodes array.
// Synthetic nodes after V8's: the root (id 1) with an element edge to "(GC roots)", which has
// one element edge per root category; heap object ids are odd, native ids even, as V8's are.
#include "mortem/analysis/snapshot.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "mortem/analysis/census.h"
#include "mortem/analysis/graph_state.h"
#include "mortem/analysis/snapshot_json.h"
#include "mortem/core/error.h"
#include "mortem/core/progress.h"
#include "mortem/v8/snapshot_edges.h"

namespace mortem {
namespace {

using snapshot_json::StringTable;
using snapshot_json::Writer;
using v8::NodeKind;
using v8::SnapshotEdgeType;

constexpr uint32_t kAbsent = UINT32_MAX;
constexpr uint64_t kFirstHeapId = 1001;  // heap objects: kFirstHeapId + 2 * node id
constexpr int kCountWidth = 20;          // room for node_count and edge_count, patched at the end

bool IsNamedEdge(SnapshotEdgeType type) {
  return type != SnapshotEdgeType::kElement && type != SnapshotEdgeType::kHidden;
}

std::string Meta(const v8::SnapshotFacts& f) {
  std::string node_fields = R"("type","name","id","self_size","edge_count",)";
  if (f.trace_node_ids) node_fields += R"("trace_node_id",)";
  node_fields += R"("detachedness")";
  std::string node_types =
      R"([["hidden","array","string","object","code","closure","regexp","number","native",)"
      R"("synthetic","concatenated string","sliced string","symbol","bigint")";
  if (f.object_shape_rows) node_types += R"(,"object shape")";
  if (f.wasm_object_type) node_types += R"(,"wasm object")";
  node_types += R"(],"string")";
  for (int i = 0; i < f.node_type_numbers; ++i) node_types += R"(,"number")";
  node_types += "]";
  return R"({"node_fields":[)" + node_fields + R"(],"node_types":)" + node_types +
         R"(,"edge_fields":["type","name_or_index","to_node"],)"
         R"("edge_types":[["context","element","property","internal","hidden","shortcut",)"
         R"("weak"],"string_or_number","node"],)"
         R"("trace_function_info_fields":["function_id","name","script_name","script_id",)"
         R"("line","column"],"trace_node_fields":["id","function_info_index","count","size",)"
         R"("children"],"sample_fields":["timestamp_us","last_assigned_id"],)"
         R"("location_fields":["object_index","script_id","line","column"]})";
}

// A closed FILE* on every path; the edges' scratch file is removed with it.
struct File {
  std::FILE* f = nullptr;
  std::string remove_path;
  File(const std::string& path, const char* mode, bool scratch)
      : f(std::fopen(path.c_str(), mode)) {
    if (!f) throw Error("cannot open " + path + " for writing");
    if (scratch) remove_path = path;
  }
  ~File() {
    if (f) std::fclose(f);
    if (!remove_path.empty()) std::remove(remove_path.c_str());
  }
};

// Property and element entries the reader may read: about one per word of the heap's objects.
uint64_t Budget(const Census& census) {
  return census.walk.total.object_bytes / 8 + (uint64_t{1} << 20);
}

struct OutEdge {
  SnapshotEdgeType type;
  uint32_t name_or_index;
  uint32_t to;  // node position
};

class SnapshotWriter {
 public:
  SnapshotWriter(Session& session, Writer& nodes, Writer& edges)
      : session_(session),
        layout_(session.layout()),
        facts_(layout_.line->snapshot),
        graph_(session.graph()),
        census_(session.census()),
        nodes_(nodes),
        edges_(edges),
        namer_(session.memory(), layout_, session.heap()),
        reader_(session.memory(), layout_, namer_, Budget(session.census())),
        fields_(facts_.trace_node_ids ? 7 : 6) {}

  void Plan();
  void WriteSynthetic();
  void WriteHeap();
  void WriteNatives();

  uint64_t node_count() const { return written_nodes_; }
  uint64_t edge_count() const { return written_edges_; }
  uint64_t heap_nodes() const { return heap_nodes_; }
  uint64_t natives() const { return natives_.size(); }
  uint64_t synthetic() const { return synthetic_.size(); }
  const std::vector<std::string>& missing() const { return missing_; }
  StringTable& strings() { return strings_; }

 private:
  struct Synthetic {
    std::string name;
    std::vector<OutEdge> edges;
  };
  void FindInessential();
  void AddRoots();
  void WriteNode(NodeKind kind, std::string_view name, uint64_t id, uint64_t size,
                 const std::vector<OutEdge>& edges);
  void WriteObject(v8::NodeId id, const v8::HeapObject& object);
  void WritePlaceholder(v8::NodeId id);
  // What V8's GC before its snapshot keeps: what the strong roots reach over strong references
  // (on a core taken right after a GC the same as counting weak references too), and read-only
  // space, which V8's snapshot takes whole.
  bool Included(v8::NodeId id) const {
    return graph_.Reachable(id) || graph_.index.InReadOnlySpace(id);
  }
  uint32_t Position(uint64_t target) const {
    auto id = graph_.index.Find(target);
    if (!id || position_[*id] == kAbsent) return kAbsent;
    if (std::binary_search(inessential_.begin(), inessential_.end(), *id)) return kAbsent;
    return position_[*id];
  }
  uint32_t Named(SnapshotEdgeType type, std::string_view name, uint32_t index) {
    return IsNamedEdge(type) ? strings_.Intern(name) : index;
  }

  Session& session_;
  const v8::Layout& layout_;
  const v8::SnapshotFacts& facts_;
  const GraphState& graph_;
  const Census& census_;
  Writer& nodes_;
  Writer& edges_;
  v8::Namer namer_;
  v8::SnapshotReader reader_;
  StringTable strings_;
  const uint32_t fields_;
  std::vector<uint32_t> position_;       // per node id: index in the nodes array, or kAbsent
  std::vector<v8::NodeId> inessential_;  // V8 draws no edges to oddballs and holes
  std::vector<v8::NodeId> read_only_internalized_;  // in the string table, immortal
  std::vector<Synthetic> synthetic_;
  std::vector<std::pair<v8::NodeId, uint64_t>> natives_;  // backing stores: owner, bytes
  std::vector<std::string> missing_;
  uint64_t heap_nodes_ = 0, written_nodes_ = 0, written_edges_ = 0, unvisited_ = 0;
  size_t native_cursor_ = 0;
  std::vector<v8::SnapshotEdge> scratch_;
  std::vector<OutEdge> out_;
};

void SnapshotWriter::FindInessential() {
  const auto& heap = session_.heap();
  std::vector<size_t> read_only;
  for (const auto& span : graph_.index.pages())
    if (heap.pages()[span.heap_page].read_only) read_only.push_back(span.heap_page);
  std::vector<std::vector<v8::NodeId>> found(1);
  v8::HeapWalker walker(session_.memory(), layout_, heap);
  const auto& t = layout_.types;
  walker.WalkPages(read_only, 1, [&](unsigned, const v8::HeapObject& o) {
    const uint16_t type = o.map->instance_type;
    const bool internalized = layout_.IsInternalizedString(type);
    if (!internalized && type != t.oddball && !(t.hole && type == *t.hole)) return;
    if (auto id = graph_.index.Find(o.address))
      (internalized ? read_only_internalized_ : found[0]).push_back(*id);
  });
  inessential_ = std::move(found[0]);
  std::sort(inessential_.begin(), inessential_.end());
}

void SnapshotWriter::Plan() {
  FindInessential();
  const auto& index = graph_.index;
  synthetic_.push_back({"", {}});
  synthetic_.push_back({"(GC roots)", {}});
  // Root categories in name order, as V8 lists its sub-roots.
  std::map<std::string, std::vector<const Root*>> categories;
  for (const auto& r : graph_.roots.roots)
    categories[r.kind == RootKind::kRootsTable ? "(Strong root list)" : RootKindLabel(r.kind)]
        .push_back(&r);
  categories["(Read-only roots)"];
  const bool partial = graph_.Partial();
  const uint32_t first_category = 2;
  const auto count = static_cast<uint32_t>(first_category + categories.size() + (partial ? 1 : 0));
  position_.assign(index.size(), kAbsent);
  uint32_t next = count;
  for (v8::NodeId id = 0; id < index.size(); ++id)
    if (Included(id)) position_[id] = next++;
  heap_nodes_ = next - count;
  for (const auto& owned : index.external())
    if (position_[owned.first] != kAbsent) natives_.push_back(owned);
  // The root and (GC roots) edges.
  synthetic_[0].edges.push_back({SnapshotEdgeType::kElement, 1, 1});
  uint32_t at = first_category;
  for (const auto& [name, roots] : categories) {
    synthetic_[1].edges.push_back(
        {SnapshotEdgeType::kElement, static_cast<uint32_t>(synthetic_[1].edges.size() + 1), at++});
    Synthetic category{name, {}};
    for (const Root* r : roots) {
      const uint32_t to = r->node < position_.size() ? position_[r->node] : kAbsent;
      if (to == kAbsent) continue;
      const auto n = static_cast<uint32_t>(category.edges.size() + 1);
      // V8 writes the string table's edges as internal ones named by their index, the weak
      // roots' as weak ones so named, the others as elements.
      const bool named = IsWeakRoot(r->kind) || r->kind == RootKind::kInternalizedString;
      const auto type = IsWeakRoot(r->kind) ? SnapshotEdgeType::kWeak
                        : named             ? SnapshotEdgeType::kInternal
                                            : SnapshotEdgeType::kElement;
      category.edges.push_back(OutEdge{type, named ? strings_.Intern(std::to_string(n)) : n, to});
    }
    if (name == RootKindLabel(RootKind::kInternalizedString))
      for (v8::NodeId id : read_only_internalized_)
        if (position_[id] != kAbsent)
          category.edges.push_back({SnapshotEdgeType::kInternal,
                                    strings_.Intern(std::to_string(category.edges.size() + 1)),
                                    position_[id]});
    if (name == "(Read-only roots)")
      for (v8::NodeId id = 0; id < index.size(); ++id)
        if (position_[id] != kAbsent && index.InReadOnlySpace(id))
          category.edges.push_back({SnapshotEdgeType::kElement,
                                    static_cast<uint32_t>(category.edges.size() + 1),
                                    position_[id]});
    synthetic_.push_back(std::move(category));
  }
  if (partial) {
    if (index.skipped_bytes() > 0)
      missing_.push_back(std::to_string(index.skipped_bytes()) +
                         " bytes of heap pages could not be parsed: their objects are missing");
    if (graph_.dangling > 0)
      missing_.push_back(std::to_string(graph_.dangling) +
                         " references of live objects point at no object start: left out");
    std::string name = "(mortem: missing from this snapshot:";
    for (const auto& m : missing_) name += " " + m + ";";
    name.back() = ')';
    synthetic_[0].edges.push_back({SnapshotEdgeType::kElement, 2, at});
    synthetic_.push_back({name, {}});
  }
}

void SnapshotWriter::WriteNode(NodeKind kind, std::string_view name, uint64_t id, uint64_t size,
                               const std::vector<OutEdge>& edges) {
  if (written_nodes_ > 0) nodes_.Raw("\n,");
  nodes_.Number(static_cast<uint64_t>(kind));
  nodes_.Raw(",");
  nodes_.Number(strings_.Intern(name));
  nodes_.Raw(",");
  nodes_.Number(id);
  nodes_.Raw(",");
  nodes_.Number(size);
  nodes_.Raw(",");
  nodes_.Number(edges.size());
  nodes_.Raw(facts_.trace_node_ids ? ",0,0" : ",0");
  ++written_nodes_;
  for (const auto& e : edges) {
    if (written_edges_ > 0) edges_.Raw("\n,");
    edges_.Number(static_cast<uint64_t>(e.type));
    edges_.Raw(",");
    edges_.Number(e.name_or_index);
    edges_.Raw(",");
    edges_.Number(uint64_t{e.to} * fields_);
    ++written_edges_;
  }
}

void SnapshotWriter::WriteSynthetic() {
  for (size_t i = 0; i < synthetic_.size(); ++i)
    WriteNode(NodeKind::kSynthetic, synthetic_[i].name, 1 + 2 * i, 0, synthetic_[i].edges);
}

void SnapshotWriter::WriteObject(v8::NodeId id, const v8::HeapObject& o) {
  auto label_it = census_.labels.find(census_.KeyOf(layout_, o));
  const v8::TypeLabel label = label_it != census_.labels.end()
                                  ? label_it->second
                                  : v8::TypeLabel{NodeKind::kHidden, "(system)"};
  const bool read_only = graph_.index.InReadOnlySpace(id);
  const uint64_t size = read_only && !facts_.read_only_sizes ? 0 : graph_.index.self_size(id);
  // A cache V8's full GC empties is written empty, as the snapshot V8 takes after that GC has it.
  scratch_.clear();
  if (!graph_.index.Hollow(id)) reader_.Edges(o, scratch_);
  out_.clear();
  for (const auto& e : scratch_) {
    const uint32_t to = Position(e.target);
    if (to != kAbsent) out_.push_back({e.type, Named(e.type, e.name, e.index), to});
  }
  while (native_cursor_ < natives_.size() && natives_[native_cursor_].first < id) ++native_cursor_;
  if (native_cursor_ < natives_.size() && natives_[native_cursor_].first == id)
    out_.push_back({SnapshotEdgeType::kInternal, strings_.Intern("backing_store"),
                    static_cast<uint32_t>(synthetic_.size() + heap_nodes_ + native_cursor_)});
  WriteNode(label.kind, reader_.NodeName(o, label), kFirstHeapId + 2 * uint64_t{id}, size, out_);
}

void SnapshotWriter::WritePlaceholder(v8::NodeId id) {
  ++unvisited_;
  out_.clear();
  WriteNode(NodeKind::kHidden, "(mortem: unvisited object)", kFirstHeapId + 2 * uint64_t{id},
            graph_.index.self_size(id), out_);
}

void SnapshotWriter::WriteHeap() {
  const auto& heap = session_.heap();
  const auto& index = graph_.index;
  v8::HeapWalker walker(session_.memory(), layout_, heap);
  v8::MapCache maps(session_.memory(), layout_);
  for (const auto& span : index.pages()) {
    const v8::Page& page = heap.pages()[span.heap_page];
    v8::NodeId cursor = span.first;
    walker.WalkPage(page, maps, 0, [&](unsigned, const v8::HeapObject& o) {
      auto id = index.Find(o.address);
      if (!id || *id < cursor || *id >= span.end) return;
      for (; cursor < *id; ++cursor)
        if (position_[cursor] != kAbsent) WritePlaceholder(cursor);
      if (position_[*id] != kAbsent) WriteObject(*id, o);
      cursor = *id + 1;
    });
    for (; cursor < span.end; ++cursor)
      if (position_[cursor] != kAbsent) WritePlaceholder(cursor);
    session_.memory().Release(page.area_start, page.area_end - page.area_start);
  }
  if (reader_.over_budget() > 0)
    missing_.push_back(std::to_string(reader_.over_budget()) +
                       " objects without their property and element edges: the core's property "
                       "and element tables exceed what its heap can hold");
  if (unvisited_ > 0)
    missing_.push_back(std::to_string(unvisited_) +
                       " indexed objects were not found again: written without edges");
}

void SnapshotWriter::WriteNatives() {
  for (size_t i = 0; i < natives_.size(); ++i)
    WriteNode(NodeKind::kNative, "system / JSArrayBufferData", 2 + 2 * uint64_t{i},
              natives_[i].second, {});
}

// Writes `value` into the padded field at `offset` of the file.
void Patch(std::FILE* f, long offset, uint64_t value) {
  const std::string text = std::to_string(value);
  if (std::fseek(f, offset, SEEK_SET) != 0 ||
      std::fwrite(text.data(), 1, text.size(), f) != text.size())
    throw Error("cannot write the snapshot's counts");
}

}  // namespace

SnapshotResult WriteHeapSnapshot(Session& session, const SnapshotOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  session.graph();
  session.census();
  TracePhase("graph and census");
  File out(options.path, "wb", false);
  File scratch(options.path + ".edges.tmp", "w+b", true);
  SnapshotResult r;
  r.file = options.path;
  const std::string padding(kCountWidth, ' ');
  long node_count_at = 0, edge_count_at = 0;
  {
    Writer nodes(out.f), edges(scratch.f);
    SnapshotWriter writer(session, nodes, edges);
    writer.Plan();
    nodes.Raw(R"({"snapshot":{"meta":)" + Meta(session.layout().line->snapshot) +
              R"(,"node_count":)");
    node_count_at = static_cast<long>(nodes.written());
    nodes.Raw(padding + R"(,"edge_count":)");
    edge_count_at = static_cast<long>(nodes.written());
    nodes.Raw(padding + R"(,"trace_function_count":0)");
    if (session.layout().line->snapshot.extra_native_bytes) nodes.Raw(R"(,"extra_native_bytes":0)");
    nodes.Raw("},\n\"nodes\":[");
    writer.WriteSynthetic();
    writer.WriteHeap();
    TracePhase("nodes and edges");
    writer.WriteNatives();
    nodes.Raw("],\n\"edges\":[");
    nodes.Flush();
    edges.Flush();
    // The edges, copied over from the scratch file.
    std::rewind(scratch.f);
    nodes.CopyFrom(scratch.f);
    nodes.Raw(
        "],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n"
        "\"locations\":[],\n\"strings\":[");
    writer.strings().WriteAll(nodes);
    nodes.Raw("]}\n");
    nodes.Flush();
    r.nodes = writer.node_count();
    r.edges = writer.edge_count();
    r.strings = writer.strings().size();
    r.bytes = nodes.written();
    r.heap_nodes = writer.heap_nodes();
    r.native_nodes = writer.natives();
    r.synthetic_nodes = writer.synthetic();
    r.missing = writer.missing();
  }
  Patch(out.f, node_count_at, r.nodes);
  Patch(out.f, edge_count_at, r.edges);
  if (std::fflush(out.f) != 0) throw Error("cannot write " + options.path);
  TracePhase("strings");
  r.partial = !r.missing.empty();
  r.warnings = session.Warnings();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace mortem

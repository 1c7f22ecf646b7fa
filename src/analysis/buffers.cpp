#include "mortem/analysis/buffers.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <unordered_map>

#include "mortem/analysis/liveness.h"
#include "mortem/core/progress.h"
#include "mortem/core/text.h"
#include "mortem/v8/names.h"
#include "mortem/v8/node_buffer.h"
#include "mortem/v8/object_fields.h"
#include "mortem/v8/strings.h"
#include "mortem/v8/tagged.h"

namespace mortem {
namespace {

struct Found {
  std::vector<ArrayBufferInfo> buffers;
  std::vector<std::pair<Address, BufferView>> views;  // (buffer address, view)
  std::vector<Address> view_maps;                     // parallel to views: the view's map
  std::vector<Address> wasm_buffers;
  std::vector<ExternalStringInfo> external_strings;
  std::vector<v8::FunctionCandidate> buffer_functions;  // functions that may be Node's Buffer
  uint64_t dead_buffers = 0, dead_bytes = 0;            // ArrayBuffers no root reaches (garbage)
  bool partial = false;  // pages could not be parsed: buffers missing
};

// Whether [address, address+length) is in the core; sampled for large stores.
bool InCore(const Memory& memory, Address address, uint64_t length) {
  if (length == 0) return true;
  if (memory.View(address, length).size() == length) return true;
  std::byte b;
  for (uint64_t at = 0; at < length; at += uint64_t{1} << 20)
    if (memory.Read(address + at, &b, 1) != 1) return false;
  return memory.Read(address + length - 1, &b, 1) == 1;
}

// Which thread walked which page decides the order the walk found things in: every list goes in
// address order, so that the output is the same whatever --threads is.
void SortByAddress(Found& f) {
  auto by_address = [](const auto& a, const auto& b) { return a.address < b.address; };
  std::sort(f.buffers.begin(), f.buffers.end(), by_address);
  std::vector<size_t> order(f.views.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return f.views[a].second.address < f.views[b].second.address;
  });
  std::vector<std::pair<Address, BufferView>> views;
  std::vector<Address> view_maps;
  views.reserve(order.size());
  view_maps.reserve(order.size());
  for (size_t i : order) {
    views.push_back(std::move(f.views[i]));
    view_maps.push_back(f.view_maps[i]);
  }
  f.views = std::move(views);
  f.view_maps = std::move(view_maps);
  std::sort(f.wasm_buffers.begin(), f.wasm_buffers.end());
  std::sort(f.external_strings.begin(), f.external_strings.end(), by_address);
}

void Collect(Session& session, const Liveness* live, Found& out) {
  const auto& layout = session.layout();
  const auto& t = layout.types;
  v8::HeapWalker walker(session.memory(), layout, session.heap());
  ProgressStep step("finding ArrayBuffers and their views");
  std::vector<Found> parts(session.threads());
  const auto walk =
      walker.WalkAll(session.threads(), [&](unsigned thread, const v8::HeapObject& obj) {
        Found& f = parts[thread];
        const uint16_t type = obj.map->instance_type;
        if (live && !live->IsLive(obj.address)) {
          if (type == t.js_array_buffer) {
            ++f.dead_buffers;
            f.dead_bytes += v8::ArrayBufferByteLength(layout, obj);
          }
          return;
        }
        if (type == t.js_array_buffer) {
          const v8::ArrayBufferFields fields = v8::ArrayBufferOf(layout, obj);
          ArrayBufferInfo b;
          b.address = obj.address;
          b.byte_length = fields.byte_length;
          b.max_byte_length = fields.max_byte_length;
          b.backing_store = fields.backing_store;
          b.external = fields.external;
          b.detached = fields.detached;
          b.shared = fields.shared;
          b.resizable = fields.resizable;
          f.buffers.push_back(std::move(b));
        } else if (v8::IsArrayBufferView(layout, type)) {
          auto fields = v8::ViewOf(layout, obj);
          if (!fields) return;
          BufferView v;
          v.address = obj.address;
          v.byte_offset = fields->byte_offset;
          v.byte_length = fields->byte_length;
          f.views.emplace_back(fields->buffer, v);
          f.view_maps.push_back(obj.map->address);
        } else if (v8::MayBeBufferFunction(layout, obj)) {
          f.buffer_functions.push_back({obj.address, obj.map->address});
        } else if (t.wasm_memory_object && type == *t.wasm_memory_object) {
          if (auto buffer = v8::WasmMemoryBufferOf(layout, obj)) f.wasm_buffers.push_back(*buffer);
        } else if (layout.IsString(type) && v8::ShapeOf(layout, type).representation ==
                                                v8::StringShape::Representation::kExternal) {
          const int32_t length = v8::StringLengthOf(layout, obj);
          bool one_byte = v8::ShapeOf(layout, type).one_byte;
          if (length > 0)
            f.external_strings.push_back(
                {obj.address, static_cast<uint64_t>(length) * (one_byte ? 1 : 2), one_byte, {}});
        }
      });
  for (auto& p : parts) {
    std::move(p.buffers.begin(), p.buffers.end(), std::back_inserter(out.buffers));
    std::move(p.views.begin(), p.views.end(), std::back_inserter(out.views));
    out.view_maps.insert(out.view_maps.end(), p.view_maps.begin(), p.view_maps.end());
    out.wasm_buffers.insert(out.wasm_buffers.end(), p.wasm_buffers.begin(), p.wasm_buffers.end());
    std::move(p.external_strings.begin(), p.external_strings.end(),
              std::back_inserter(out.external_strings));
    out.buffer_functions.insert(out.buffer_functions.end(), p.buffer_functions.begin(),
                                p.buffer_functions.end());
    out.dead_buffers += p.dead_buffers;
    out.dead_bytes += p.dead_bytes;
  }
  out.partial = walk.total.skipped_bytes > 0;
  SortByAddress(out);
}

// Union of the views' ranges inside the buffer; views past the end are flagged.
uint64_t Coverage(ArrayBufferInfo& b) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto& v : b.views) {
    if (v.byte_offset > b.byte_length || v.byte_length > b.byte_length - v.byte_offset) {
      v.out_of_bounds = true;
      b.problems.push_back("view at " + Hex(v.address) + " lies past the buffer's end");
      continue;
    }
    ranges.emplace_back(v.byte_offset, v.byte_offset + v.byte_length);
  }
  std::sort(ranges.begin(), ranges.end());
  uint64_t covered = 0, end = 0;
  for (auto [s, e] : ranges) {
    if (e <= end) continue;
    covered += e - std::max(s, end);
    end = e;
  }
  return covered;
}

std::string CauseOf(const ArrayBufferInfo& b) {
  if (b.wasm) return "wasm memory";
  if (b.kind == "buffer pool") return "node buffer pool";
  if (b.viewed_bytes * 2 < b.byte_length) return "small views of larger buffers";
  return "partly viewed buffers";
}

std::vector<RetentionCause> Retention(const std::vector<ArrayBufferInfo>& buffers) {
  std::map<std::string, RetentionCause> causes;
  // Per cause, the most common (view length, buffer length) of single-view buffers.
  std::map<std::string, std::map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, Address>>>
      patterns;
  for (const auto& b : buffers) {
    if (b.unviewed_bytes == 0 || (b.views.empty() && !b.wasm)) continue;
    auto& c = causes[CauseOf(b)];
    c.cause = CauseOf(b);
    c.array_buffers += 1;
    c.views += b.views.size();
    c.backing_store_bytes += b.byte_length;
    c.unviewed_bytes += b.unviewed_bytes;
    if (!b.views.empty() && !c.example_view) c.example_view = b.views.front().address;
    if (b.views.size() == 1) {
      auto& p = patterns[c.cause][{b.views.front().byte_length, b.byte_length}];
      p.first += 1;
      if (!p.second) p.second = b.views.front().address;
    }
  }
  std::vector<RetentionCause> out;
  for (auto& [name, c] : causes) {
    const auto& ps = patterns[name];
    auto best = std::max_element(ps.begin(), ps.end(),
                                 [](auto& a, auto& b) { return a.second.first < b.second.first; });
    if (best != ps.end() && best->second.first > 1) {
      c.sentence = std::to_string(best->second.first) + " views of " +
                   HumanBytes(best->first.first) + " keep " + std::to_string(best->second.first) +
                   " x " + HumanBytes(best->first.second) + " alive";
      c.example_view = best->second.second;
    } else {
      c.sentence = std::to_string(c.views) + " views keep " + std::to_string(c.array_buffers) +
                   " buffers of " + HumanBytes(c.backing_store_bytes) + " alive, " +
                   HumanBytes(c.unviewed_bytes) + " of it not covered by any view";
    }
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& b) { return a.unviewed_bytes > b.unviewed_bytes; });
  return out;
}

}  // namespace

BuffersResult RunBuffers(Session& session, const BuffersOptions& options) {
  BuffersResult r;
  Found found;
  Collect(session, options.all ? nullptr : &session.liveness(), found);
  r.totals.unreachable_buffers = found.dead_buffers;
  r.totals.unreachable_bytes = found.dead_bytes;
  r.partial = found.partial;
  std::unordered_map<Address, size_t> by_address;
  for (size_t i = 0; i < found.buffers.size(); ++i) by_address[found.buffers[i].address] = i;
  for (Address w : found.wasm_buffers) {
    auto it = by_address.find(w);
    if (it == by_address.end()) continue;
    auto& b = found.buffers[it->second];
    b.wasm = true;
    b.max_byte_length =
        v8::ArrayBufferMaxByteLengthAt(session.memory(), session.layout(), b.address)
            .value_or(b.byte_length);
  }
  v8::Namer namer(session.memory(), session.layout(), session.heap());
  std::unordered_map<Address, std::string> view_names;
  for (size_t i = 0; i < found.views.size(); ++i) {
    auto& [buffer, view] = found.views[i];
    auto [it, fresh] = view_names.emplace(found.view_maps[i], "");
    if (fresh) {
      const v8::MapInfo* map = namer.maps().Get(found.view_maps[i]);
      it->second = map ? namer.Label(view.address, *map, false).name : "?";
    }
    view.type = it->second;
    auto b = by_address.find(buffer);
    if (b == by_address.end()) {
      r.warnings.push_back("a view points to a non-buffer at " + Hex(buffer));
      continue;
    }
    found.buffers[b->second].views.push_back(view);
  }
  const Memory& memory = session.memory();
  const auto pool_size =
      v8::BufferPoolSize(memory, session.layout(), namer, found.buffer_functions);
  for (auto& b : found.buffers) {
    b.viewed_bytes = Coverage(b);
    if (!b.views.empty() || b.wasm) b.unviewed_bytes = b.byte_length - b.viewed_bytes;
    // Buffer.from/allocUnsafe under half of Buffer.poolSize slice one shared pool: an
    // ArrayBuffer of poolSize bytes, or (Node 26.12) one a little larger whose pool Buffer of
    // poolSize bytes stays alive beside the slices [obs 26.12.1: 65,600 bytes, a 65,536-byte view].
    // No pool where the heap holds no Buffer.poolSize.
    bool pool = pool_size && !b.views.empty() &&
                std::all_of(b.views.begin(), b.views.end(),
                            [](const BufferView& v) {
                              return v.type == "Buffer" || v.type == "FastBuffer";
                            }) &&
                (b.byte_length == *pool_size ||
                 std::any_of(b.views.begin(), b.views.end(),
                             [&](const BufferView& v) { return v.byte_length == *pool_size; }));
    b.kind = b.wasm             ? "wasm memory"
             : b.detached       ? "detached"
             : !b.backing_store ? "on-heap"
             : pool             ? "buffer pool"
                                : "plain";
    b.data_in_core = b.backing_store && InCore(memory, b.backing_store, b.byte_length);
    if (b.backing_store && !b.data_in_core)
      b.problems.push_back("backing store not (fully) in the core: " +
                           memory.WhyUnreadable(b.backing_store));
    auto& t = r.totals;
    t.array_buffers += 1;
    t.views += b.views.size();
    if (b.backing_store && !b.detached) {
      t.backing_store_bytes += b.byte_length;
      t.viewed_bytes += b.viewed_bytes;
      t.retained_unviewed_bytes += b.unviewed_bytes;
      if (!b.wasm && !b.resizable) t.allocator_bytes += b.byte_length;
    }
    if (b.wasm) {
      t.wasm_memories += 1;
      t.wasm_bytes += b.byte_length;
    }
  }
  r.retention = Retention(found.buffers);
  if (options.paths)
    for (auto& cause : r.retention) {
      if (!cause.example_view) continue;
      auto retainers = RunRetainers(session, cause.example_view, 1, 64, false);
      if (!retainers.paths.empty()) cause.example_path = std::move(retainers.paths.front());
    }
  std::sort(found.buffers.begin(), found.buffers.end(), [](auto& a, auto& b) {
    return a.byte_length != b.byte_length ? a.byte_length > b.byte_length : a.address < b.address;
  });
  for (auto& b : found.buffers) {
    if (b.byte_length < options.min_size) continue;
    if (options.top && r.array_buffers.size() >= options.top) {
      ++r.omitted;
      continue;
    }
    r.array_buffers.push_back(std::move(b));
  }
  auto& strings = found.external_strings;
  for (const auto& s : strings) {
    r.totals.external_strings += 1;
    r.totals.external_string_bytes += s.bytes;
  }
  std::sort(strings.begin(), strings.end(), [](auto& a, auto& b) { return a.bytes > b.bytes; });
  if (strings.size() > options.top_strings) strings.resize(options.top_strings);
  for (auto& s : strings) {
    auto value = namer.strings().Read(s.address, 60);
    s.preview = value ? value->utf8 : "?";
  }
  r.external_strings = std::move(strings);
  for (auto& w : session.Warnings()) r.warnings.push_back(w);
  return r;
}

}  // namespace mortem

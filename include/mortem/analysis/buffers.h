// Purpose: the `buffers` command: every JSArrayBuffer with its backing store, flags and views
// (Buffer, typed arrays, DataView), the bytes no live view covers grouped by cause (Node's
// Buffer pool, small views of a big buffer, WebAssembly memory), and external strings -- the
// memory outside the JS objects that field reports are mostly about.
#pragma once
#include <string>
#include <vector>

#include "mortem/analysis/retainers.h"
#include "mortem/analysis/session.h"

namespace mortem {

struct BufferView {
  Address address = 0;
  std::string type;  // "Buffer", "Uint8Array", "Float32Array", "DataView", ...
  uint64_t byte_offset = 0;
  uint64_t byte_length = 0;
  bool out_of_bounds = false;  // offset + length past the buffer's end: reported, not trusted
};

struct ArrayBufferInfo {
  Address address = 0;
  Address backing_store = 0;
  uint64_t byte_length = 0;
  uint64_t max_byte_length = 0;
  std::string kind;  // "wasm memory", "buffer pool", "on-heap", "detached", "plain"
  bool external = false, detached = false, shared = false, resizable = false, wasm = false;
  bool data_in_core = false;  // the backing store's bytes are in the core
  std::vector<BufferView> views;
  uint64_t viewed_bytes = 0;    // union of the views' ranges
  uint64_t unviewed_bytes = 0;  // kept alive by views that do not cover them
  std::vector<std::string> problems;
};

struct RetentionCause {
  std::string cause;  // "node buffer pool", "small views of larger buffers", "wasm memory", ...
  uint64_t array_buffers = 0, views = 0, backing_store_bytes = 0, unviewed_bytes = 0;
  std::string sentence;  // e.g. "50 views of 16 bytes keep 50 x 256.0 KiB alive"
  Address example_view = 0;
  RetainerPath example_path;  // with BuffersOptions::paths: who keeps the example view alive
};

struct ExternalStringInfo {
  Address address = 0;
  uint64_t bytes = 0;
  bool one_byte = false;
  std::string preview;
};

struct BuffersTotals {
  uint64_t array_buffers = 0, backing_store_bytes = 0, viewed_bytes = 0,
           retained_unviewed_bytes = 0;
  // Backing stores the embedder's ArrayBuffer allocator accounts for (what
  // process.memoryUsage().arrayBuffers reports): off-heap, not wasm, not resizable-by-JS.
  uint64_t allocator_bytes = 0;
  uint64_t views = 0;
  uint64_t external_strings = 0, external_string_bytes = 0;
  // WebAssembly memories (WebAssembly.Memory and modules' own): linear memory outside the heap.
  uint64_t wasm_memories = 0, wasm_bytes = 0;
  // ArrayBuffers no root reaches (garbage awaiting collection, whose backing stores V8 may have
  // freed already), left out of everything above; 0 with --all, which counts them.
  uint64_t unreachable_buffers = 0, unreachable_bytes = 0;
};

struct BuffersOptions {
  size_t top = 0;         // 0: all buffers
  uint64_t min_size = 0;  // only buffers at least this large
  size_t top_strings = 10;
  bool paths = false;  // retainer path of each cause's example view (builds the heap graph)
  bool all = false;    // every ArrayBuffer on the heap, garbage too (default: live ones)
};

struct BuffersResult {
  BuffersTotals totals;
  std::vector<ArrayBufferInfo> array_buffers;  // by byte_length, largest first
  size_t omitted = 0;
  std::vector<RetentionCause> retention;
  std::vector<ExternalStringInfo> external_strings;
  bool partial = false;  // heap pages could not be parsed: buffers and views there are missing
  std::vector<std::string> warnings;
};

BuffersResult RunBuffers(Session& session, const BuffersOptions& options);

}  // namespace mortem

// Purpose: the `snapshot` command: the core's heap written as a V8 .heapsnapshot, as V8's
// HeapSnapshotGenerator would have written it: the objects V8's snapshot keeps (what the strong
// roots reach over strong references, as the GC V8 runs first leaves them; and read-only
// space), typed and named as `objects`
// names them, with self sizes and V8's edge kinds and names; synthetic roots ("(GC roots)" and
// one category per kind of root); ArrayBuffer backing stores as native nodes. The JSON is
// streamed while the heap is walked (edges through a temporary file beside the output, strings
// interned and written last, as V8 does). Node ids follow the object index, so they are stable
// for the same core. What the graph left out is named in a synthetic node.
#pragma once
#include <string>
#include <vector>

#include "mortem/analysis/session.h"

namespace mortem {

struct SnapshotOptions {
  std::string path;  // the .heapsnapshot to write (a seekable file)
};

struct SnapshotResult {
  std::string file;
  uint64_t nodes = 0, edges = 0, strings = 0, bytes = 0;
  uint64_t heap_nodes = 0, native_nodes = 0, synthetic_nodes = 0;
  double seconds = 0;
  bool partial = false;
  std::vector<std::string> missing;  // what the heap graph left out (also a synthetic node)
  std::vector<std::string> warnings;
};

// Throws Error when the file cannot be written.
SnapshotResult WriteHeapSnapshot(Session& session, const SnapshotOptions& options);

}  // namespace mortem

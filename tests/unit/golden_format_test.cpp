// Golden tests of the formatting layer (src/format): each command's result, built by hand as the
// analyses build it (a few rows and the edge cases: empty and long names, text to escape,
// invalid UTF-8, zero counts, several isolates, warnings and partial results, absent optional
// columns), rendered as text and as JSON exactly as the CLI renders them, and compared byte for
// byte with tests/golden/<command>[-variant].txt / .json. A mismatch fails with a unified diff.
//
// To accept a deliberate change: MORTEM_UPDATE_GOLDEN=1 build/tests/mortem_unit_tests
// -tc='golden*' rewrites the files; review `git diff tests/golden` by hand before committing.
// Goldens that run an analysis too (on fake memory) are in golden_analysis_test.cpp.
#include <doctest/doctest.h>

#include <string>

#include "golden.h"

using namespace mortem;
using mortem::test::CheckGolden;
using mortem::test::CheckGoldens;
using mortem::test::CheckIsolateGoldens;

namespace {

const std::string kLongName =
    "AVeryLongConstructorNameThatAGeneratedBundleGaveItsClass_"
    "WithMoreThanEightyCharactersInIt_AndSomeMore";
// A name as a core may hold it: a quote, a tab, a newline, a terminal escape and a byte that is
// not UTF-8.
const std::string kHostileName = "say \"hi\"\tand\nbye \x1b[31mred\xff";

WalkSummary CleanWalk(uint64_t objects, uint64_t bytes) {
  WalkSummary w;
  w.objects = objects;
  w.object_bytes = bytes;
  w.filler_bytes = 4096;
  w.unused_bytes = 65536;
  w.lab_bytes = 32768;
  return w;
}

WalkSummary PartialWalk() {
  WalkSummary w = CleanWalk(1200, 96000);
  w.skipped_bytes = 8192;
  w.unreadable_bytes = 262144;
  w.resyncs = 2;
  w.moved_objects = 3;
  w.moved_bytes = 120;
  w.problems = {{0x3a5f00040000, "old_space", "bad map at 0x3a5f00041230", 8192},
                {0x3a5f00080000, "code_space", "page not in core", 262144}};
  return w;
}

std::vector<SpaceInfo> Spaces(uint64_t scale) {
  return {{"read_only_space", 0, 0, 0, 0},
          {"new_space", 1048576 * scale, 310224 * scale, 1 * scale, 4210 * scale},
          {"old_space", 4194304 * scale, 3981112 * scale, 16 * scale, 51023 * scale},
          {"large_object_space", 262144 * scale, 262128 * scale, 1 * scale, 1 * scale}};
}

ProcessFacts Process() {
  ProcessFacts p;
  p.pid = 4242;
  p.command_line = "node --max-old-space-size=64 server.js";
  p.signal = 6;
  p.executable = "/usr/local/bin/node";
  p.binary_path = "/opt/node/26.12.1/bin/node";
  p.build_id = "3f1c0a9e5b7d2468ace013579bdf02468ace1357";
  p.core_build_id = p.build_id;
  p.threads = {{4242, 0x55d0c0a01234, 0x7ffd1234a000, 0x7ffd1234a030},
               {4250, 0x7f3a11223344, 0x7f3a0fffe000, 0}};
  return p;
}

InfoResult Info(bool workers) {
  InfoResult r;
  r.node_version = "26.12.1";
  r.v8_version = "14.1.146.11-node.12";
  r.process = Process();
  r.isolate = 0x55d0c1000000;
  r.heap = 0x55d0c1010000;
  r.spaces = Spaces(1);
  r.walk = CleanWalk(55234, 4553464);
  IsolateHeapInfo main{{0, r.isolate, r.heap, 4242, true, 0x7ffd12000000},
                       0,
                       "",
                       "/srv/app/server.js",
                       r.spaces,
                       {6, 0, 0, 0},
                       r.walk};
  r.isolates.push_back(main);
  if (workers) {
    // A live process's thread names (the plugin's): the worker's OS name is its name option.
    r.process.threads[0].name = "node-MainThread";
    r.process.threads[1].name = "resizer";
    r.isolates.front().isolate.thread_name = "node-MainThread";
    r.isolates.push_back({{1, 0x7f3a08000000, 0x7f3a08010000, 4250, false, 0, "resizer"},
                          1,
                          "resizer",
                          "[worker eval]",
                          Spaces(2),
                          {5, 1, 1, 2, 524288},
                          PartialWalk()});
    r.isolates.push_back(
        {{2, 0x7f3a18000000, 0x7f3a18010000, 0, false, 0}, {}, {}, "", {}, {}, {}});
    r.broken_isolates.push_back({0x7f3a28010000, 3, "its new space's pages are not in the core"});
    r.warnings = {"the core is truncated: 1,048,576 bytes missing"};
  }
  return r;
}

TypeRow Row(std::string name, std::string kind, uint64_t count, uint64_t self,
            uint64_t retained = 0, Address largest = 0, uint64_t largest_retained = 0) {
  return {std::move(name), std::move(kind), count, self, retained, largest, largest_retained};
}

RetainerPath Path() {
  RetainerPath p;
  // Each step's edge is the one from the next step (toward the root) to it.
  p.steps = {{0x3a5f000412a9 - 1, "Session", "sessions"},
             {0x3a5f00041000, "Map", "store"},
             {0x3a5f00040e00, "system / Context", ""}};
  p.root = "(GC roots)";
  return p;
}

}  // namespace

TEST_CASE("golden: info of one isolate") {
  CheckGoldens("info", Info(false));
}

TEST_CASE("golden: info of a process with workers, one unreadable, one partial") {
  CheckGoldens("info-workers", Info(true));
}

TEST_CASE("golden: objects, with and without retained sizes") {
  ObjectsResult r;
  r.types = {Row("(string)", "string", 21034, 1203456, 1203456, 0x3a5f00050001, 1024),
             Row("Session", "object", 1000, 64000, 512000, 0x3a5f00060000, 2048),
             Row(kLongName, "object", 3, 96, 96),
             Row("", "closure", 12, 768, 1536),
             Row(kHostileName, "object", 1, 32, 0),
             Row("(system)", "hidden", 0, 0, 0)};
  r.total = Row("total", "", 22050, 1268352);
  r.rows_omitted = 17;
  r.has_retained = true;
  r.walk = CleanWalk(22050, 1268352);
  r.warnings = {"2 objects of an unknown map were counted as (unknown)"};
  CheckIsolateGoldens("objects-retained", r);

  r.has_retained = false;
  r.reachable_only = true;
  r.unreachable_objects = 340;
  r.unreachable_bytes = 27200;
  r.walk = PartialWalk();
  r.warnings.clear();
  CheckIsolateGoldens("objects-reachable-partial", r);
}

TEST_CASE("golden: objects of two isolates (a worker's), one warning in both") {
  ObjectsResult main;
  main.types = {Row("Session", "object", 1000, 64000), Row("(string)", "string", 300, 9600)};
  main.total = Row("total", "", 1300, 73600);
  main.walk = CleanWalk(1300, 73600);
  main.warnings = {"the core is truncated", "only in the main thread's"};
  ObjectsResult worker;
  worker.types = {Row("Job", "object", 5, 160)};
  worker.total = Row("total", "", 5, 160);
  worker.walk = CleanWalk(5, 160);
  worker.warnings = {"the core is truncated"};
  const IsolateInfo worker_isolate{1, 0x7f3a08000000, 0x7f3a08010000, 4250, false, 0};
  CheckIsolateGoldens("objects-workers",
                      std::vector<std::pair<IsolateInfo, ObjectsResult>>{
                          {mortem::test::MainIsolate(), main}, {worker_isolate, worker}});
}

TEST_CASE("golden: instances") {
  InstancesResult r;
  r.name = "Session";
  r.total = 1000;
  r.instances = {{0x3a5f00060000, 64, "Session {id: 1, user: \"alice\", data: Object}"},
                 {0x3a5f00060040, 64, "Session {id: 2, user: \"\", data: Object}"},
                 {0x3a5f00060080, 0, ""}};
  r.warnings = {"showing the first 3 of 1,000"};
  CheckIsolateGoldens("instances", r);
}

TEST_CASE("golden: inspect of an object with children, truncated") {
  InspectResult r;
  r.requested = 0x3a5f00060001;
  r.space = "old_space";
  r.map = 0x3a5f00000a01 - 1;
  v8::Value& v = r.value;
  v.kind = v8::Value::Kind::kObject;
  v.address = 0x3a5f00060000;
  v.type = "Session";
  v.instance_type = "JS_OBJECT_TYPE";
  v.text = "Session {id: 1, user: \"alice\", data: Object}";
  v.size = 64;
  v8::Value id;
  id.kind = v8::Value::Kind::kSmi;
  id.type = "Smi";
  id.text = "1";
  v8::Value user;
  user.kind = v8::Value::Kind::kString;
  user.address = 0x3a5f00061000;
  user.type = "(string)";
  user.instance_type = "ONE_BYTE_INTERNALIZED_STRING_TYPE";
  user.text = "\"" + kHostileName + "\"";
  user.size = 32;
  v8::Value data;
  data.kind = v8::Value::Kind::kArray;
  data.address = 0x3a5f00062000;
  data.type = "Array";
  data.instance_type = "JS_ARRAY_TYPE";
  data.text = "Array(100)";
  data.size = 32;
  v8::Value first;
  first.kind = v8::Value::Kind::kNumber;
  first.type = "HeapNumber";
  first.text = "3.5";
  data.children.emplace_back("[0]", first);
  data.omitted_children = 99;
  data.truncated = true;
  v8::Value gone;
  gone.kind = v8::Value::Kind::kUnreadable;
  gone.address = 0x3a5f000fff00;
  gone.text = "<not in the core>";
  v.children.emplace_back("id", id);
  v.children.emplace_back("user", user);
  v.children.emplace_back("data", data);
  v.children.emplace_back("", gone);
  v.omitted_children = 2;
  r.warnings = {"the object's map is in a page the walk could not parse"};
  CheckIsolateGoldens("inspect", r);

  InspectResult fn;
  fn.requested = 0x3a5f00070000;
  fn.space = "old_space";
  fn.map = 0x3a5f00000b00;
  fn.value.kind = v8::Value::Kind::kFunction;
  fn.value.address = 0x3a5f00070000;
  fn.value.type = "handler";
  fn.value.instance_type = "JS_FUNCTION_TYPE";
  fn.value.text = "function handler at /srv/app/server.js:12:20";
  fn.value.size = 32;
  fn.source = "function handler(req, res) {\n  res.end(\"ok\");\n}";
  CheckIsolateGoldens("inspect-function-source", fn);
}

TEST_CASE("golden: buffers") {
  BuffersResult r;
  // Totals as RunBuffers adds them up over every buffer (12 of them not listed: --top).
  r.totals = {16,
              8 * 1024 * 1024 + 8192 + 64,
              16 + 8192 + 64,
              8 * 1024 * 1024 - 16,
              8 * 1024 * 1024 + 8192,
              5,
              2,
              65536 + 32,
              1,
              65536,
              3,
              3 * 4096};  // garbage: 3 unreachable ArrayBuffers left out
  ArrayBufferInfo pool{
      0x3a5f00090000, 0x55d0c2000000, 8192, 8192, "buffer pool", true, false, false,
      false,          false,          true, {},   8192,          0,    {}};
  pool.views = {{0x3a5f00090100, "Buffer", 0, 4096, false},
                {0x3a5f00090200, "Buffer", 4096, 4096, false}};
  ArrayBufferInfo big{0x3a5f000a0000,
                      0x7f3a30000000,
                      8 * 1024 * 1024,
                      8 * 1024 * 1024,
                      "plain",
                      true,
                      false,
                      false,
                      false,
                      false,
                      false,
                      {},
                      16,
                      8 * 1024 * 1024 - 16,
                      {}};
  big.views = {{0x3a5f000a0100, "Uint8Array", 1024, 16, false},
               {0x3a5f000a0200, "DataView", 8 * 1024 * 1024, 64, true}};
  big.problems = {"a view reaches past the buffer's end (offset 8,388,608 + 64 bytes)"};
  ArrayBufferInfo small{0x3a5f000b0000, 0x3a5f000b0040, 64,   64, "on-heap", false, false, false,
                        false,          false,          true, {}, 64,        0,     {}};
  small.views = {{0x3a5f000b0100, "Float64Array", 0, 64, false}};
  ArrayBufferInfo detached{0x3a5f000c0000, 0,     0,     0,  "detached", false, true, false,
                           false,          false, false, {}, 0,          0,     {}};
  r.array_buffers = {big, pool, small, detached};
  r.omitted = 12;
  RetentionCause views{"small views of larger buffers",
                       1,
                       1,
                       8 * 1024 * 1024,
                       8 * 1024 * 1024 - 16,
                       "1 view of 16 bytes keeps 8.0 MiB alive",
                       0x3a5f000a0100,
                       Path()};
  RetentionCause none{"node buffer pool", 0, 0, 0, 0, "", 0, {}};
  r.retention = {views, none};
  r.external_strings = {{0x3a5f000d0000, 65536, true, "/* bundled source */ (function(){"},
                        {0x3a5f000d1000, 32, false, kHostileName}};
  r.warnings = {"2 backing stores are not in the core: their bytes are not checked"};
  CheckIsolateGoldens("buffers", r);
}

TEST_CASE("golden: retainers, reachable and not") {
  RetainersResult r;
  r.target = 0x3a5f000412a8;
  r.target_type = "Session";
  r.reachable = true;
  RetainerPath stack = Path();
  stack.root = "(Stack roots) thread 1";
  stack.steps.pop_back();
  stack.steps.front().edge = kHostileName;
  r.paths = {Path(), stack};
  r.graph_nodes = 60123;
  r.graph_edges = 240577;
  r.reached = 58000;
  r.reached_with_weak = 59002;
  r.dangling_references = 3;
  r.roots_table = 600;
  r.global_handles = 120;
  r.weak_global_handles = 40;
  r.eternal_handles = 12;
  r.stack_roots = 35;
  r.node_wraps = 8;
  r.builtins = 2300;
  r.startup_object_cache = 900;
  r.shared_heap_object_cache = 0;
  r.external_strings = 4;
  r.internalized_strings = 7000;
  CheckIsolateGoldens("retainers", r);

  RetainersResult lost;
  lost.target = 0x3a5f000fff00;
  lost.target_type = "(unknown)";
  lost.graph_nodes = 10;
  lost.partial = true;
  lost.warnings = {"3 pages were left out of the graph"};
  CheckIsolateGoldens("retainers-unreachable", lost);
}

TEST_CASE("golden: refs") {
  RefsResult r;
  r.query = "0x3a5f000412a8";
  r.targets = {0x3a5f000412a8};
  r.references = {{0x3a5f00041000, "Map", "sessions", false},
                  {0x3a5f00042000, "WeakRef", "target", true},
                  {0x3a5f00043000, "", kHostileName, false}};
  CheckIsolateGoldens("refs", r);

  RefsResult none;
  none.query = "never-seen";
  none.warnings = {"no string with that text"};
  CheckIsolateGoldens("refs-none", none);
}

TEST_CASE("golden: dominators") {
  DominatorsResult r;
  r.rows = {{0x3a5f00041000, "Map", 48, 512000, Path()},
            {0x3a5f00050000, kLongName, 0, 0, {}},
            {0x3a5f00051000, "", 16, 16, {}}};
  r.heap_objects = 60123;
  r.reached = 58000;
  r.total_retained = 4500000;
  r.partial = true;
  r.warnings = {"objects on 2 pages were left out of the graph"};
  CheckIsolateGoldens("dominators", r);
}

TEST_CASE("golden: snapshot summary") {
  SnapshotResult r;
  r.file = "/tmp/app.heapsnapshot";
  r.nodes = 58123;
  r.edges = 230004;
  r.strings = 21000;
  r.bytes = 9876543;
  r.heap_nodes = 58000;
  r.native_nodes = 100;
  r.synthetic_nodes = 23;
  r.seconds = 1.25;
  r.partial = true;
  r.missing = {"2 pages of old_space not in the core"};
  r.warnings = {"the core is truncated"};
  CheckGoldens("snapshot", r);
}

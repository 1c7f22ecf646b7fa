// Golden tests of the formatting layer for the reports made of several parts: `stack` (native,
// JS and typed V8 frames of several threads, an exception), `source`, `handles`, `diff` (with
// and without retained sizes) and `triage`, whose suspects and metrics are concluded by the
// analysis (JudgeTriage) from hand-built facts and a glibc 2.36 malloc account on fake memory.
// Rendered as text (triage also as Markdown) and JSON as the CLI renders them and compared byte
// for byte with tests/golden/<command>[-variant].txt / .md / .json; a mismatch fails with a
// unified diff.
//
// To accept a deliberate change: MORTEM_UPDATE_GOLDEN=1 build/tests/mortem_unit_tests
// -tc='golden*' rewrites the files; review `git diff tests/golden` by hand before committing.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "glibc_fixture.h"
#include "golden.h"
#include "mortem/analysis/triage.h"

using namespace mortem;
using mortem::test::CheckGolden;
using mortem::test::CheckGoldens;
using mortem::test::CheckIsolateGoldens;

namespace {

StackFrameRow Native(size_t index, Address pc, std::string module, std::string symbol,
                     uint64_t offset) {
  StackFrameRow row;
  row.index = index;
  row.native = {pc,
                0x7ffd1234a000 + index * 0x40,
                0x7ffd1234a100 + index * 0x40,
                std::move(symbol),
                offset,
                std::move(module)};
  return row;
}

StackFrameRow Js(size_t index, std::string function, std::string script, int line, bool exact) {
  StackFrameRow row = Native(index, 0x3a5f10000000 + index * 0x100, "", "", 0);
  row.v8.kind = v8::V8Frame::Kind::kJavaScript;
  row.v8.type = exact ? "interpreted" : "baseline";
  row.v8.function = 0x3a5f00070001 + index * 0x40;
  row.v8.function_name = std::move(function);
  row.v8.location = {std::move(script), line, line ? 7 : 0};
  row.v8.position_exact = exact;
  row.v8.receiver = "Server {connections: 3}";
  row.v8.arguments = {"\"GET\"", "42", "undefined"};
  row.v8.arguments_omitted = exact ? 0 : 5;
  return row;
}

StackFrameRow Typed(size_t index, std::string type) {
  StackFrameRow row = Native(index, 0x3a5f20000000 + index * 0x100, "", "", 0);
  row.v8.kind = v8::V8Frame::Kind::kTyped;
  row.v8.type = std::move(type);
  return row;
}

ThreadStack CrashingThread() {
  ThreadStack t;
  t.number = 1;
  t.tid = 4242;
  t.isolate = 0;
  t.frames = {
      Native(0, 0x7f3a00012345, "/usr/lib/x86_64-linux-gnu/libc.so.6", "__pthread_kill", 0x11c),
      Native(1, 0x55d0c0a01234, "/opt/node/bin/node", "node::OOMErrorHandler(char const*)", 64),
      Typed(2, "Exit"),
      Js(3, "handleRequest", "/srv/app/server.js", 41, true),
      Js(4, "", "", 0, false),
      Js(5, "onconnection", "node:net", 2000, false),
      Typed(6, "Entry"),
      Native(7, 0x55d0c0a05678, "/opt/node/bin/node", "", 0),
      Native(8, 0x7f3a000aaaaa, "", "", 0)};
  t.js_frames = 3;
  return t;
}

v8::ErrorInfo Exception() {
  return {0x3a5f00080000,
          "TypeError",
          "Cannot read properties of undefined (reading 'id')",
          {"at handleRequest (/srv/app/server.js:41:7)", "at Server.emit (node:events:519:28)"},
          true};
}

StackResult Stack() {
  StackResult r;
  r.signal = 6;
  r.threads.push_back(CrashingThread());
  ThreadStack worker;
  worker.number = 2;
  worker.tid = 4250;
  worker.isolate = 1;
  worker.frames = {
      Native(0, 0x7f3a00054321, "/usr/lib/x86_64-linux-gnu/libc.so.6", "epoll_wait", 0x4e)};
  worker.stopped_because = "no unwind information for 0x7f3a00054321";
  ThreadStack idle;
  idle.number = 3;
  idle.tid = 4251;
  r.threads = {CrashingThread(), worker, idle};
  r.exception = Exception();
  r.fatal_function = "node::OOMErrorHandler";
  r.fatal_messages = {"Allocation failed - JavaScript heap out of memory", "Reached heap limit"};
  r.unwinder = "native unwinder";
  r.warnings = {"thread 3 has no registers in the core"};
  return r;
}

}  // namespace

TEST_CASE("golden: stack of three threads with an exception and a fatal error") {
  CheckGoldens("stack", Stack());
}

TEST_CASE("golden: stack of a thread without JS, and an exception alone") {
  StackResult r;
  ThreadStack t;
  t.number = 1;
  t.tid = 10;
  t.frames = {Native(0, 0x401000, "/bin/sleep", "main", 0)};
  r.threads = {t};
  r.unwinder = "frame pointers";
  CheckGoldens("stack-native", r);
  // An exception as text (its JSON is part of stack's and triage's).
  CheckGolden("error.txt", mortem::test::RenderText(Exception()));
}

TEST_CASE("golden: source around a frame, and a frame without source") {
  SourceResult r;
  r.thread = 1;
  r.frame = 3;
  r.function = "handleRequest";
  r.location = {"/srv/app/server.js", 41, 7};
  r.lines = {{39, "function handleRequest(req, res) {"},
             {40, "  const user = sessions.get(req.id);"},
             {41, "  res.end(user.id); // \"boom\"\t"},
             {42, "}"}};
  CheckGoldens("source", r);

  SourceResult none;
  none.thread = 1;
  none.frame = 0;
  none.note = "no JS frame at or after frame 0 of thread 1";
  CheckGoldens("source-none", none);
}

TEST_CASE("golden: handles, requests, timers and immediates") {
  HandlesResult r;
  r.environments = {0x55d0c3000000, 0x7f3a09000000};
  r.handles = {{0x55d0c3001000, 0x3a5f000e0000, "TCPServerWrap", "TCP", "Server", "TCPSERVERWRAP",
                true, "Server {_connections: 3}"},
               {0x55d0c3002000, 0x3a5f000e1000, "TCPSocketWrap", "TCP", "Socket", "TCPWRAP", true,
                "Socket {remoteAddress: \"127.0.0.1\"}"},
               {0x55d0c3003000, 0, "SignalWrap", "", "", "", false, ""}};
  r.requests = {
      {0x55d0c3004000, 0x3a5f000e2000, "FSReqCallback", "FSReqCallback", "", "", true, ""}};
  r.handle_counts = {{"SignalWrap", 1}, {"TCPServerWrap", 1}, {"TCPSocketWrap", 1}};
  r.request_counts = {{"FSReqCallback", 1}};
  JsTimer timeout;
  timeout.object = 0x3a5f000f0000;
  timeout.kind = "Timeout";
  timeout.callback = "tick";
  timeout.callback_object = 0x3a5f000f1000;
  timeout.script = "/srv/app/server.js";
  timeout.line = 12;
  timeout.column = 3;
  timeout.duration_ms = 1000;
  timeout.repeat_ms = 1000;
  JsTimer unrefed = timeout;
  unrefed.object = 0x3a5f000f2000;
  unrefed.callback = "(anonymous)";
  unrefed.script = "";
  unrefed.line = unrefed.column = 0;
  unrefed.repeat_ms.reset();
  unrefed.duration_ms = 0.5;
  unrefed.refed = false;
  unrefed.destroyed = true;
  JsTimer immediate;
  immediate.object = 0x3a5f000f3000;
  immediate.kind = "Immediate";
  immediate.callback = "flush";
  r.timers = {timeout, unrefed};
  r.immediates = {immediate};
  r.resource_counts = {{"FSReqCallback", 1},
                       {"Immediate", 1},
                       {"TCPServerWrap", 1},
                       {"TCPSocketWrap", 1},
                       {"Timeout", 1}};
  r.truncated = true;
  r.warnings = {"the handle queue of Environment 0x7f3a09000000 is longer than 1,048,576"};
  CheckIsolateGoldens("handles", r);

  HandlesResult requests_only;
  requests_only.listed_handles = false;
  requests_only.listed_timers = false;
  CheckIsolateGoldens("handles-requests-only", requests_only);
}

namespace {

DiffRow DiffRowOf(std::string name, std::string kind, uint64_t old_count, uint64_t new_count,
                  uint64_t old_size, uint64_t new_size) {
  DiffRow row;
  row.name = std::move(name);
  row.kind = std::move(kind);
  row.count = {old_count, new_count};
  row.self_size = {old_size, new_size};
  row.retained_size = {old_size * 4, new_size * 4};
  return row;
}

DiffResult Diff() {
  DiffResult r;
  r.old_core = {4242, 0, 0, "3f1c0a9e5b7d2468ace013579bdf02468ace1357", {}};
  r.new_core = {4243, 1, 1, "3f1c0a9e5b7d2468ace013579bdf02468ace1357", {}};
  r.old_core.walk.objects = 50000;
  r.new_core.walk.objects = 61000;
  r.old_core.unreachable_objects = 1200, r.old_core.unreachable_bytes = 96000;
  r.new_core.unreachable_objects = 34000, r.new_core.unreachable_bytes = 2720000;
  DiffRow grown = DiffRowOf("Session", "object", 10, 1010, 640, 64640);
  DiffSample sample;
  sample.address = 0x3a5f000412a8;
  sample.is_new = true;
  sample.path = RetainerPath{{{0x3a5f000412a8, "Session", "sessions"}, {0x3a5f00041000, "Map", ""}},
                             "(GC roots)"};
  sample.tried = 8;
  sample.agreeing = 7;
  grown.sample = sample;
  DiffRow unsampled = DiffRowOf("(string)", "string", 20000, 20500, 1200000, 1230000);
  DiffSample lost;
  lost.address = 0x3a5f00051000;
  lost.tried = 3;
  unsampled.sample = lost;
  r.rows = {grown, unsampled, DiffRowOf("", "closure", 0, 4, 0, 128),
            DiffRowOf("Buffer", "object", 3, 3, 300, 300),
            DiffRowOf("Request", "object", 500, 0, 40000, 0)};
  r.total = DiffRowOf("total", "", 50000, 61000, 4000000, 4900000);
  r.rows_omitted = 40;
  r.has_retained = true;
  r.sort = "size";
  r.warnings = {"the cores' isolates were paired by threadId"};
  return r;
}

}  // namespace

TEST_CASE("golden: diff, with and without retained sizes") {
  DiffResult r = Diff();
  CheckIsolateGoldens("diff-retained", r);
  r.has_retained = false;
  r.sort = "count";
  r.new_core.thread_id.reset();
  r.warnings.clear();
  r.rows.resize(2);
  r.rows_omitted = 0;
  CheckIsolateGoldens("diff", r);
}

namespace {

// What RunTriage gathers, by hand: a heap holding a leak of sessions, a buffer slab kept by a
// small view, duplicated strings, many closures and many sockets; the crashing thread's stack.
TriageResult Gathered(std::vector<TypeRow>& rows) {
  TriageResult r;
  r.info.node_version = "26.12.1";
  r.info.v8_version = "14.1.146.11-node.12";
  r.info.process.pid = 4242;
  r.info.process.command_line = "node server.js";
  r.info.process.signal = 6;
  r.info.process.binary_path = "/opt/node/bin/node";
  r.info.process.build_id = "3f1c0a9e5b7d2468ace013579bdf02468ace1357";
  r.info.spaces = {{"new_space", 1048576, 524288, 1, 1000},
                   {"old_space", 16777216, 15728640, 64, 250000}};
  r.info.walk.objects = 251000;
  r.info.walk.object_bytes = 16252928;
  r.info.isolate = 0x55d0c1000000;
  r.info.heap = 0x55d0c1010000;
  IsolateHeapInfo main;
  main.isolate = {0, r.info.isolate, r.info.heap, 4242, true, 0};
  main.node_thread_id = 0;
  main.spaces = r.info.spaces;
  main.walk = r.info.walk;
  r.info.isolates = {main};
  r.crashing_thread = CrashingThread();
  r.exception = Exception();
  rows = {{"Session", "object", 100000, 6400000, 12000000, 0x3a5f000412a8, 4096},
          {"(string)", "string", 120000, 5000000, 5000000, 0, 0},
          {"onData", "closure", 12000, 768000, 800000, 0, 0},
          {"Socket", "object", 1500, 300000, 900000, 0x3a5f000e1000, 2048},
          {"(system)", "hidden", 0, 0, 0, 0, 0}};
  r.top_by_count = {rows[1], rows[0], rows[2]};
  r.top_by_size = {rows[0], rows[1], rows[2]};
  RetainerPath path{{{0x3a5f000412a8, "Session", "sessions"}, {0x3a5f00041000, "Map", ""}},
                    "(GC roots)"};
  r.top_by_retained = {{rows[0], 0x3a5f000412a8, path}, {rows[1], 0, {}}};
  r.dominators = {{0x3a5f00041000, "Map", 48, 12000000, path}};
  r.buffers = {2, 16u << 20, 64, (16u << 20) - 64, 16u << 20, 2, 0, 0, 0, 0};
  r.retention = {{"small views of larger buffers", 1, 1, 16u << 20, (16u << 20) - 64,
                  "1 view of 64 bytes keeps 16.0 MiB alive", 0x3a5f000a0100, path}};
  r.duplicate_strings = {{"application/json", 40000, 32, 1279968},
                         {"say \"hi\"\n\x1b[2J\xfe", 3, 24, 48}};
  r.duplicate_string_bytes = 1280016;
  r.unreachable_objects = 300000, r.unreachable_bytes = 24000000;
  r.closures = {rows[2]};
  r.handles = {{"TCPSocketWrap", 1500}, {"TCPServerWrap", 1}};
  r.requests = {{"FSReqCallback", 2}};
  r.warnings = {"the core is truncated: 4,096 bytes missing"};
  return r;
}

// As `triage` prints it: JSON with the --fail-if conditions that hold (commands_stack.cpp).
void CheckTriage(const std::string& name, const TriageResult& r,
                 const std::vector<std::string>& fail_if) {
  CheckIsolateGoldens(
      name, std::vector<std::pair<IsolateInfo, TriageResult>>{{mortem::test::MainIsolate(), r}},
      [&](const TriageResult& t) {
        nlohmann::json j = format::ToJson(t);
        j["failed_conditions"] = FailingConditions(t, fail_if);
        return j;
      });
}

std::string Markdown(const TriageResult& r) {
  std::ostringstream out;
  format::PrintMarkdown(r, out);
  return EscapeControls(out.str());
}

}  // namespace

TEST_CASE("golden: triage's suspects and metrics concluded from gathered facts") {
  std::vector<TypeRow> rows;
  TriageResult r = Gathered(rows);
  test::glibc::Fixture malloc_memory;
  JudgeTriage(r, rows, native::ReadMalloc(malloc_memory.memory, malloc_memory.mappings));
  CheckTriage("triage", r, {"count(Session) > 50000"});
  CheckGolden("triage.md", Markdown(r));
  // The metrics (in the JSON golden) are what --fail-if reads: 1,501 handles, 128 KiB native.
  const auto holding =
      FailingConditions(r, {"count(Session) > 50000", "handles >= 2000", "native < 1MiB"});
  REQUIRE(holding.size() == 2);
  CHECK(holding[0].starts_with("count(Session) > 50000"));
  CHECK(holding[1].starts_with("native < 1MiB"));
}

TEST_CASE("golden: triage with --no-retained of a partial heap, nothing suspect") {
  std::vector<TypeRow> rows;
  TriageResult r = Gathered(rows);
  r.top_by_retained.clear();
  r.dominators.clear();
  r.retained_listed = false;
  r.crashing_thread.reset();
  r.exception.reset();
  r.retention.clear();
  r.duplicate_strings.clear();
  r.duplicate_string_bytes = 0;
  r.closures.clear();
  r.handles.clear();
  r.requests.clear();
  r.top_by_size = {rows[3]};
  r.top_by_count = {rows[3]};
  r.partial = true;
  r.info.walk.skipped_bytes = 4096;
  JudgeTriage(r, {rows[3]}, native::MallocReport{});
  CheckTriage("triage-no-retained", r, {});
  CheckGolden("triage-no-retained.md", Markdown(r));
}

TEST_CASE("golden: triage's overview of a main thread and a worker, before their sections") {
  std::vector<TypeRow> rows;
  TriageResult main = Gathered(rows);
  TriageResult worker = Gathered(rows);
  // The worker: its own thread and heap, no crash, a leak of its own; malloc is the process's.
  IsolateHeapInfo& w = worker.info.isolates.front();
  w.isolate = {1, 0x7f3a10001000, 0x7f3a10010000, 4250, false, 0};
  w.node_thread_id = 1;
  w.node_thread_name = "pdf-render";
  w.origin = "/srv/app/render.js";
  w.spaces = {{"old_space", 8388608, 7340032, 32, 90000}};
  main.info.isolates.front().node_thread_name = "";
  main.info.isolates.front().origin = "/srv/app/server.js";
  worker.crashing_thread.reset();
  worker.exception.reset();
  worker.unreachable_objects = 12;
  rows[0].name = "PdfPage";
  rows[0].count = 20000;
  worker.top_by_retained = {{rows[0], 0x2b1f000412a8, {}}};
  test::glibc::Fixture malloc_memory;
  const auto malloc = native::ReadMalloc(malloc_memory.memory, malloc_memory.mappings);
  for (TriageResult* r : {&main, &worker}) {
    r->all_heaps_committed = 4u << 10;  // both isolates weigh malloc against the same heaps
    JudgeTriage(*r, rows, malloc);
    // As a fragmented arena makes JudgeTriage say it, in each isolate's report.
    r->suspects.push_back({"native",
                           "glibc malloc holds 35.8 MiB free in its main arena (84% of its "
                           "42.6 MiB): fragmentation",
                           {"mortem memory CORE"}});
  }
  for (bool markdown : {false, true}) {
    std::ostringstream out;
    format::PrintTriageOverview({main, worker}, out, markdown);
    CheckGolden(markdown ? "triage-overview.md" : "triage-overview.txt", out.str());
  }
}

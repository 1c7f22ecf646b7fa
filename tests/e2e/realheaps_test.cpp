// End-to-end test of mortem on heaps that real third-party code built (issue 19): the TypeScript
// compiler API type-checking a generated program, an Express server with express-session's
// MemoryStore after 20,000 logins over HTTP, sql.js with a WebAssembly database (the scenarios
// fixtures/scenarios/{typescript,express,sqljs}.js, whose npm packages are pinned by
// fixtures/npm/package-lock.json). The oracle is V8's heap snapshot written by the same process
// just before the core; per scenario:
//  - rows: every row the snapshot has 50+ instances of is within 2% of it in `objects` (live
//    objects, the default), in count and in self size. From V8 13.6 (Node 24) the snapshot sizes
//    external strings with their characters, as mortem does there, and read-only objects as 0:
//    on such snapshots (detected: a primitive of size 0) the (string) row's read-only strings
//    count at the heap size of their text, and the other rows that hold read-only objects
//    ((symbol), (heap number), and "(system)" with read-only maps, holes and private symbols)
//    have their counts compared and their self sizes printed.
//    Rows known to be off on some lines ("(compiled code)"; express's "(array)") are checked in
//    test cases of their own: strictly on the lines where they hold, marked may_fail with issue
//    19 item 9 on the others (see there);
//    The classes scenario.json counts are exact in count and self size;
//  - retained: the 10 object classes retaining the most in the snapshot's own dominator tree
//    (DevTools' rule: instances no other instance of the class dominates) within 10% in
//    `objects --retained` (may_fail: issue 19 item 3, see there);
//  - triage: the first suspect is the class scenario.json names as the leak, if it names one;
//  - paths: every step of the paths `retainers` prints for the leak's example and for instances
//    of the classes scenario.json lists is an edge the snapshot has, with the same name between
//    nodes of the same classes (may_fail: issue 19 items 1 and 2, see there).
// Every check prints its figures ([e2e] lines), whether it holds or not.
// Environment: MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_SCENARIOS, MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <tuple>

#include "snapshot_graph.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

constexpr uint64_t kMinInstances = 50;
constexpr double kRowTolerance = 0.02;
constexpr double kRetainedTolerance = 0.10;
constexpr size_t kTopClasses = 10;
constexpr size_t kPathsPerObject = 3;
constexpr size_t kInstancesPerClass = 2;

std::string Label() {
  return Env("MORTEM_E2E_LABEL").value_or("?");
}

// Whether this run's Node line (MORTEM_E2E_LABEL "26.12.1": 26) is one of those where a check
// is known to be off (issue 19); an unknown line counts as one.
bool KnownOffHere(std::initializer_list<int> majors) {
  const int major = std::atoi(Label().c_str());
  return major == 0 || std::find(majors.begin(), majors.end(), major) != majors.end();
}

std::string Percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", x * 100);
  return buf;
}

double RelativeDiff(uint64_t expected, uint64_t actual) {
  if (expected == 0) return actual == 0 ? 0.0 : 1.0;
  return (static_cast<double>(actual) - static_cast<double>(expected)) /
         static_cast<double>(expected);
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return json::parse(in);
}

// One scenario's files, its snapshot as a graph and mortem's rows with retained sizes, loaded
// once for every test case.
struct Scenario {
  std::string name;
  fs::path dir;
  json facts;  // scenario.json
  SnapshotGraph graph;
  json objects;  // objects --retained --json (live objects)
  double objects_seconds = 0;
};

std::vector<std::string> ScenarioNames() {
  return SplitList(Require("MORTEM_E2E_SCENARIOS"));
}

const Scenario& Load(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Scenario>> cache;
  auto& slot = cache[name];
  if (slot) return *slot;
  auto s = std::make_unique<Scenario>();
  s->name = name;
  s->dir = fs::path(Require("MORTEM_E2E_DIR")) / name;
  s->facts = ReadJson(s->dir / "scenario.json");
  s->graph = LoadSnapshotGraph(s->dir / "heap.heapsnapshot");
  RunResult run = RunCli({"objects", (s->dir / "core").string(), "--retained", "--json"});
  INFO("mortem objects: " << run.Describe() << "; stderr:\n" << run.err);
  REQUIRE(run.CleanExit());
  CHECK_MESSAGE(run.exit_code == 0,
                "mortem objects on an intact core should exit 0 (got " << run.exit_code << ")");
  s->objects = json::parse(run.out);
  s->objects_seconds = run.seconds;
  slot = std::move(s);
  return *slot;
}

bool IsPrimitiveKind(const std::string& kind);

// The heap size of a read-only string the 13.6+ snapshot sizes as 0, from its text (the node's
// name): a sequential string, 16 header bytes (map, hash, length) and its characters, one byte
// each if all are Latin-1, else two, rounded up to 8 (V8's SeqOneByteString/SeqTwoByteString::
// SizeFor without pointer compression).
uint64_t ReadOnlyStringHeapSize(const std::string& utf8) {
  uint64_t units = 0;
  bool one_byte = true;
  for (size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    // Latin-1 is U+0000..U+00FF: one byte, or two starting 0xc2/0xc3.
    one_byte &= n == 1 || (n == 2 && c <= 0xc3);
    units += n == 4 ? 2 : 1;  // UTF-16 units
    i += n;
  }
  const uint64_t bytes = 16 + units * (one_byte ? 1 : 2);
  return (bytes + 7) & ~uint64_t{7};
}

// The snapshot's rows. With `read_only_strings_sized` (a 13.6+ snapshot, which sizes read-only
// objects as 0), the (string) row's read-only strings count at their heap size, as mortem counts
// them; the rest of the row is the snapshot's own self sizes (external strings with their
// characters, as mortem counts them from 13.6 on).
Rows SnapshotRows(const SnapshotGraph& g, bool read_only_strings_sized = false) {
  Rows rows;
  for (size_t i = 0; i < g.n; ++i) {
    const std::string kind = g.Type(i);
    if (!IsComparedKind(kind)) continue;
    auto& row = rows[RowKey{kind, RowName(kind, g.Name(i))}];
    row.count++;
    uint64_t size = g.nodes[i * g.k + g.si];
    if (read_only_strings_sized && size == 0 && kind == "string")
      size = ReadOnlyStringHeapSize(g.Name(i));
    row.self_size += size;
  }
  return rows;
}

bool IsPrimitiveKind(const std::string& kind) {
  return kind == "string" || kind == "symbol" || kind == "number";
}

// Rows that hold read-only objects (symbols, heap numbers; maps, holes and private symbols in
// "(system)"), whose snapshot self sizes follow V8 13.6+'s rules. (string) is compared: see
// SnapshotRows.
bool HoldsReadOnlyObjects(const std::string& kind) {
  return kind == "symbol" || kind == "number" || kind == "hidden";
}

// V8 13.6+'s rule: read-only objects (the only primitives that can be of size 0) sized as 0.
bool SnapshotSizesByItsOwnRules(const SnapshotGraph& g) {
  for (size_t i = 0; i < g.n; ++i)
    if (g.nodes[i * g.k + g.si] == 0 && IsPrimitiveKind(g.Type(i))) return true;
  return false;
}

// Which rows a check covers: all but the known-off ones, or those alone (see their test case):
// "(compiled code)" everywhere, "(array)" of the express heap.
enum class RowSet { kAllButKnownOff, kKnownOff };

bool IsKnownOff(const std::string& scenario, const RowKey& key) {
  return key.kind == "code" || (scenario == "express" && key.kind == "array");
}

void CheckRows(const Scenario& s, RowSet set) {
  const std::string label = Label() + " " + s.name;
  const bool primitive_sizes_differ = SnapshotSizesByItsOwnRules(s.graph);
  const Rows snapshot = SnapshotRows(s.graph, primitive_sizes_differ);
  const Rows ours = ParseObjectsJson(s.objects.dump());
  std::vector<std::vector<std::string>> table{
      {"kind / name", "snapshot", "mortem", "diff", "snapshot self", "mortem self", "diff", ""}};
  size_t compared = 0, within = 0;
  for (const auto& [key, snap] : snapshot) {
    if (snap.count < kMinInstances || IsKnownOff(s.name, key) != (set == RowSet::kKnownOff))
      continue;
    ++compared;
    auto it = ours.find(key);
    const RowStats got = it == ours.end() ? RowStats{} : it->second;
    const double count_diff = RelativeDiff(snap.count, got.count);
    const double size_diff = RelativeDiff(snap.self_size, got.self_size);
    const bool size_compared = !(primitive_sizes_differ && HoldsReadOnlyObjects(key.kind));
    const bool ok = std::fabs(count_diff) <= kRowTolerance &&
                    (!size_compared || std::fabs(size_diff) <= kRowTolerance);
    within += ok;
    if (!ok || !size_compared)
      table.push_back({key.kind + " / " + key.name.substr(0, 50), WithCommas(snap.count),
                       WithCommas(got.count), Percent(count_diff), WithCommas(snap.self_size),
                       WithCommas(got.self_size), Percent(size_diff),
                       ok ? "ok (self size: V8's format rules)" : "OFF"});
    CHECK_MESSAGE(std::fabs(count_diff) <= kRowTolerance,
                  label << " " << key.kind << " / " << key.name << ": count mortem " << got.count
                        << ", snapshot " << snap.count);
    if (size_compared)
      CHECK_MESSAGE(std::fabs(size_diff) <= kRowTolerance,
                    label << " " << key.kind << " / " << key.name << ": self size mortem "
                          << got.self_size << ", snapshot " << snap.self_size);
  }
  std::cout << "[e2e] " << label << (set == RowSet::kKnownOff ? " known-off rows: " : " rows: ")
            << within << "/" << compared << " of " << kMinInstances << "+ instances within "
            << kRowTolerance * 100 << "% in count and self size; snapshot " << WithCommas(s.graph.n)
            << " nodes; mortem " << s.objects_seconds << "s\n";
  if (table.size() > 1) std::cout << FormatTable(table);
  CHECK(compared > 0);
}

void CheckRetained(const Scenario& s) {
  const std::string label = Label() + " " + s.name;
  const auto expected = SnapshotRetainedByClass(s.graph);
  std::vector<std::pair<uint64_t, std::string>> ranked;
  for (const auto& [name, bytes] : expected) ranked.push_back({bytes, name});
  std::sort(ranked.rbegin(), ranked.rend());
  if (ranked.size() > kTopClasses) ranked.resize(kTopClasses);
  std::vector<std::vector<std::string>> table{{"class", "snapshot retained", "mortem", "diff", ""}};
  for (const auto& [want, name] : ranked) {
    uint64_t got = 0;
    for (const auto& row : s.objects["types"])
      if (row["kind"] == "object" && row["name"] == name) got += row.value("retained_size", 0ull);
    const double diff = RelativeDiff(want, got);
    const bool ok = std::fabs(diff) <= kRetainedTolerance;
    table.push_back(
        {name.substr(0, 50), WithCommas(want), WithCommas(got), Percent(diff), ok ? "ok" : "OFF"});
    CHECK_MESSAGE(ok, label << " retained " << name << ": mortem " << got << ", snapshot " << want
                            << " (" << Percent(diff) << ")");
  }
  std::cout << "[e2e] " << label << " retained, top " << ranked.size()
            << " classes of the snapshot's dominator tree:\n"
            << FormatTable(table);
  CHECK(!ranked.empty());
}

// "example: v8 inspect 0x..." in a suspect's evidence: the address.
std::string ExampleAddress(const json& suspect) {
  for (const auto& line : suspect.value("evidence", json::array())) {
    const std::string text = line.get<std::string>();
    const auto at = text.find("v8 inspect 0x");
    if (at != std::string::npos) return text.substr(at + 11, text.find(' ', at + 11) - at - 11);
  }
  return "";
}

// A step of a path as the snapshot would have it: (holder row name, edge name, target row name).
using EdgeTriple = std::tuple<std::string, std::string, std::string>;

// The snapshot's edge name as mortem prints it: element and hidden edges by "[index]".
std::string SnapshotEdgeName(const SnapshotGraph& g, const uint64_t* edge) {
  const std::string type = g.et[edge[g.ett]];
  if (type == "element" || type == "hidden") return "[" + std::to_string(edge[g.eni]) + "]";
  return g.strings[edge[g.eni]].get<std::string>();
}

std::string SnapshotRowName(const SnapshotGraph& g, size_t node) {
  return RowName(g.Type(node), g.Name(node));
}

// Which of the wanted triples the snapshot has.
std::set<EdgeTriple> SnapshotHas(const SnapshotGraph& g, const std::set<EdgeTriple>& wanted) {
  std::set<std::string> edge_names;
  for (const auto& t : wanted) edge_names.insert(std::get<1>(t));
  std::set<EdgeTriple> found;
  for (size_t i = 0, e = 0; i < g.n; ++i) {
    std::string holder;
    for (uint64_t j = 0; j < g.nodes[i * g.k + g.eci]; ++j, ++e) {
      const uint64_t* edge = &g.edges[e * g.ke];
      const std::string name = SnapshotEdgeName(g, edge);
      if (!edge_names.contains(name)) continue;
      if (holder.empty()) holder = SnapshotRowName(g, i);
      EdgeTriple t{holder, name, SnapshotRowName(g, edge[g.eto] / g.k)};
      if (wanted.contains(t)) found.insert(t);
    }
  }
  return found;
}

// The addresses whose paths are checked: the first suspect's example and a few instances of
// each class scenario.json lists under "paths_of".
std::vector<std::string> PathSubjects(const Scenario& s, const json& triage) {
  std::vector<std::string> out;
  if (!triage["suspects"].empty()) {
    const std::string example = ExampleAddress(triage["suspects"][0]);
    if (!example.empty()) out.push_back(example);
  }
  const std::string core = (s.dir / "core").string();
  for (const auto& c : s.facts.value("paths_of", json::array())) {
    json found = RunCliJson(
        {"instances", core, c.get<std::string>(), "--limit", std::to_string(kInstancesPerClass)});
    CHECK_MESSAGE(!found["instances"].empty(), "no " << c << " instances");
    for (const auto& i : found["instances"]) out.push_back(i["address"]);
  }
  return out;
}

void CheckPaths(const Scenario& s, const json& triage) {
  const std::string label = Label() + " " + s.name;
  const std::string core = (s.dir / "core").string();
  std::set<EdgeTriple> wanted;
  std::map<EdgeTriple, std::string> shown_in;  // a path that shows it, for messages
  for (const auto& address : PathSubjects(s, triage)) {
    json r = RunCliJson({"retainers", core, address, "--paths", std::to_string(kPathsPerObject)});
    CHECK_MESSAGE(!r["paths"].empty(), address << ": no path");
    for (const auto& p : r["paths"]) {
      const auto& steps = p["steps"];
      std::string text;
      for (const auto& st : steps)
        text += st["type"].get<std::string>() + " <-" + st["edge"].get<std::string>() + "- ";
      for (size_t i = 0; i + 1 < steps.size(); ++i) {
        EdgeTriple t{steps[i + 1]["type"], steps[i]["edge"], steps[i]["type"]};
        wanted.insert(t);
        shown_in.emplace(t, text + p["root"].get<std::string>());
      }
    }
  }
  const auto found = SnapshotHas(s.graph, wanted);
  std::cout << "[e2e] " << label << " paths: " << found.size() << "/" << wanted.size()
            << " distinct steps are edges of the snapshot with the same name\n";
  for (const auto& t : wanted)
    CHECK_MESSAGE(found.contains(t), label << ": the snapshot has no edge '" << std::get<1>(t)
                                           << "' from a " << std::get<0>(t) << " to a "
                                           << std::get<2>(t) << " (path: " << shown_in[t] << ")");
  CHECK(!wanted.empty());
}

}  // namespace

// The classes scenario.json counts (sql.js's OrderRow rows): exact in count and self size.
void CheckCountedClasses(const Scenario& s) {
  const Rows snapshot = SnapshotRows(s.graph);
  const Rows ours = ParseObjectsJson(s.objects.dump());
  if (!s.facts.contains("counts")) return;
  for (const auto& [name, made] : s.facts.at("counts").items()) {
    const RowKey key{"object", name};
    const RowStats snap = snapshot.contains(key) ? snapshot.at(key) : RowStats{};
    const RowStats got = ours.contains(key) ? ours.at(key) : RowStats{};
    std::cout << "[e2e] " << Label() << " " << s.name << " " << name << ": made " << made
              << ", snapshot " << snap.count << " (" << snap.self_size << " bytes), mortem "
              << got.count << " (" << got.self_size << " bytes)\n";
    CHECK_MESSAGE(snap.count >= made.get<uint64_t>(), "the snapshot holds fewer " << name);
    CHECK(got.count == snap.count);
    CHECK(got.self_size == snap.self_size);
  }
}

TEST_CASE("realheaps: every row of 50+ instances within 2% of the snapshot") {
  for (const auto& name : ScenarioNames()) {
    CAPTURE(name);
    CheckRows(Load(name), RowSet::kAllButKnownOff);
    CheckCountedClasses(Load(name));
  }
}

// "(compiled code)" holds on Node 18-22; on 24 and 26 it is 2% low on the TypeScript heap
// (120,559 in the snapshot, 117,831 in mortem on 26.12.1; the missing ones are optimized Code
// objects with their CodeWrapper, deoptimization data and tables, reached in V8 from JSFunctions
// through the off-heap JSDispatchTable), and its self size 3% high on 24's sql.js heap. The
// express heap's "(array)" holds on 18-24; on 26 mortem reaches 81 more (3,487 vs 3,406; not
// explained yet: not what writing a snapshot creates, a snapshot written before does not change
// it).
// Where they hold (Node 18-22) they must: only the lines where they are known off may fail.
constexpr std::initializer_list<int> kRowsOffOn = {24, 26};

TEST_CASE("realheaps: the known-off rows within 2% of the snapshot, where they hold") {
  if (KnownOffHere(kRowsOffOn)) return;  // the may_fail case below
  for (const auto& name : ScenarioNames()) {
    CAPTURE(name);
    CheckRows(Load(name), RowSet::kKnownOff);
  }
}

TEST_CASE("realheaps: the known-off rows within 2% of the snapshot, on Node 24 and 26" *
          doctest::may_fail("issue 19 item 9: (compiled code) 2% low on V8 13.6+, where mortem's "
                            "graph does not follow the JSDispatchTable; express's (array) 2.4% "
                            "high on Node 26")) {
  if (!KnownOffHere(kRowsOffOn)) return;  // checked strictly above
  for (const auto& name : ScenarioNames()) {
    CAPTURE(name);
    CheckRows(Load(name), RowSet::kKnownOff);
  }
}

// Known to fail where mortem's roots are not V8's (issue 19 item 3): on the TypeScript heap of
// Node 26.12.1 `Object` retains 16.1 MB in mortem, 6.6 MB in the snapshot (an Object the core's
// stack holds dominates the program), `system / Context` 17.5 MB vs 19.6 MB; express's
// MemoryStore is 8.6% high by its 20,000 session-id key strings, which the snapshot also
// holds from "(Internalized strings)".
// Not narrowed by line: whether they hold depends on the heap the core caught (what its stack
// roots hold), not on the line. Node 20 and 22 held on one set of cores and failed on the next.
TEST_CASE("realheaps: retained sizes of the top 10 classes within 10% of the snapshot's tree" *
          doctest::may_fail("issue 19 item 3: retained sizes follow other rules than DevTools' "
                            "(roots: the core's stack; the string table)")) {
  for (const auto& name : ScenarioNames()) {
    CAPTURE(name);
    CheckRetained(Load(name));
  }
}

const json& Triage(const Scenario& s) {
  static std::map<std::string, json> cache;
  auto it = cache.find(s.name);
  if (it == cache.end())
    it = cache.emplace(s.name, RunCliJson({"triage", (s.dir / "core").string()})).first;
  return it->second;
}

TEST_CASE("realheaps: triage's first suspect is the leak") {
  for (const auto& name : ScenarioNames()) {
    CAPTURE(name);
    const Scenario& s = Load(name);
    const json& triage = Triage(s);
    REQUIRE(!triage["suspects"].empty());
    const std::string first = triage["suspects"][0]["sentence"];
    std::cout << "[e2e] " << Label() << " " << name << " triage: first suspect \"" << first
              << "\"\n";
    if (s.facts.contains("leak")) {
      const std::string leak = s.facts["leak"];
      CHECK(triage["suspects"][0]["kind"] == "leak");
      CHECK_MESSAGE(first.find(" " + leak + " objects retain ") != std::string::npos,
                    "the first suspect is not the scenario's leak, " << leak << ": " << first);
    }
  }
}

// Known to fail (issue 19 items 1 and 2): mortem prints raw offsets ("+8 of (system)", "+40 of
// (object shape)") where the snapshot names the field, "global" where it has "global (global*)",
// and "(context slot N)" where it names the context variable (array slots are named as the
// snapshot names them since bcfdc13).
TEST_CASE("realheaps: the paths retainers prints use the snapshot's edge names" *
          doctest::may_fail("issue 19 items 1 and 2: raw offsets and context slots where V8's "
                            "snapshot names the edge")) {
  for (const auto& name : ScenarioNames()) {
    CAPTURE(name);
    const Scenario& s = Load(name);
    CheckPaths(s, Triage(s));
  }
}

int main(int argc, char** argv) {
  // Skip (not fail) when the scenario cores could not be made on this machine.
  if (auto root = Env("MORTEM_E2E_DIR"); root && Env("MORTEM_E2E_SCENARIOS")) {
    for (const auto& scenario : SplitList(*Env("MORTEM_E2E_SCENARIOS")))
      for (const char* file : {"core", "heap.heapsnapshot", "scenario.json"})
        if (!fs::exists(fs::path(*root) / scenario / file)) {
          std::cout << "[e2e] " << Label() << " " << scenario << ": SKIPPED, no " << file
                    << " (the e2e_cores_realheaps fixture could not make it; see its output)\n";
          return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
        }
  }
  doctest::Context context(argc, argv);
  return context.run();
}

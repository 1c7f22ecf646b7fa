// End-to-end test of `mortem handles` on the handles scenario of one Node version
// (fixtures/scenarios/handles.js): a process with a listening server, a client socket and its
// peer, a pending connect and fs request, JS timers (one an interval) and an immediate, plus an
// unref'd server and an unref'd timer, aborted right after it recorded what Node itself says.
// Truth is Node's own lists in scenario.json and the scenario's script:
//  - resource_counts equal process.getActiveResourcesInfo() name by name (TCPServerWrap,
//    TCPSocketWrap, ConnectWrap, FSReqCallback, Timeout, Immediate), so the unref'd server and
//    timer are known to be unref'd;
//  - the owners of the refed handles are process._getActiveHandles()'s constructor names, the
//    requests' classes those of _getActiveRequests();
//  - every timer the scenario made is listed with its callback's name, duration and repeat, and
//    its location is the callback's source in the script (the line that defines it, the column
//    of its parameter list, where V8's function start position is); the immediate likewise;
//  - `inspect --properties 3` of the scenario's WideRecord (20,000 properties, dictionary mode)
//    and NarrowRecord (12, fast mode) counts exactly the properties it leaves out;
//  - retainer paths through a Map, a typed array and an anonymous closure name the edges
//    "table", "buffer" and "context", names V8's heap snapshot gives those holders' edges.
// Environment: MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

fs::path Dir() {
  return fs::path(Require("MORTEM_E2E_DIR")) / "handles";
}

json Scenario() {
  std::ifstream in(Dir() / "scenario.json");
  return json::parse(in);
}

std::map<std::string, size_t> Multiset(const json& names) {
  std::map<std::string, size_t> out;
  for (const auto& n : names) ++out[n.get<std::string>()];
  return out;
}

std::string Describe(const std::map<std::string, size_t>& m) {
  std::string out;
  for (const auto& [name, count] : m) out += name + " x" + std::to_string(count) + " ";
  return out;
}

std::string ScriptLine(const std::string& script, int number) {
  std::ifstream in(script);
  std::string line;
  for (int i = 1; i <= number && std::getline(in, line); ++i) {
  }
  return line;
}

// The timer's callback is in the scenario's script, at the line that defines it, and the column
// is where the function's parameter list starts.
void CheckLocation(const json& timer, const std::string& name) {
  std::string script = timer["script"];
  CHECK_MESSAGE(script.ends_with("handles.js"), "callback " << name << " in " << script);
  int line = timer["line"], column = timer["column"];
  REQUIRE_MESSAGE(line > 0, "callback " << name << " has no location");
  std::string text = ScriptLine(script, line);
  std::string defines = name.empty() ? "() => {}" : "function " + name + "()";
  CHECK_MESSAGE(text.find(defines) != std::string::npos,
                name << " at line " << line << ": \"" << text << "\"");
  REQUIRE(column >= 1);
  REQUIRE(static_cast<size_t>(column) <= text.size());
  CHECK_MESSAGE(text[column - 1] == '(', name << " at column " << column << ": \"" << text << "\"");
}

}  // namespace

TEST_CASE("handles: the resources as process.getActiveResourcesInfo() names them") {
  json scenario = Scenario();
  auto expected = Multiset(scenario["resources"]);
  REQUIRE(expected["TCPServerWrap"] >= 1);
  REQUIRE(expected["TCPSocketWrap"] >= 1);
  REQUIRE(expected["Timeout"] >= 1);
  json result = RunCliJson({"handles", (Dir() / "core").string()});
  CHECK(result["environments"].size() == 1);
  std::map<std::string, size_t> got;
  for (const auto& [name, count] : result["resource_counts"].items()) got[name] = count;
  CHECK_MESSAGE(got == expected, "mortem: " << Describe(got) << "; node: " << Describe(expected));
  // The unref'd ones are listed, but as unref'd: one server more than Node counts, one timer.
  size_t unrefed_handles = 0, unrefed_timers = 0;
  for (const auto& h : result["handles"]) unrefed_handles += !h["refed"].get<bool>();
  for (const auto& t : result["timers"]) unrefed_timers += !t["refed"].get<bool>();
  CHECK(unrefed_handles == 1);
  CHECK(unrefed_timers == 1);
  CHECK(result["handle_counts"]["TCPServerWrap"] == expected["TCPServerWrap"] + 1);
  std::cout << "[e2e] " << Require("MORTEM_E2E_LABEL") << " handles: getActiveResourcesInfo() "
            << Describe(expected) << "; mortem " << Describe(got) << "\n";
}

TEST_CASE(
    "handles: owners and requests as _getActiveHandles() and _getActiveRequests() give them") {
  json scenario = Scenario();
  REQUIRE(!scenario["active_handles"].empty());
  json result = RunCliJson({"handles", (Dir() / "core").string()});
  json owners = json::array(), requests = json::array();
  for (const auto& h : result["handles"])
    if (h["refed"].get<bool>()) owners.push_back(h["owner"]);
  for (const auto& r : result["requests"]) requests.push_back(r["js_class"]);
  CHECK_MESSAGE(Multiset(owners) == Multiset(scenario["active_handles"]),
                "mortem: " << owners.dump() << "; node: " << scenario["active_handles"].dump());
  CHECK_MESSAGE(Multiset(requests) == Multiset(scenario["active_requests"]),
                "mortem: " << requests.dump() << "; node: " << scenario["active_requests"].dump());
}

TEST_CASE("handles: each timer and immediate with its callback, duration and repeat") {
  json scenario = Scenario();
  json result = RunCliJson({"handles", (Dir() / "core").string()});
  REQUIRE(result["timers"].size() == scenario["timers"].size());
  for (const auto& want : scenario["timers"]) {
    std::string name = want["name"];
    const json* found = nullptr;
    for (const auto& t : result["timers"])
      if (t["callback"] == (name.empty() ? "(anonymous)" : name)) found = &t;
    REQUIRE_MESSAGE(found, "no timer with callback " << name);
    const json& t = *found;
    CHECK(t["kind"] == "Timeout");
    CHECK(t["duration_ms"] == want["duration"]);
    if (want["repeat"].get<bool>())
      CHECK(t["repeat_ms"] == want["duration"]);
    else
      CHECK(t["repeat_ms"].is_null());
    CHECK(t["refed"] == !want.value("unref", false));
    CheckLocation(t, name);
  }
  REQUIRE(result["immediates"].size() == scenario["immediates"].size());
  for (size_t i = 0; i < result["immediates"].size(); ++i) {
    const json& im = result["immediates"][i];
    CHECK(im["kind"] == "Immediate");
    CHECK(im["callback"] == scenario["immediates"][i]["name"]);
    CheckLocation(im, scenario["immediates"][i]["name"]);
  }
  auto text = RunCli({"handles", (Dir() / "core").string()});
  CHECK(text.CleanExit());
  CHECK(text.out.find("TCPServerWrap") != std::string::npos);
  CHECK(text.out.find("repeats every 30000 ms  heartbeat") != std::string::npos);
  CHECK(text.out.find("as process.getActiveResourcesInfo() lists them: " +
                      std::to_string(scenario["resources"].size())) != std::string::npos);
}

// inspect counts what it leaves out from the object's own property count: the scenario's
// records (one in dictionary mode, one in fast mode) shown with 3 properties.
TEST_CASE("inspect: omitted_children is the number of properties left out") {
  json scenario = Scenario();
  for (const auto& [cls, count] : scenario["property_counts"].items()) {
    json instances = RunCliJson({"instances", (Dir() / "core").string(), cls});
    REQUIRE_MESSAGE(instances["instances"].size() == 1, cls);
    std::string address = instances["instances"][0]["address"];
    json value =
        RunCliJson({"inspect", (Dir() / "core").string(), address, "--properties", "3"})["value"];
    const size_t total = count.get<size_t>();
    CHECK_MESSAGE(value["children"].size() == 3, cls);
    CHECK_MESSAGE(value["omitted_children"] == total - 3, cls << " of " << total << " properties");
    auto text = RunCli({"inspect", (Dir() / "core").string(), address, "--properties", "3"});
    std::string more = std::to_string(total - 3);
    if (more.size() > 3) more.insert(more.size() - 3, ",");
    CHECK_MESSAGE(text.out.find("… " + more + " more") != std::string::npos, text.out);
    std::cout << "[e2e] " << Require("MORTEM_E2E_LABEL") << " inspect " << cls << ": "
              << value["omitted_children"] << " of " << total << " left out with 3 shown\n";
  }
}

// The names V8's snapshot gives the edges out of the nodes named `holders` (object and closure
// nodes; an anonymous closure, "" in the snapshot, as "(anonymous)").
std::map<std::string, std::set<std::string>> SnapshotEdgeNames(
    const std::set<std::string>& holders) {
  std::ifstream in(Dir() / "heap.heapsnapshot");
  json s = json::parse(in);
  const auto& meta = s["snapshot"]["meta"];
  std::vector<std::string> nf = meta["node_fields"], ef = meta["edge_fields"];
  std::vector<std::string> nt = meta["node_types"][0], et = meta["edge_types"][0];
  auto col = [](const std::vector<std::string>& f, const char* n) {
    return static_cast<size_t>(std::find(f.begin(), f.end(), n) - f.begin());
  };
  const auto& nodes = s["nodes"];
  const auto& edges = s["edges"];
  const auto& strings = s["strings"];
  size_t k = nf.size(), ke = ef.size(), ti = col(nf, "type"), ni = col(nf, "name"),
         eci = col(nf, "edge_count"), ett = col(ef, "type"), eni = col(ef, "name_or_index");
  std::map<std::string, std::set<std::string>> out;
  size_t e = 0;
  for (size_t i = 0; i < nodes.size(); i += k) {
    const std::string type = nt[nodes[i + ti].get<size_t>()];
    std::string name = strings[nodes[i + ni].get<size_t>()];
    if (type == "closure" && name.empty()) name = "(anonymous)";
    const size_t count = nodes[i + eci];
    const bool wanted = (type == "object" || type == "closure") && holders.count(name);
    for (size_t j = 0; j < count; ++j, e += ke) {
      if (!wanted) continue;
      const std::string edge_type = et[edges[e + ett].get<size_t>()];
      const size_t name_or_index = edges[e + eni];
      out[name].insert(edge_type == "element" || edge_type == "hidden"
                           ? "[" + std::to_string(name_or_index) + "]"
                           : strings[name_or_index].get<std::string>());
    }
  }
  return out;
}

// Paths through a Map's table, a typed array's buffer and a closure's context name those edges
// as V8's snapshot does: every edge out of these holders on the paths is one of the names the
// snapshot gives edges out of nodes of that name.
TEST_CASE("retainers: internal edges named as V8's snapshot names them") {
  const std::string core = (Dir() / "core").string();
  auto first = [&](const std::string& cls) {
    json instances = RunCliJson({"instances", core, cls});
    REQUIRE_MESSAGE(instances["instances"].size() == 1, cls);
    return instances["instances"][0]["address"].get<std::string>();
  };
  // The ArrayBuffer under the scenario's Pixels view.
  json pixels = RunCliJson({"inspect", core, first("Pixels"), "--depth", "0"})["value"];
  std::string text = pixels["text"];
  auto at = text.find("buffer 0x");
  REQUIRE(at != std::string::npos);
  std::string buffer = text.substr(at + 7, text.find(')', at) - at - 7);
  const std::set<std::string> holders = {"Map", "Pixels", "(anonymous)"};
  auto snapshot = SnapshotEdgeNames(holders);
  std::map<std::string, std::set<std::string>> seen;  // holder -> edge names mortem gave
  for (const auto& target : {first("MapEntryValue"), first("ClosedOver"), buffer}) {
    json r = RunCliJson({"retainers", core, target, "--paths", "1"});
    REQUIRE_MESSAGE(r["paths"].size() == 1, target);
    const json& steps = r["paths"][0]["steps"];
    for (size_t i = 0; i + 1 < steps.size(); ++i) {
      std::string holder = steps[i + 1]["type"], edge = steps[i]["edge"];
      if (!holders.count(holder)) continue;
      seen[holder].insert(edge);
      CHECK_MESSAGE(snapshot[holder].count(edge), "\"" << edge << "\" of " << holder);
    }
  }
  CHECK(seen["Map"] == std::set<std::string>{"table"});
  CHECK(seen["Pixels"] == std::set<std::string>{"buffer"});
  CHECK(seen["(anonymous)"] == std::set<std::string>{"context"});
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR");
      root && !fs::exists(fs::path(*root) / "handles" / "core")) {
    std::cout << "[e2e] handles: SKIPPED, no core in " << *root << "/handles\n";
    return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
  }
  doctest::Context context(argc, argv);
  return context.run();
}

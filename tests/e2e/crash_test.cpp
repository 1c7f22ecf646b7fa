// End-to-end test of `mortem stack` and `mortem handles` on the crash scenario of one Node
// version: the process died
// on an uncaught exception under --abort-on-uncaught-exception. Truth comes from V8 itself, which
// printed the exception and the JS stack at the throw ("FROM" and one "function (file:line:col)"
// line per frame) to the scenario's stderr, and from scenario.json (the error's class and
// message, the functions the scenario called).
//  - the crashing thread's JS frames are V8's frames, in order, with the same script:line:column;
//    names equal where V8 prints a plain function name (V8 prefixes method calls with the
//    receiver's type, e.g. "process.processTimers": the part after the dot must equal);
//  - native frames are symbolized: V8's Isolate::Throw and Node's event loop are named;
//  - the exception's class and message are the scenario's, and its captured stack names the
//    same functions and lines as V8's (columns too, except the first frame: the stack was
//    captured where the error was made, V8 printed where it was thrown);
//  - every thread unwinds (--all) without a crash, in JSON and in text;
//  - `handles` finds the handles and requests Node itself listed right before the crash
//    (process._getActiveHandles()/_getActiveRequests() in scenario.json): one TCPServerWrap or
//    TCPSocketWrap per Server or Socket, owned by it, one FSReqCallback per pending fs request;
//  - on the oom scenario (a leak until V8's heap limit), the fatal-error messages mortem finds
//    are the two parts of the "FATAL ERROR: LOCATION DETAIL" line node printed, and triage's
//    suspects are the out-of-memory crash and the scenario's leaking class.
// Environment: MORTEM_E2E_DIR (cores/VERSION), MORTEM_E2E_LABEL.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support.h"

namespace fs = std::filesystem;
using namespace mortem::e2e;
using nlohmann::json;

namespace {

fs::path Dir() {
  return fs::path(Require("MORTEM_E2E_DIR")) / "crash";
}

struct PrintedFrame {
  std::string name;      // as V8 printed it, e.g. "process.processTimers" or "validateCart"
  std::string location;  // "file:line:column"
};

// V8's "FROM" block on stderr: "name (location)" or a bare location per line. Node 18 printed
// the frames without line breaks between them, so frames are split at ")" too.
std::vector<PrintedFrame> PrintedStack(const fs::path& stderr_file) {
  std::ifstream in(stderr_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto from = text.find("FROM\n");
  REQUIRE_MESSAGE(from != std::string::npos, "V8 printed no stack (FROM) in " << stderr_file);
  std::vector<PrintedFrame> frames;
  std::string rest = text.substr(from + 5);
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t close = rest.find(')', pos);
    size_t open = rest.find(" (", pos);
    if (close == std::string::npos || open == std::string::npos || open > close) break;
    std::string name = rest.substr(pos, open - pos);
    while (!name.empty() && (name.front() == '\n' || name.front() == ' ')) name.erase(0, 1);
    frames.push_back({name, rest.substr(open + 2, close - open - 2)});
    pos = close + 1;
  }
  return frames;
}

std::string LocationOf(const json& frame) {
  return frame["script"].get<std::string>() + ":" + std::to_string(frame["line"].get<int>()) + ":" +
         std::to_string(frame["column"].get<int>());
}

std::string AfterDot(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

}  // namespace

TEST_CASE("stack: the crashing thread's JS frames are the ones V8 printed") {
  auto printed = PrintedStack(Dir() / "stderr.txt");
  REQUIRE(printed.size() >= 4);
  json result = RunCliJson({"stack", (Dir() / "core").string()});
  REQUIRE(result["threads"].size() == 1);
  const json& thread = result["threads"][0];
  CHECK(thread["number"] == 1);
  std::vector<json> js;
  for (const auto& f : thread["frames"])
    if (f["kind"] == "js") js.push_back(f);
  INFO("V8 printed " << printed.size() << " frames, mortem found " << js.size());
  REQUIRE(js.size() >= printed.size());
  for (size_t i = 0; i < printed.size(); ++i) {
    INFO("frame " << i << ": V8 printed " << printed[i].name << " (" << printed[i].location
                  << "), mortem " << js[i]["function"] << " at " << LocationOf(js[i]));
    CHECK(LocationOf(js[i]) == printed[i].location);
    CHECK(js[i]["position_exact"] == true);
    std::string name = js[i]["function"];
    if (!name.empty()) CHECK(AfterDot(name) == AfterDot(printed[i].name));
  }
  // The arguments of the scenario's own frames: handleRequest got {cartId: 42, userId: 7}.
  bool saw_request = false;
  for (const auto& f : js)
    if (f["function"] == "handleRequest")
      for (const auto& a : f["arguments"])
        saw_request |= a.get<std::string>().find("cartId: 42") != std::string::npos;
  CHECK(saw_request);
  // Native frames around them are named.
  bool saw_throw = false, saw_loop = false;
  for (const auto& f : thread["frames"]) {
    std::string symbol = f["symbol"];
    saw_throw |= symbol.find("Isolate::Throw") != std::string::npos;
    saw_loop |= symbol.find("uv_run") != std::string::npos;
  }
  CHECK(saw_throw);
  CHECK(saw_loop);
  std::cout << "[e2e] " << Require("MORTEM_E2E_LABEL") << " stack: " << js.size() << " JS frames, "
            << printed.size() << " printed by V8, all at the same lines\n";
}

TEST_CASE("stack: the exception is the scenario's, with its captured stack") {
  std::ifstream in(Dir() / "scenario.json");
  json scenario = json::parse(in);
  auto printed = PrintedStack(Dir() / "stderr.txt");
  json result = RunCliJson({"stack", (Dir() / "core").string()});
  REQUIRE(result["exception"].is_object());
  const json& e = result["exception"];
  CHECK(e["type"] == scenario["error"]["type"]);
  CHECK(e["message"] == scenario["error"]["message"]);
  REQUIRE(e["stack"].size() >= printed.size());
  for (size_t i = 0; i < printed.size(); ++i) {
    std::string line = e["stack"][i];
    std::string location = printed[i].location;
    if (i == 0) location = location.substr(0, location.rfind(':'));  // made here, thrown there
    INFO("exception frame " << i << ": " << line << " vs V8's " << printed[i].location);
    CHECK(line.find(location) != std::string::npos);
  }
  for (const auto& name : scenario["js_functions"]) {
    bool found = false;
    for (const auto& line : e["stack"])
      found |= line.get<std::string>().find(name.get<std::string>() + " (") != std::string::npos;
    CHECK_MESSAGE(found, "exception stack lacks " << name);
  }
}

TEST_CASE("stack: every thread, text and JSON, without a crash") {
  json result = RunCliJson({"stack", (Dir() / "core").string(), "--all"});
  CHECK(result["threads"].size() > 1);
  for (const auto& t : result["threads"]) CHECK(t["frames"].size() >= 1);
  auto text = RunCli({"stack", (Dir() / "core").string(), "--all"});
  CHECK(text.CleanExit());
  CHECK(text.out.find("Uncaught CheckoutError") != std::string::npos);
  auto bad = RunCli({"stack", (Dir() / "core").string(), "--thread", "9999"});
  CHECK(bad.CleanExit());
  CHECK(bad.exit_code == 2);
}

TEST_CASE("handles: the TCP wraps and the fs request Node listed") {
  std::ifstream in(Dir() / "scenario.json");
  json scenario = json::parse(in);
  size_t sockets_and_servers = 0;
  for (const auto& h : scenario["active_handles"])
    if (h == "Server" || h == "Socket") ++sockets_and_servers;
  REQUIRE(sockets_and_servers > 0);
  json result = RunCliJson({"handles", (Dir() / "core").string()});
  CHECK(result["environments"].size() == 1);
  size_t tcp_wraps = result["handle_counts"].value("TCPServerWrap", size_t{0}) +
                     result["handle_counts"].value("TCPSocketWrap", size_t{0});
  CHECK(tcp_wraps == sockets_and_servers);
  size_t owners = 0;
  for (const auto& h : result["handles"])
    if (h["js_class"] == "TCP")
      owners += h["owner"] == (h["type"] == "TCPServerWrap" ? "Server" : "Socket");
  CHECK(owners == sockets_and_servers);
  std::map<std::string, size_t> expected_requests, got_requests;
  for (const auto& r : scenario["active_requests"]) ++expected_requests[r.get<std::string>()];
  for (const auto& r : result["requests"]) ++got_requests[r["js_class"].get<std::string>()];
  CHECK(got_requests == expected_requests);
  CHECK(result["requests"].size() == scenario["active_requests"].size());
  // The wraps are labelled roots: a wrap's retainer path ends at "(Node handle: TYPE)".
  json retainers = RunCliJson({"retainers", (Dir() / "core").string(),
                               result["handles"][0]["object"].get<std::string>(), "--paths", "1"});
  REQUIRE(retainers["paths"].size() == 1);
  CHECK(retainers["paths"][0]["root"] ==
        "(Node handle: " + result["handles"][0]["type"].get<std::string>() + ")");
  CHECK(retainers["graph"]["roots"]["node_wraps"] ==
        result["handles"].size() + result["requests"].size());
  std::cout << "[e2e] " << Require("MORTEM_E2E_LABEL") << " handles: " << sockets_and_servers
            << " TCP, " << result["requests"].size() << " requests, as Node listed\n";
}

TEST_CASE("inspect --source: a frame's function, as its script file has it") {
  json stack = RunCliJson({"stack", (Dir() / "core").string()});
  const json* frame = nullptr;
  for (const auto& f : stack["threads"][0]["frames"])
    if (f["kind"] == "js" && f["function"] == "validateCart") frame = &f;
  REQUIRE(frame);
  std::ifstream script((*frame)["script"].get<std::string>());
  std::string line, body;
  for (int n = 1; std::getline(script, line); ++n)
    if (n == (*frame)["line"].get<int>()) body = line;
  REQUIRE(!body.empty());
  json inspected = RunCliJson({"inspect", (Dir() / "core").string(),
                               (*frame)["function_address"].get<std::string>(), "--source"});
  REQUIRE(inspected.contains("source"));
  CHECK(inspected["source"].get<std::string>().find(body) != std::string::npos);
  CHECK(inspected["map"].get<std::string>().starts_with("0x"));
}

TEST_CASE("oom: the fatal error node printed, and the leaking class") {
  fs::path dir = fs::path(Require("MORTEM_E2E_DIR")) / "oom";
  if (!fs::exists(dir / "core")) {
    CHECK_MESSAGE(Env("MORTEM_E2E_REQUIRED") != std::optional<std::string>("1"),
                  "no oom core in " << dir);
    MESSAGE("no oom core in " << dir);
    return;
  }
  std::ifstream err(dir / "stderr.txt");
  std::string line, fatal;
  while (std::getline(err, line))
    if (line.starts_with("FATAL ERROR: ")) fatal = line.substr(13);
  REQUIRE_MESSAGE(!fatal.empty(), "node printed no FATAL ERROR line");
  json stack = RunCliJson({"stack", (dir / "core").string()});
  std::vector<std::string> messages = stack["fatal_messages"];
  bool composed = false;
  for (const auto& a : messages)
    for (const auto& b : messages) composed |= a + " " + b == fatal;
  INFO("node printed: " << fatal << "; mortem found: " << stack["fatal_messages"].dump());
  CHECK(composed);
  CHECK(stack["fatal_function"].get<std::string>().find("OOM") != std::string::npos);
  std::ifstream in(dir / "scenario.json");
  json scenario = json::parse(in);
  json triage = RunCliJson({"triage", (dir / "core").string()});
  REQUIRE(triage["suspects"].size() >= 2);
  CHECK(triage["suspects"][0]["kind"] == "crash");
  CHECK(triage["suspects"][0]["sentence"].get<std::string>().find("out of memory") !=
        std::string::npos);
  bool leak = false;
  for (const auto& s : triage["suspects"])
    leak |= s["kind"] == "leak" &&
            s["sentence"].get<std::string>().find(scenario["leaking_class"].get<std::string>()) !=
                std::string::npos;
  CHECK(leak);
  std::cout << "[e2e] " << Require("MORTEM_E2E_LABEL") << " oom: \"" << fatal
            << "\" found; suspects: " << triage["suspects"][1]["sentence"].get<std::string>()
            << "\n";
}

int main(int argc, char** argv) {
  if (auto root = Env("MORTEM_E2E_DIR"); root && !fs::exists(fs::path(*root) / "crash" / "core")) {
    std::cout << "[e2e] crash: SKIPPED, no core in " << *root << "/crash\n";
    return Env("MORTEM_E2E_REQUIRED") == std::optional<std::string>("1") ? 1 : kSkipExitCode;
  }
  doctest::Context context(argc, argv);
  return context.run();
}

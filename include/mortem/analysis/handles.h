// Purpose: Node's active handles and requests, the way `process._getActiveHandles()` and llnode's
// `getactivehandles`/`getactiverequests` see them: every Environment (found through the native
// contexts' embedder data), its handle-wrap queue (sockets, servers, timers, pipes, signals,
// ...) and its request-wrap queue (fs, dns, write and connect requests), each with its JS object.
// The queues are intrusive lists in C++ memory; walks are bounded and cycle-proof. Each wrap is
// named as process.getActiveResourcesInfo() names it (the C++ class's MemoryInfoName:
// TCPServerWrap, TCPSocketWrap, FSReqCallback, ...) and by its owner's constructor as
// process._getActiveHandles() gives it (Server, Socket, ...). The JS timers and immediates, which
// live on the JS heap rather than in these queues, are listed too (see timers.cpp).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/session.h"

namespace mortem {

struct ActiveWrap {
  Address wrap = 0;      // the C++ HandleWrap / ReqWrap
  Address object = 0;    // its JS object (untagged), 0 if it has none (weak or cleared)
  std::string type;      // as getActiveResourcesInfo() names it: TCPServerWrap, FSReqCallback, ...
  std::string js_class;  // the JS object's class: TCP, Pipe, FSReqCallback, TCPConnectWrap, ...
  std::string owner;     // the owner's constructor (_getActiveHandles()): Server, Socket, ...
  std::string provider;  // the AsyncWrap provider: TCPSERVERWRAP, FSREQCALLBACK, ... ("" unknown)
  bool refed = true;     // a handle that keeps the loop alive (uv_has_ref); requests always do
  std::string preview;
};

// A pending JS timer (Timeout) or immediate (Immediate) of lib/internal/timers.js.
struct JsTimer {
  Address object = 0;           // the Timeout / Immediate (untagged)
  std::string kind;             // "Timeout" or "Immediate"
  std::string callback;         // its callback's name, "(anonymous)" if it has none
  Address callback_object = 0;  // the callback function (untagged), 0 if unreadable
  std::string script;           // where the callback's source starts
  int line = 0, column = 0;     // 1-based; 0 if unknown
  std::optional<double> duration_ms, repeat_ms;  // Timeouts: _idleTimeout, _repeat (intervals)
  bool refed = true;                             // counts in getActiveResourcesInfo()
  bool destroyed = false;
};

struct HandlesResult {
  std::vector<Address> environments;
  std::vector<ActiveWrap> handles, requests;
  std::map<std::string, size_t> handle_counts, request_counts;  // by type
  std::vector<JsTimer> timers, immediates;
  // What process.getActiveResourcesInfo() would list: requests, refed handles, refed timers
  // and immediates, by name.
  std::map<std::string, size_t> resource_counts;
  bool truncated = false;  // a queue was longer than the walk allows
  bool partial = false;    // no Environment found, or a queue cut short: the lists are not whole
  bool listed_handles = true, listed_requests = true;  // which queues were asked for
  bool listed_timers = true;
  std::vector<std::string> warnings;
};

struct HandlesOptions {
  bool handles = true, requests = true;
  bool timers = true;  // walks the heap for the timer lists (left out where only wraps matter)
  size_t max_per_queue = 1 << 20;
};

HandlesResult RunHandles(Session& session, const HandlesOptions& options = {});

// The pending JS timers and immediates (result.timers, result.immediates); at most `limit` per
// list (result.truncated is set beyond it).
void FindJsTimers(Session& session, size_t limit, HandlesResult& result);

}  // namespace mortem

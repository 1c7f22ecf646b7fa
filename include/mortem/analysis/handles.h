// Purpose: Node's active handles and requests, the way `process._getActiveHandles()` and llnode's
// `getactivehandles`/`getactiverequests` see them: every Environment (found through the native
// contexts' embedder data), its handle-wrap queue (sockets, servers, timers, pipes, signals,
// ...) and its request-wrap queue (fs, dns, write and connect requests), each with its JS object.
// The queues are intrusive lists in C++ memory; walks are bounded and cycle-proof.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "mortem/analysis/session.h"

namespace mortem {

struct ActiveWrap {
  Address wrap = 0;    // the C++ HandleWrap / ReqWrap
  Address object = 0;  // its JS object (untagged), 0 if it has none (weak or cleared)
  std::string type;    // the JS object's class: TCP, Timer, Pipe, FSReqCallback, ...
  std::string preview;
};

struct HandlesResult {
  std::vector<Address> environments;
  std::vector<ActiveWrap> handles, requests;
  std::map<std::string, size_t> handle_counts, request_counts;  // by type
  bool truncated = false;                              // a queue was longer than the walk allows
  bool listed_handles = true, listed_requests = true;  // which queues were asked for
  std::vector<std::string> warnings;
};

struct HandlesOptions {
  bool handles = true, requests = true;
  size_t max_per_queue = 1 << 20;
};

HandlesResult RunHandles(Session& session, const HandlesOptions& options = {});

}  // namespace mortem

// Purpose: Node's Environment as a core holds it. Each is found from a native context's embedder
// data (slot ContextEmbedderIndex::kEnvironment); it keeps its threadId and two intrusive
// ListNode queues in C++ memory, of handle wraps (sockets, servers, timers, ...) and of request
// wraps (fs, dns, write and connect requests), each wrap holding its JS object through
// BaseObject::persistent_handle_. Offsets from the binary's nodedbg_* constants and the line's
// facts; every walk is bounded and cycle-proof.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/heap.h"
#include "mortem/v8/layout.h"

namespace mortem::v8 {

// The Environment* a native context's embedder data holds (0: none or unreadable).
Address EnvironmentOf(const Memory& memory, const Layout& layout, Address native_context);

// The Environments of a heap's native contexts; those live in old space, so only its pages are
// walked (each read once, then released), on `threads` threads.
// `skipped_bytes`, if given, receives the bytes of those pages that could not be parsed.
std::set<Address> FindEnvironments(const Memory& memory, const Layout& layout, const Heap& heap,
                                   unsigned threads = 1, uint64_t* skipped_bytes = nullptr);

// An Environment and whether its isolate runs on the process's main thread.
struct EnvironmentSample {
  Address environment = 0;
  bool main_thread = false;
};

// Where Environment::thread_id_ (Node's threadId: 0 on the main thread, 1, 2, ... for workers)
// sits in this binary's Environment, learnt from the process's own Environments: Node's layout
// moves it between patch releases of one line. In src/env.h the uint64 thread_id_ is followed by
// sub_worker_contexts_, a std::unordered_set (libstdc++: buckets, bucket count, first node,
// element count, then the rehash policy's max load factor 1.0f), with a std::string (the thread
// name) between the two in later releases. The offset is the one place where every sample reads
// so: 0 on the main thread, distinct ids below 2^32 on the workers, then such a set (empty on a
// worker without workers: its one bucket inside the set itself). nullopt unless exactly one
// offset fits.
struct ThreadIdLayout {
  uint32_t offset = 0;        // of thread_id_
  bool name_follows = false;  // thread_name_ (a std::string) right after it
};
std::optional<ThreadIdLayout> LearnThreadIdOffset(const Memory& memory,
                                                  std::span<const EnvironmentSample> samples);

// Environment::thread_id_ at a learnt offset.
std::optional<uint64_t> EnvironmentThreadId(const Memory& memory, uint32_t offset,
                                            Address environment);

// Environment::thread_name_ (what worker_threads.threadName says in that isolate: "" on the main
// thread, the Worker's `name` option or Node's default on a worker), if the layout has it; at most
// kMaxThreadNameBytes characters (a longer one reads as unknown).
constexpr uint64_t kMaxThreadNameBytes = 256;
std::optional<std::string> EnvironmentThreadName(const Memory& memory, const ThreadIdLayout& layout,
                                                 Address environment);

// Whether the binary has every nodedbg_* constant the wrap queues need.
bool HasWrapQueueLayout(const Layout& layout);

struct WrapQueues {
  std::vector<Address> handles, requests;  // the C++ HandleWrap / ReqWrap objects
  bool truncated = false;                  // a queue was longer than the limit
};

// The wraps on the Environments' handle and request queues (either may be skipped), at most
// max_per_queue per queue. Requires HasWrapQueueLayout.
WrapQueues ReadWrapQueues(const Memory& memory, const Layout& layout,
                          std::span<const Address> environments, bool handles, bool requests,
                          size_t max_per_queue);

// The tagged JS object a wrap's persistent handle holds (nullopt: no handle or unreadable).
std::optional<uint64_t> WrapObjectValue(const Memory& memory, const Layout& layout, Address wrap);

}  // namespace mortem::v8

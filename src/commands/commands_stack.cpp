// The commands about the process's execution state: thread stacks (`stack`, the plugin's
// `v8 bt`) and Node's active handles and requests (`handles`).
#include <algorithm>

#include "command_helpers.h"
#include "mortem/analysis/handles.h"
#include "mortem/analysis/stack.h"

namespace mortem::commands {

void AddStackCommands(std::vector<Command>& r) {
  r.push_back(Command{
      "stack",
      "thread stacks: native frames with JS frames decoded, and the exception being thrown",
      {},
      [](po::options_description& o) {
        o.add_options()("thread", po::value<size_t>()->default_value(0),
                        "thread number N (1 = the thread that dumped; default: that one)")(
            "all", "every thread")("frames", po::value<size_t>()->default_value(256),
                                   "at most N frames per thread")(
            "arguments", po::value<size_t>()->default_value(8), "JS arguments shown per frame");
      },
      [](Invocation& in) {
        StackOptions options;
        options.thread = in.options["thread"].as<size_t>();
        options.all = in.options.count("all") > 0;
        options.max_frames = std::max<size_t>(1, in.options["frames"].as<size_t>());
        options.max_arguments = in.options["arguments"].as<size_t>();
        auto result = RunStack(in.session, options);
        Emit(in, result);
        return ExitCode::kOk;
      }});
  r.push_back(Command{"source",
                      "the script source around a JS frame (llnode's `v8 source list`)",
                      {},
                      [](po::options_description& o) {
                        o.add_options()("thread", po::value<size_t>()->default_value(0),
                                        "thread number (default: the thread that dumped)")(
                            "frame", po::value<size_t>()->default_value(0),
                            "frame index as `stack` shows it; the first JS frame from there on")(
                            "lines", po::value<int>()->default_value(5),
                            "lines shown before and after");
                      },
                      [](Invocation& in) {
                        SourceOptions options;
                        options.thread = in.options["thread"].as<size_t>();
                        options.frame = in.options["frame"].as<size_t>();
                        options.context = std::clamp(in.options["lines"].as<int>(), 0, 1000);
                        auto result = RunSource(in.session, options);
                        Emit(in, result);
                        return ExitCode::kOk;
                      }});
  r.push_back(
      Command{"handles",
              "Node's active handles (sockets, servers, timers, ...) and requests (fs, dns, ...)",
              {},
              [](po::options_description& o) {
                o.add_options()("handles-only", "only the handle queue")("requests-only",
                                                                         "only the request queue");
              },
              [](Invocation& in) {
                HandlesOptions options;
                options.handles = in.options.count("requests-only") == 0;
                options.requests = in.options.count("handles-only") == 0;
                auto result = RunHandles(in.session, options);
                Emit(in, result);
                return PartialIf(result.environments.empty() || result.truncated);
              }});
}

}  // namespace mortem::commands

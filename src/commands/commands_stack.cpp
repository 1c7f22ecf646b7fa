// The commands about threads and their stacks: `stack` (the plugin's `v8 bt`).
#include "command_helpers.h"
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
}

}  // namespace mortem::commands

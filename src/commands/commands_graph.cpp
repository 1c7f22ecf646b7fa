// The commands about who keeps objects alive: references, retainer paths, dominators.
#include <algorithm>

#include "command_helpers.h"
#include "mortem/analysis/dominators.h"
#include "mortem/analysis/inspect.h"
#include "mortem/analysis/retainers.h"

namespace mortem::commands {

void AddGraphCommands(std::vector<Command>& r) {
  r.push_back(Command{
      "dominators",
      "the objects that retain the most (dominator tree), each with its retainer path",
      {},
      [](po::options_description& o) {
        o.add_options()("top", po::value<size_t>()->default_value(20), "list N objects")(
            "paths", po::value<size_t>()->default_value(20),
            "retainer paths for the first N of them");
      },
      [](Invocation& in) {
        auto result = RunDominators(in.session, std::max<size_t>(1, in.options["top"].as<size_t>()),
                                    in.options["paths"].as<size_t>());
        Emit(in, result);
        return PartialIf(result.partial);
      }});
  r.push_back(Command{
      "refs",
      "every heap slot that refers to an object, with holder and edge",
      {"address"},
      [](po::options_description& o) {
        o.add_options()("name", "ADDRESS is a property name: objects that have it")(
            "string", "ADDRESS is text: slots whose value is a string equal to it")(
            "limit", po::value<size_t>()->default_value(1000), "at most N references (0: all)");
      },
      [](Invocation& in) {
        const std::string arg = in.options["address"].as<std::string>();
        const size_t limit = in.options["limit"].as<size_t>();
        RefsResult result = in.options.count("name")     ? RunRefsByName(in.session, arg, limit)
                            : in.options.count("string") ? RunRefsToString(in.session, arg, limit)
                                                         : RunRefs(in.session, ParseAddress(arg));
        Emit(in, result);
        return ExitCode::kOk;
      }});
  r.push_back(
      Command{"retainers",
              "the shortest retainer paths from the GC roots to an object",
              {"address"},
              [](po::options_description& o) {
                o.add_options()("paths", po::value<size_t>()->default_value(3), "at most N paths")(
                    "depth", po::value<uint32_t>()->default_value(64), "at most D steps per path")(
                    "weak", "follow weak references too");
              },
              [](Invocation& in) {
                auto result =
                    RunRetainers(in.session, ParseAddress(in.options["address"].as<std::string>()),
                                 in.options["paths"].as<size_t>(),
                                 in.options["depth"].as<uint32_t>(), in.options.count("weak") > 0);
                Emit(in, result);
                return PartialIf(result.partial);
              }});
}

}  // namespace mortem::commands

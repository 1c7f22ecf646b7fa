// The commands about who keeps objects alive: references (llnode's findrefs), retainer paths,
// dominators.
#include <algorithm>

#include "command_helpers.h"
#include "mortem/analysis/dominators.h"
#include "mortem/analysis/inspect.h"
#include "mortem/analysis/retainers.h"
#include "mortem/commands/options.h"

namespace mortem::commands {
namespace {

// llnode's findrefs: -v EXPR (the default), -n NAME, -s STRING; -r (recursive) asks for the
// chain to the roots, which is `retainers`.
std::optional<Translation> FindRefs(std::vector<std::string> args, std::string& error,
                                    const TakesValue& takes_value) {
  Translation t{.command = "refs"};
  std::optional<std::string> mode;
  std::vector<std::string> rest;
  for (auto& a : args) {
    if (a == "-v" || a == "--value" || a == "-n" || a == "--name" || a == "-s" || a == "--string")
      mode = a;
    else if (a == "-r" || a == "--recursive")
      t.command = "retainers";
    else
      rest.push_back(a);
  }
  if (mode == "-n" || mode == "--name" || mode == "-s" || mode == "--string") {
    if (t.command == "retainers") {
      error = "findrefs: -r works with an address (-v EXPR) only";
      return std::nullopt;
    }
    std::vector<std::string> words, flags;
    for (auto& a : rest) (IsFlag(a) ? flags : words).push_back(a);
    if (words.empty()) {
      error = "findrefs: " + *mode + " needs a value";
      return std::nullopt;
    }
    std::string value = words[0];
    for (size_t i = 1; i < words.size(); ++i) value += " " + words[i];
    t.args = {value, (mode == "-n" || mode == "--name") ? "--name" : "--string"};
    t.args.insert(t.args.end(), flags.begin(), flags.end());
    return t;
  }
  t.args = std::move(rest);
  t.address_arg = MergePositionals(t.command, t.args, takes_value);
  if (!t.address_arg) {
    error = "findrefs: missing the address (usage: v8 findrefs [-v EXPR | -n NAME | -s TEXT])";
    return std::nullopt;
  }
  return t;
}

}  // namespace

DominatorsOptions DominatorsOptionsFrom(const po::variables_map& vm) {
  return DominatorsOptions{.top = std::max<size_t>(1, vm["top"].as<size_t>()),
                           .paths = vm["paths"].as<size_t>()};
}

RefsOptions RefsOptionsFrom(const po::variables_map& vm) {
  RefsOptions options;
  options.query = vm["address"].as<std::string>();
  options.limit = vm["limit"].as<size_t>();
  options.by = vm.count("name")     ? RefsOptions::By::kName
               : vm.count("string") ? RefsOptions::By::kString
                                    : RefsOptions::By::kAddress;
  if (options.by == RefsOptions::By::kAddress) options.address = ParseAddress(options.query);
  return options;
}

RetainersOptions RetainersOptionsFrom(const po::variables_map& vm) {
  return RetainersOptions{.address = ParseAddress(vm["address"].as<std::string>()),
                          .paths = vm["paths"].as<size_t>(),
                          .depth = vm["depth"].as<uint32_t>(),
                          .weak = vm.count("weak") > 0};
}

void AddGraphCommands(std::vector<Command>& r) {
  r.push_back(Command{
      .name = "dominators",
      .summary = "the objects that retain the most (dominator tree), each with its retainer path",
      .add_options =
          [](po::options_description& o) {
            o.add_options()("top", po::value<size_t>()->default_value(20), "list N objects")(
                "paths", po::value<size_t>()->default_value(20),
                "retainer paths for the first N of them");
          },
      .run =
          [](Invocation& in) {
            const DominatorsOptions options = DominatorsOptionsFrom(in.options);
            auto result = RunDominators(in.session, options.top, options.paths);
            Emit(in, result);
            return PartialIf(result.partial);
          },
      .schema = "dominators.json"});
  r.push_back(Command{
      .name = "refs",
      .summary = "every heap slot that refers to an object, with holder and edge",
      .positionals = {"address"},
      .add_options =
          [](po::options_description& o) {
            o.add_options()("name", "ADDRESS is a property name: objects that have it")(
                "string", "ADDRESS is text: slots whose value is a string equal to it")(
                "limit", po::value<size_t>()->default_value(1000), "at most N references (0: all)");
          },
      .run =
          [](Invocation& in) {
            const RefsOptions o = RefsOptionsFrom(in.options);
            using By = RefsOptions::By;
            RefsResult result = o.by == By::kName ? RunRefsByName(in.session, o.query, o.limit)
                                : o.by == By::kString
                                    ? RunRefsToString(in.session, o.query, o.limit)
                                    : RunRefs(in.session, o.address);
            Emit(in, result);
            return PartialIf(result.partial);
          },
      .schema = "refs.json",
      .aliases = {{"findrefs", "findrefs [-v EXPR | -n NAME | -s TEXT] [-r]",
                   "refs (-v EXPR | -n NAME --name | -s TEXT --string; -r: retainers)", FindRefs}},
      .isolates = IsolateScope::kByAddress});
  r.push_back(Command{
      .name = "retainers",
      .summary = "the shortest retainer paths from the GC roots to an object",
      .positionals = {"address"},
      .add_options =
          [](po::options_description& o) {
            o.add_options()("paths", po::value<size_t>()->default_value(3), "at most N paths")(
                "depth", po::value<uint32_t>()->default_value(64), "at most D steps per path")(
                "weak", "follow weak references too");
          },
      .run =
          [](Invocation& in) {
            const RetainersOptions o = RetainersOptionsFrom(in.options);
            auto result = RunRetainers(in.session, o.address, o.paths, o.depth, o.weak);
            Emit(in, result);
            return PartialIf(result.partial);
          },
      .schema = "retainers.json",
      .isolates = IsolateScope::kByAddress});
}

}  // namespace mortem::commands

// The commands about the process's execution state: thread stacks (`stack`, the plugin's
// `v8 bt`), the script source of a frame (`v8 source list`), the one-report triage, and Node's
// active handles and requests (`handles`, `v8 getactivehandles`).
#include <algorithm>

#include "command_helpers.h"
#include "mortem/analysis/handles.h"
#include "mortem/analysis/stack.h"
#include "mortem/analysis/triage.h"
#include "mortem/commands/options.h"
#include "mortem/format/render.h"

namespace mortem::commands {
namespace {

// llnode: `v8 bt [N]`, N frames of the selected thread.
std::optional<Translation> Backtrace(std::vector<std::string> args, std::string&,
                                     const TakesValue&) {
  Translation t{.command = "stack", .selected_thread = true};
  for (const auto& a : args) {
    if (!IsFlag(a) && IsPlainNumber(a)) {
      t.args.push_back("--frames");
      t.args.push_back(a);
    } else {
      t.args.push_back(a);
    }
  }
  return t;
}

// llnode: `v8 source list [-l LINE]`: the source around the selected JS frame.
std::optional<Translation> SourceList(std::vector<std::string> args, std::string&,
                                      const TakesValue&) {
  Translation t{.command = "source", .selected_thread = true, .selected_frame = true};
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "list" && i == 0) continue;
    if ((args[i] == "-l" || args[i] == "--line") && i + 1 < args.size()) {
      t.args.push_back("--lines");
      t.args.push_back(args[++i]);
    } else {
      t.args.push_back(args[i]);
    }
  }
  return t;
}

// llnode: `v8 getactivehandles`, `v8 getactiverequests`: one of the two queues.
Translator ActiveQueue(std::string only) {
  return [only](std::vector<std::string> args, std::string&, const TakesValue&) {
    Translation t{.command = "handles", .args = std::move(args)};
    t.args.push_back(only);
    return std::optional<Translation>(std::move(t));
  };
}

}  // namespace

StackOptions StackOptionsFrom(const po::variables_map& vm) {
  StackOptions options;
  options.thread = vm["thread"].as<size_t>();
  options.all = vm.count("all") > 0;
  options.max_frames = std::max<size_t>(1, vm["frames"].as<size_t>());
  options.max_arguments = vm["arguments"].as<size_t>();
  return options;
}

TriageCommandOptions TriageOptionsFrom(const po::variables_map& vm) {
  TriageCommandOptions options;
  options.triage.top = std::max<size_t>(1, vm["top"].as<size_t>());
  options.triage.retained = vm.count("no-retained") == 0;
  if (vm.count("fail-if")) options.fail_if = vm["fail-if"].as<std::vector<std::string>>();
  FailingConditions(TriageResult{}, options.fail_if);  // a condition that does not parse: now
  options.markdown = vm.count("markdown") > 0;
  return options;
}

SourceOptions SourceOptionsFrom(const po::variables_map& vm) {
  SourceOptions options;
  options.thread = vm["thread"].as<size_t>();
  options.frame = vm["frame"].as<size_t>();
  options.context = std::clamp(vm["lines"].as<int>(), 0, 1000);
  return options;
}

HandlesOptions HandlesOptionsFrom(const po::variables_map& vm) {
  HandlesOptions options;
  options.handles = vm.count("requests-only") == 0;
  options.requests = vm.count("handles-only") == 0;
  options.timers = options.handles && options.requests;  // the JS timers: neither flag given
  return options;
}

void AddStackCommands(std::vector<Command>& r) {
  r.push_back(Command{
      .name = "stack",
      .summary =
          "thread stacks: native frames with JS frames decoded, and the exception being thrown",
      .add_options =
          [](po::options_description& o) {
            o.add_options()("thread", po::value<size_t>()->default_value(0),
                            "thread number N (1 = the thread that dumped; default: that one)")(
                "all", "every thread")("frames", po::value<size_t>()->default_value(256),
                                       "at most N frames per thread")(
                "arguments", po::value<size_t>()->default_value(8), "JS arguments shown per frame");
          },
      .run =
          [](Invocation& in) {
            auto result = RunStack(in.session, StackOptionsFrom(in.options));
            Emit(in, result);
            return ExitCode::kOk;
          },
      .schema = "stack.json",
      .aliases = {{"bt", "bt [N]", "stack --thread SELECTED [--frames N]", Backtrace}},
      .isolates = IsolateScope::kProcess});
  r.push_back(Command{
      .name = "triage",
      .summary =
          "one report: why it died, what fills the heap, who holds it, suspects in sentences",
      .add_options =
          [](po::options_description& o) {
            o.add_options()("top", po::value<size_t>()->default_value(10), "rows per table")(
                "markdown", "Markdown for pasting into a ticket")(
                "no-retained", "skip retained sizes and dominators (no heap graph: faster)")(
                "fail-if", po::value<std::vector<std::string>>()->composing(),
                "exit 6 if METRIC OP VALUE holds, e.g. 'retained(RequestRecord) > 50MB' "
                "(repeatable; metrics: heap_used, objects, count(T), self(T), retained(T), "
                "slab_waste, buffers, duplicate_strings, handles, handles(T), requests, "
                "requests(T), js_frames, exception, suspects)");
          },
      .run =
          [](Invocation& in) {
            const TriageCommandOptions options = TriageOptionsFrom(in.options);
            auto result = RunTriage(in.session, options.triage);
            auto holding = FailingConditions(result, options.fail_if);
            if (in.json) {
              auto j = format::ToJson(result);
              j["failed_conditions"] = holding;
              EmitJson(in, j);
            } else if (options.markdown) {
              format::PrintMarkdown(result, in.out);
            } else {
              format::PrintText(result, in.out);
            }
            for (const auto& h : holding) in.err << "mortem triage: condition holds: " << h << "\n";
            const ExitCode code =
                holding.empty() ? PartialIf(result.partial) : ExitCode::kConditionMet;
            if (in.overview) *in.overview = std::move(result);
            return code;
          },
      .schema = "triage.json",
      .overview =
          [](Invocation& in, const std::vector<std::any>& left) {
            std::vector<TriageResult> isolates;
            for (const auto& a : left)
              if (const auto* one = std::any_cast<TriageResult>(&a)) isolates.push_back(*one);
            format::PrintTriageOverview(isolates, in.out, TriageOptionsFrom(in.options).markdown);
          }});
  r.push_back(Command{
      .name = "source",
      .summary = "the script source around a JS frame (llnode's `v8 source list`)",
      .add_options =
          [](po::options_description& o) {
            o.add_options()("thread", po::value<size_t>()->default_value(0),
                            "thread number (default: the thread that dumped)")(
                "frame", po::value<size_t>()->default_value(0),
                "frame index as `stack` shows it; the first JS frame from there on")(
                "lines", po::value<int>()->default_value(5), "lines shown before and after");
          },
      .run =
          [](Invocation& in) {
            auto result = RunSource(in.session, SourceOptionsFrom(in.options));
            Emit(in, result);
            return ExitCode::kOk;
          },
      .schema = "source.json",
      .aliases = {{"source", "source list [-l N]",
                   "source --thread SELECTED --frame SELECTED [--lines N]", SourceList}},
      .isolates = IsolateScope::kProcess});
  r.push_back(Command{
      .name = "handles",
      .summary =
          "Node's active handles (servers, sockets, ...), requests (fs, dns, ...), JS timers and "
          "immediates, named as process.getActiveResourcesInfo() names them",
      .add_options =
          [](po::options_description& o) {
            o.add_options()("handles-only", "only the handle queue")("requests-only",
                                                                     "only the request queue");
          },
      .run =
          [](Invocation& in) {
            auto result = RunHandles(in.session, HandlesOptionsFrom(in.options));
            Emit(in, result);
            return PartialIf(result.partial);
          },
      .schema = "handles.json",
      .aliases = {{"getactivehandles", "getactivehandles", "handles --handles-only",
                   ActiveQueue("--handles-only")},
                  {"getactiverequests", "getactiverequests", "handles --requests-only",
                   ActiveQueue("--requests-only")}}});
}

}  // namespace mortem::commands

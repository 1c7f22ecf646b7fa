#include "mortem/commands/registry.h"

#include <algorithm>
#include <iostream>

#include "command_helpers.h"
#include "mortem/analysis/buffers.h"
#include "mortem/analysis/info.h"
#include "mortem/analysis/inspect.h"
#include "mortem/analysis/objects.h"
#include "mortem/analysis/read.h"
#include "mortem/core/escape.h"
#include "mortem/format/render.h"

namespace mortem::commands {
void AddHeapCommands(std::vector<Command>& r) {
  r.push_back(Command{"info",
                      "process, versions, threads and the V8 heap per space",
                      {},
                      [](po::options_description&) {},
                      [](Invocation& in) {
                        auto result = RunInfo(in.session);
                        Emit(in, result);
                        return PartialIf(result.walk.skipped_bytes > 0);
                      }});
  r.push_back(Command{
      "objects",
      "the heap histogram: objects by type with counts and self sizes",
      {},
      [](po::options_description& o) {
        o.add_options()("sort", po::value<std::string>()->default_value("size"),
                        "sort rows by size, count or retained")(
            "top", po::value<size_t>()->default_value(0), "show only the first N rows (0: all)")(
            "by-instance-type", "one row per V8 instance type instead of per DevTools class")(
            "retained", "add retained sizes (builds the heap graph and its dominator tree)")(
            "reachable",
            "count only objects the roots reach (over weak references too), as V8's heap "
            "snapshot does (builds the heap graph)");
      },
      [](Invocation& in) {
        ObjectsOptions options;
        auto sort = in.options["sort"].as<std::string>();
        options.retained = in.options.count("retained") > 0 || sort == "retained";
        if (sort == "count")
          options.sort = ObjectsOptions::Sort::kCount;
        else if (sort == "retained")
          options.sort = ObjectsOptions::Sort::kRetained;
        else if (sort != "size")
          throw po::error("--sort takes size, count or retained");
        options.top = in.options["top"].as<size_t>();
        options.by_instance_type = in.options.count("by-instance-type") > 0;
        options.reachable = in.options.count("reachable") > 0;
        auto result = RunObjects(in.session, options);
        Emit(in, result);
        return PartialIf(result.walk.skipped_bytes > 0);
      }});
  r.push_back(Command{
      "instances",
      "the objects of one type (a row of `objects`), with previews",
      {"name"},
      [](po::options_description& o) {
        o.add_options()("limit", po::value<size_t>()->default_value(50),
                        "show at most N objects (0: all)")(
            "kind", po::value<std::string>()->default_value(""),
            "only rows of this kind (object, closure, string, ...); default: object rows if any");
      },
      [](Invocation& in) {
        auto result =
            RunInstances(in.session, in.options["name"].as<std::string>(),
                         in.options["kind"].as<std::string>(), in.options["limit"].as<size_t>());
        Emit(in, result);
        return result.total == 0 ? ExitCode::kBadInput : ExitCode::kOk;
      }});
  r.push_back(Command{
      "inspect",
      "one value in full: properties, elements, strings, functions, ...",
      {"address"},
      [](po::options_description& o) {
        o.add_options()("depth", po::value<int>()->default_value(2), "levels of nested values")(
            "properties", po::value<size_t>()->default_value(64), "properties shown per object")(
            "elements", po::value<size_t>()->default_value(32), "elements shown per array")(
            "string-length", po::value<size_t>()->default_value(1024), "characters per string")(
            "full-string", "strings in full (up to 1 Mi characters)")(
            "source", "a function's source text too");
      },
      [](Invocation& in) {
        v8::ValueLimits limits;
        limits.depth = std::clamp(in.options["depth"].as<int>(), 0, 16);
        limits.properties = in.options["properties"].as<size_t>();
        limits.elements = in.options["elements"].as<size_t>();
        limits.string_chars = in.options.count("full-string")
                                  ? size_t{1} << 20
                                  : in.options["string-length"].as<size_t>();
        auto result = RunInspect(in.session, ParseAddress(in.options["address"].as<std::string>()),
                                 limits, in.options.count("source") > 0);
        Emit(in, result);
        return ExitCode::kOk;
      }});
}

namespace {

std::vector<Command> BuildRegistry() {
  std::vector<Command> r;
  AddHeapCommands(r);
  AddBufferCommands(r);
  AddGraphCommands(r);
  AddStackCommands(r);
  AddDiffCommands(r);
  return r;
}

}  // namespace

const std::vector<Command>& Registry() {
  static const std::vector<Command> registry = BuildRegistry();
  return registry;
}

const Command* FindCommand(const std::string& name) {
  for (const auto& c : Registry())
    if (c.name == name) return &c;
  return nullptr;
}

po::options_description CommandOptions(const Command& command) {
  po::options_description options(command.name + " options");
  options.add_options()("json", "print JSON instead of text")(
      "threads", po::value<unsigned>(), "worker threads for heap walks (default: all cores)");
  command.add_options(options);
  return options;
}

ExitCode RunCommand(const Command& command, Session& session, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err, const Frontend& frontend) {
  try {
    auto options = CommandOptions(command);
    po::options_description hidden;
    po::positional_options_description positional;
    for (const auto& p : command.positionals) {
      hidden.add_options()(p.c_str(), po::value<std::string>());
      positional.add(p.c_str(), 1);
    }
    po::options_description all;
    all.add(options).add(hidden);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
    for (const auto& p : command.positionals)
      if (!vm.count(p)) throw po::error("missing argument " + p);
    Session* second = nullptr;
    if (command.second_core) {
      if (!frontend.open_core)
        throw po::error("this frontend has one target; " + command.name +
                        " compares two cores (use the mortem CLI)");
      second = &frontend.open_core(vm[command.positionals.front()].as<std::string>());
    }
    for (Session* s : {&session, second}) {
      if (s && vm.count("threads")) s->set_threads(std::max(1u, vm["threads"].as<unsigned>()));
    }
    // Text goes out with the control bytes of names and strings from the core escaped (JSON
    // escapes them itself).
    const bool json = vm.count("json") > 0;
    ControlEscaper escaped_out(out.rdbuf()), escaped_err(err.rdbuf());
    std::ostream text_out(&escaped_out), text_err(&escaped_err);
    Invocation in{session, second, frontend.force, vm, json, json ? out : text_out, text_err};
    ExitCode code = command.run(in);
    // A result from a truncated core may miss what the lost bytes held.
    const bool truncated = session.facts().truncated || (second && second->facts().truncated);
    if (code == ExitCode::kOk && truncated) code = ExitCode::kPartial;
    return code;
  } catch (const po::error& e) {
    err << "mortem " << command.name << ": " << e.what() << "\n";
    return ExitCode::kUsage;
  } catch (const Error& e) {
    err << "mortem " << command.name << ": error: " << e.what() << "\n";
    return e.code();
  } catch (const std::exception& e) {
    err << "mortem " << command.name << ": internal error: " << e.what() << "\n";
    return ExitCode::kInternal;
  }
}

}  // namespace mortem::commands

// The commands about the JS heap's objects: the process and heap summary, the histogram, one
// row's instances, one value in full; with llnode's names for them (findjsobjects,
// findjsinstances, nodeinfo, print, inspect's flags).
#include <algorithm>

#include "command_helpers.h"
#include "mortem/analysis/info.h"
#include "mortem/analysis/inspect.h"
#include "mortem/analysis/objects.h"
#include "mortem/commands/options.h"

namespace mortem::commands {
namespace {

// llnode's findjsobjects prints every row; here the biggest kFindJsObjectsTop rows come first
// with the note `objects --top` prints ("N smaller rows not shown"); --top N (0: all) or --json
// for the rest, `v8 findjsinstances NAME` for one row's objects.
constexpr const char* kFindJsObjectsTop = "50";

std::optional<Translation> FindJsObjects(std::vector<std::string> args, std::string&,
                                         const TakesValue&) {
  Translation t{.command = "objects", .args = {"--all"}};  // llnode's: everything on the heap
  bool top_given = false, json = false;
  for (auto& a : args) {
    if (a == "-d" || a == "--detailed" || a == "-v" || a == "--verbose") {
      t.notes.push_back("llnode's " + a +
                        " is ignored: mortem's objects rows are already per class; "
                        "`v8 instances NAME` lists one row's objects");
      continue;
    }
    top_given |= a == "--top" || a.starts_with("--top=");
    json |= a == "--json";
    t.args.push_back(a);
  }
  if (!top_given && !json) {
    t.args.push_back("--top");
    t.args.push_back(kFindJsObjectsTop);
  }
  return t;
}

std::optional<Translation> FindJsInstances(std::vector<std::string> args, std::string& error,
                                           const TakesValue&) {
  Translation t{.command = "instances"};
  std::optional<std::string> limit, type_name;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-n" || a == "--output-limit") {
      if (i + 1 >= args.size()) {
        error = "findjsinstances: " + a + " needs a number";
        return std::nullopt;
      }
      limit = args[++i];
    } else if (a.starts_with("--output-limit=")) {
      limit = a.substr(15);
    } else if (a == "-d" || a == "--detailed" || a == "-v" || a == "--verbose" || a == "-m" ||
               a == "-s" || a == "-F") {
      t.notes.push_back("llnode's " + a + " is ignored; `v8 inspect ADDRESS` shows one in full");
    } else if (!IsFlag(a) && !type_name) {
      type_name = a;
    } else {
      t.args.push_back(a);  // mortem's own flags (--limit, --kind, --json)
    }
  }
  if (!type_name) {
    error = "findjsinstances: missing the type name (usage: v8 findjsinstances [-n N] NAME)";
    return std::nullopt;
  }
  t.args.insert(t.args.begin(), *type_name);
  t.args.push_back("--all");  // llnode's: every instance on the heap
  if (limit) {
    t.args.push_back("--limit");
    t.args.push_back(*limit);
  }
  return t;
}

// llnode's inspect flags: -F (full strings), -s (a function's source), -l N (string length);
// -m (the map) is always shown. The address may be an expression of several words.
Translation Inspect(std::vector<std::string> args, const TakesValue& takes_value) {
  Translation t{.command = "inspect"};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-m" || a == "--print-map") {
      t.notes.push_back("the map is always shown by mortem's inspect");
    } else if (a == "-s" || a == "--print-source") {
      t.args.push_back("--source");
    } else if (a == "-F" || a == "--full-string") {
      t.args.push_back("--full-string");
    } else if ((a == "-l" || a == "--length") && i + 1 < args.size()) {
      t.args.push_back("--string-length");
      t.args.push_back(args[++i]);
    } else {
      t.args.push_back(a);
    }
  }
  t.address_arg = MergePositionals(t.command, t.args, takes_value);
  return t;
}

Command InfoCommand() {
  return Command{
      .name = "info",
      .summary = "process, versions, threads and the V8 heap per space",
      .add_options = [](po::options_description&) {},
      .run =
          [](Invocation& in) {
            auto result = RunInfo(in.session);
            Emit(in, result);
            bool partial = !result.broken_isolates.empty();
            for (const auto& i : result.isolates) partial |= i.walk.skipped_bytes > 0;
            return PartialIf(partial);
          },
      .schema = "info.json",
      .aliases = {{"nodeinfo", "nodeinfo", "info",
                   [](std::vector<std::string> args, std::string&, const TakesValue&) {
                     return std::optional<Translation>(
                         Translation{.command = "info", .args = std::move(args)});
                   }},
                  {"isolates", "isolates", "info (its isolates: threads and heaps)",
                   [](std::vector<std::string> args, std::string&, const TakesValue&) {
                     return std::optional<Translation>(
                         Translation{.command = "info", .args = std::move(args)});
                   }}},
      .isolates = IsolateScope::kProcess,
  };
}

Command ObjectsCommand() {
  return Command{
      .name = "objects",
      .summary = "the heap histogram: objects by type with counts and self sizes",
      .add_options =
          [](po::options_description& o) {
            o.add_options()("sort", po::value<std::string>()->default_value("size"),
                            "sort rows by size, count or retained")(
                "top", po::value<size_t>()->default_value(0),
                "show only the first N rows (0: all)")(
                "by-instance-type", "one row per V8 instance type instead of per DevTools class")(
                "retained", "add retained sizes (builds the heap graph and its dominator tree)")(
                "all",
                "count every object on the heap, the garbage the GC has not collected yet too "
                "(default: only what the roots reach, over weak references too, as V8's heap "
                "snapshot and DevTools count)");
          },
      .run =
          [](Invocation& in) {
            auto result = RunObjects(in.session, ObjectsOptionsFrom(in.options));
            Emit(in, result);
            return PartialIf(result.walk.skipped_bytes > 0);
          },
      .schema = "objects.json",
      .aliases = {{"findjsobjects", "findjsobjects", "objects --all", FindJsObjects}},
  };
}

Command InstancesCommand() {
  return Command{
      .name = "instances",
      .summary = "the objects of one type (a row of `objects`), with previews",
      .positionals = {"name"},
      .add_options =
          [](po::options_description& o) {
            o.add_options()("limit", po::value<size_t>()->default_value(50),
                            "show at most N objects (0: all)")(
                "kind", po::value<std::string>()->default_value(""),
                "only rows of this kind (object, closure, string, ...); default: object rows if "
                "any")("all",
                       "every object of the row on the heap, garbage too (default: what the "
                       "roots reach, as `objects` counts)");
          },
      .run =
          [](Invocation& in) {
            const InstancesOptions o = InstancesOptionsFrom(in.options);
            auto result = RunInstances(in.session, o.name, o.kind, o.limit, o.all);
            Emit(in, result);
            // None found on a damaged heap: partial (what could not be read may hold them).
            if (result.total == 0 && in.session.HeapDamage().empty()) return ExitCode::kBadInput;
            return ExitCode::kOk;
          },
      .schema = "instances.json",
      .aliases = {{"findjsinstances", "findjsinstances [-n N] NAME",
                   "instances NAME --all --limit N", FindJsInstances}},
  };
}

Command InspectCommand() {
  return Command{
      .name = "inspect",
      .summary = "one value in full: properties, elements, strings, functions, ...",
      .positionals = {"address"},
      .add_options =
          [](po::options_description& o) {
            o.add_options()("depth", po::value<int>()->default_value(2), "levels of nested values")(
                "properties", po::value<size_t>()->default_value(64),
                "properties shown per object")("elements", po::value<size_t>()->default_value(32),
                                               "elements shown per array")(
                "string-length", po::value<size_t>()->default_value(1024), "characters per string")(
                "full-string", "strings in full (up to 1 Mi characters)")(
                "source", "a function's source text too");
          },
      .run =
          [](Invocation& in) {
            const InspectOptions options = InspectOptionsFrom(in.options);
            auto result = RunInspect(in.session, options.address, options.limits, options.source);
            Emit(in, result);
            return ExitCode::kOk;
          },
      .schema = "inspect.json",
      .aliases = {{"inspect", "inspect [-F] [-s] [-l N] EXPR",
                   "inspect EXPR [--full-string] [--source] [--string-length N]",
                   [](std::vector<std::string> args, std::string&, const TakesValue& takes_value) {
                     return std::optional<Translation>(Inspect(std::move(args), takes_value));
                   }},
                  {"print", "print EXPR", "inspect EXPR --depth 0",
                   [](std::vector<std::string> args, std::string&, const TakesValue& takes_value) {
                     Translation t = Inspect(std::move(args), takes_value);
                     t.args.push_back("--depth");
                     t.args.push_back("0");
                     return std::optional<Translation>(std::move(t));
                   }}},
      .isolates = IsolateScope::kByAddress,
  };
}

}  // namespace

ObjectsOptions ObjectsOptionsFrom(const po::variables_map& vm) {
  ObjectsOptions options;
  options.sort = SortFrom<ObjectsOptions::Sort>(vm);
  options.retained = vm.count("retained") > 0 || options.sort == ObjectsOptions::Sort::kRetained;
  options.top = vm["top"].as<size_t>();
  options.by_instance_type = vm.count("by-instance-type") > 0;
  options.all = vm.count("all") > 0;
  return options;
}

InstancesOptions InstancesOptionsFrom(const po::variables_map& vm) {
  return InstancesOptions{.name = vm["name"].as<std::string>(),
                          .kind = vm["kind"].as<std::string>(),
                          .limit = vm["limit"].as<size_t>(),
                          .all = vm.count("all") > 0};
}

InspectOptions InspectOptionsFrom(const po::variables_map& vm) {
  InspectOptions options;
  options.address = ParseAddress(vm["address"].as<std::string>());
  options.limits.depth = std::clamp(vm["depth"].as<int>(), 0, 16);
  options.limits.properties = vm["properties"].as<size_t>();
  options.limits.elements = vm["elements"].as<size_t>();
  options.limits.string_chars =
      vm.count("full-string") ? size_t{1} << 20 : vm["string-length"].as<size_t>();
  options.source = vm.count("source") > 0;
  return options;
}

void AddHeapCommands(std::vector<Command>& r) {
  r.push_back(InfoCommand());
  r.push_back(ObjectsCommand());
  r.push_back(InstancesCommand());
  r.push_back(InspectCommand());
}

}  // namespace mortem::commands

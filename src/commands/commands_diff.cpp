// The command that compares two cores of one binary: per-type growth, DevTools' Comparison view.
#include "command_helpers.h"
#include "mortem/analysis/diff.h"
#include "mortem/commands/options.h"

namespace mortem::commands {

DiffOptions DiffOptionsFrom(const po::variables_map& vm) {
  DiffOptions options;
  options.sort = SortFrom<DiffOptions::Sort>(vm);
  options.retained = vm.count("retained") > 0;
  options.all = vm.count("all") > 0;
  options.top = vm["top"].as<size_t>();
  options.grown_only = vm.count("grown-only") > 0;
  options.paths = vm["paths"].as<size_t>();
  options.path_depth = vm["depth"].as<uint32_t>();
  return options;
}

void AddDiffCommands(std::vector<Command>& r) {
  Command diff{
      .name = "diff",
      .summary =
          "growth per type between two cores of one binary: counts, sizes, who holds new objects",
      .positionals = {"new-core"},
      .add_options =
          [](po::options_description& o) {
            o.add_options()("sort", po::value<std::string>()->default_value("size"),
                            "sort rows by growth of size (self size), count or retained")(
                "top", po::value<size_t>()->default_value(0),
                "show only the first N rows (0: all)")(
                "grown-only", "leave out rows whose sorted-by measure did not grow")(
                "retained", "add retained sizes (builds the heap graph of both cores)")(
                "all",
                "count every object on both heaps, garbage not yet collected too (default: "
                "what the roots reach)")(
                "paths", po::value<size_t>()->default_value(3),
                "a retainer path of a new instance for the first N growing rows")(
                "depth", po::value<uint32_t>()->default_value(64), "at most D steps per path");
          },
      .run =
          [](Invocation& in) {
            DiffOptions options = DiffOptionsFrom(in.options);
            options.force = in.force;
            options.thread_id = in.thread_id;
            auto result = RunDiff(in.session, *in.second, options);
            Emit(in, result);
            return PartialIf(result.old_core.walk.skipped_bytes > 0 ||
                             result.new_core.walk.skipped_bytes > 0);
          },
      .second_core = true,
      .schema = "diff.json"};
  r.push_back(std::move(diff));
}

}  // namespace mortem::commands

// The command that turns the core's heap into a V8 .heapsnapshot for DevTools, memlab and every
// other snapshot tool.
#include "command_helpers.h"
#include "mortem/analysis/snapshot.h"

namespace mortem::commands {

SnapshotOptions SnapshotOptionsFrom(const po::variables_map& vm, const Session& session) {
  SnapshotOptions options;
  if (vm.count("output"))
    options.path = vm["output"].as<std::string>();
  else
    options.path = "heap-" + std::to_string(session.facts().pid) + ".heapsnapshot";
  if (options.path.empty() || options.path == "-")
    throw po::error("--output needs a file (the snapshot's counts are written last)");
  return options;
}

void AddSnapshotCommands(std::vector<Command>& r) {
  r.push_back(Command{.name = "snapshot",
                      .summary = "write the heap as a V8 .heapsnapshot (Chrome DevTools, memlab)",
                      .add_options =
                          [](po::options_description& o) {
                            o.add_options()("output,o", po::value<std::string>(),
                                            "the file to write (default: heap-PID.heapsnapshot)");
                          },
                      .run =
                          [](Invocation& in) {
                            const SnapshotOptions options =
                                SnapshotOptionsFrom(in.options, in.session);
                            auto result = WriteHeapSnapshot(in.session, options);
                            for (const auto& m : result.missing)
                              in.err << "mortem snapshot: partial: " << m << "\n";
                            Emit(in, result);
                            return PartialIf(result.partial);
                          },
                      .schema = "snapshot.json",
                      .isolates = IsolateScope::kOne});
}

}  // namespace mortem::commands

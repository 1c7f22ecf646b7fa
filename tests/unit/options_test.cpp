// Unit tests of the commands' typed options: the words of a command parsed once with its spec
// (ParseOptions) and read into the analysis's options struct, without a core: defaults, --sort
// words, clamps, switches, and the usage errors.
#include "mortem/commands/options.h"

#include <doctest/doctest.h>

#include "mortem/core/error.h"

namespace {

namespace commands = mortem::commands;
using Args = std::vector<std::string>;

commands::po::variables_map Parse(const std::string& command, const Args& args) {
  const commands::Command* c = commands::FindCommand(command);
  REQUIRE(c);
  return commands::ParseOptions(*c, args);
}

}  // namespace

TEST_CASE("objects: defaults, --sort retained implies retained sizes, a bad --sort") {
  auto o = commands::ObjectsOptionsFrom(Parse("objects", {}));
  CHECK(o.sort == mortem::ObjectsOptions::Sort::kSize);
  CHECK(o.top == 0);
  CHECK(!o.retained);
  CHECK(!o.all);
  o = commands::ObjectsOptionsFrom(Parse("objects", {"--sort", "retained", "--top", "5"}));
  CHECK(o.sort == mortem::ObjectsOptions::Sort::kRetained);
  CHECK(o.retained);
  CHECK(o.top == 5);
  o = commands::ObjectsOptionsFrom(Parse("objects", {"--sort", "count", "--by-instance-type"}));
  CHECK(o.sort == mortem::ObjectsOptions::Sort::kCount);
  CHECK(o.by_instance_type);
  CHECK_THROWS_AS(commands::ObjectsOptionsFrom(Parse("objects", {"--sort", "name"})),
                  commands::po::error);
}

TEST_CASE("diff: the second core is a positional; --sort retained alone adds no retained sizes") {
  auto vm = Parse("diff", {"new.core", "--sort", "retained", "--paths", "1"});
  CHECK(vm["new-core"].as<std::string>() == "new.core");
  auto o = commands::DiffOptionsFrom(vm);
  CHECK(o.sort == mortem::DiffOptions::Sort::kRetained);
  CHECK(!o.retained);
  CHECK(o.paths == 1);
  CHECK(o.path_depth == 64);
  CHECK(!o.force);
  CHECK_THROWS_AS(Parse("diff", {"--top", "3"}), commands::po::error);  // no NEW_CORE
}

TEST_CASE("inspect: the address, depth clamped to 0..16, --full-string, --source") {
  auto o = commands::InspectOptionsFrom(Parse("inspect", {"0x1000", "--depth", "99"}));
  CHECK(o.address == 0x1000);
  CHECK(o.limits.depth == 16);
  CHECK(o.limits.string_chars == 1024);
  CHECK(!o.source);
  o = commands::InspectOptionsFrom(Parse("inspect", {"0x10", "--full-string", "--source"}));
  CHECK(o.limits.string_chars == size_t{1} << 20);
  CHECK(o.source);
  CHECK_THROWS_AS(Parse("inspect", {"0x10", "--no-such-option"}), commands::po::error);
}

TEST_CASE("stack, source, handles, triage, buffers: defaults and clamps") {
  auto stack = commands::StackOptionsFrom(Parse("stack", {"--frames", "0", "--all"}));
  CHECK(stack.max_frames == 1);
  CHECK(stack.all);
  CHECK(stack.max_arguments == 8);
  auto source = commands::SourceOptionsFrom(Parse("source", {"--lines", "5000", "--frame", "3"}));
  CHECK(source.context == 1000);
  CHECK(source.frame == 3);
  auto handles = commands::HandlesOptionsFrom(Parse("handles", {"--handles-only"}));
  CHECK(handles.handles);
  CHECK(!handles.requests);
  auto triage = commands::TriageOptionsFrom(Parse("triage", {"--top", "0", "--no-retained"}));
  CHECK(triage.triage.top == 1);
  CHECK(!triage.triage.retained);
  CHECK(!triage.markdown);
  triage = commands::TriageOptionsFrom(
      Parse("triage", {"--markdown", "--fail-if", "objects > 0", "--fail-if", "self(Dog) >= 1MB"}));
  CHECK(triage.markdown);
  CHECK(triage.fail_if == Args{"objects > 0", "self(Dog) >= 1MB"});
  CHECK_THROWS_AS(commands::TriageOptionsFrom(Parse("triage", {"--fail-if", "objects >"})),
                  mortem::Error);
  auto buffers = commands::BuffersOptionsFrom(Parse("buffers", {"--min-size", "4096"}));
  CHECK(buffers.top == 50);
  CHECK(buffers.min_size == 4096);
  CHECK(!buffers.paths);
}

TEST_CASE("instances, read, buffers --dump: positionals, defaults, a bad --format") {
  auto instances = commands::InstancesOptionsFrom(Parse("instances", {"Dog"}));
  CHECK(instances.name == "Dog");
  CHECK(instances.kind.empty());
  CHECK(instances.limit == 50);
  auto read = commands::ReadOptionsFrom(Parse("read", {"0x20", "--format", "u32"}));
  CHECK(read.text == "0x20");
  CHECK(read.address == 0x20);
  CHECK(read.length == 256);
  CHECK(read.format == mortem::ReadFormat::kU32);
  CHECK_THROWS_AS(commands::ReadOptionsFrom(Parse("read", {"0x20", "--format", "u16"})),
                  mortem::Error);
  CHECK(!commands::DumpOptionsFrom(Parse("buffers", {})));
  auto dump = commands::DumpOptionsFrom(Parse("buffers", {"--dump", "0x40", "--length", "8"}));
  REQUIRE(dump);
  CHECK(dump->address == 0x40);
  CHECK(dump->length == 8);
  CHECK(dump->format == mortem::ReadFormat::kHex);
}

TEST_CASE("refs by address, --name, --string; retainers; dominators --top 0 lists one") {
  using By = commands::RefsOptions::By;
  auto refs = commands::RefsOptionsFrom(Parse("refs", {"0x30"}));
  CHECK(refs.by == By::kAddress);
  CHECK(refs.address == 0x30);
  refs = commands::RefsOptionsFrom(Parse("refs", {"cartId", "--name", "--limit", "0"}));
  CHECK(refs.by == By::kName);
  CHECK(refs.query == "cartId");
  CHECK(refs.limit == 0);
  CHECK(commands::RefsOptionsFrom(Parse("refs", {"hi there", "--string"})).by == By::kString);
  auto retainers = commands::RetainersOptionsFrom(Parse("retainers", {"0x50", "--weak"}));
  CHECK(retainers.address == 0x50);
  CHECK(retainers.paths == 3);
  CHECK(retainers.depth == 64);
  CHECK(retainers.weak);
  auto dominators = commands::DominatorsOptionsFrom(Parse("dominators", {"--top", "0"}));
  CHECK(dominators.top == 1);
  CHECK(dominators.paths == 20);
}

// The commands about memory outside the JS objects: buffers and raw bytes.
#include <algorithm>

#include "command_helpers.h"
#include "mortem/analysis/buffers.h"
#include "mortem/analysis/inspect.h"
#include "mortem/analysis/read.h"
#include "mortem/commands/options.h"

namespace mortem::commands {

BuffersOptions BuffersOptionsFrom(const po::variables_map& vm) {
  BuffersOptions options;
  options.top = vm["top"].as<size_t>();
  options.min_size = vm["min-size"].as<uint64_t>();
  options.paths = vm.count("paths") > 0;
  options.all = vm.count("all") > 0;
  return options;
}

std::optional<ReadOptions> DumpOptionsFrom(const po::variables_map& vm) {
  if (!vm.count("dump")) return std::nullopt;
  const std::string text = vm["dump"].as<std::string>();
  return ReadOptions{.text = text,
                     .address = ParseAddress(text),
                     .length = vm["length"].as<uint64_t>(),
                     .format = ReadFormat::kHex};
}

ReadOptions ReadOptionsFrom(const po::variables_map& vm) {
  const std::string text = vm["address"].as<std::string>();
  return ReadOptions{.text = text,
                     .address = ParseAddress(text),
                     .length = vm["length"].as<uint64_t>(),
                     .format = ParseReadFormat(vm["format"].as<std::string>())};
}

void AddBufferCommands(std::vector<Command>& r) {
  r.push_back(Command{
      .name = "buffers",
      .summary = "ArrayBuffers, their views, unviewed bytes by cause, external strings",
      .add_options =
          [](po::options_description& o) {
            o.add_options()("top", po::value<size_t>()->default_value(50),
                            "list the N largest buffers (0: all)")(
                "min-size", po::value<uint64_t>()->default_value(0),
                "only buffers of this many bytes")(
                "dump", po::value<std::string>(),
                "print the bytes of one buffer (ArrayBuffer or backing store address)")(
                "length", po::value<uint64_t>()->default_value(4096), "bytes shown by --dump")(
                "paths",
                "show who keeps an example view of each cause alive (builds the heap graph)")(
                "all",
                "every ArrayBuffer on the heap, the garbage not yet collected too (default: what "
                "the roots reach)");
          },
      .run =
          [](Invocation& in) {
            BuffersOptions options = BuffersOptionsFrom(in.options);
            if (const auto dump = DumpOptionsFrom(in.options)) {
              const Address wanted = dump->address;
              options.top = 0;
              options.all = true;  // the buffer asked for, live or not
              auto all = RunBuffers(in.session, options);
              for (const auto& b : all.array_buffers) {
                if (b.address != wanted && b.address + 1 != wanted && b.backing_store != wanted)
                  continue;
                auto length = std::min(b.byte_length, dump->length);
                auto result = RunRead(in.session, b.backing_store, length, ReadFormat::kHex);
                Emit(in, result);
                return result.missing.empty() ? ExitCode::kOk : ExitCode::kPartial;
              }
              throw Error("no ArrayBuffer or backing store at " + dump->text);
            }
            auto result = RunBuffers(in.session, options);
            Emit(in, result);
            return PartialIf(result.partial);
          },
      .schema = "buffers.json"});
  r.push_back(Command{.name = "read",
                      .summary = "raw bytes at an address, as hex, text or numbers",
                      .positionals = {"address"},
                      .add_options =
                          [](po::options_description& o) {
                            o.add_options()("length", po::value<uint64_t>()->default_value(256),
                                            "bytes to read")(
                                "format", po::value<std::string>()->default_value("hex"),
                                "hex, ascii, utf8, utf16, u8, u32, f32 or f64");
                          },
                      .run =
                          [](Invocation& in) {
                            const ReadOptions o = ReadOptionsFrom(in.options);
                            auto result = RunRead(in.session, o.address, o.length, o.format);
                            if (result.bytes.empty())
                              throw Error("cannot read " + o.text + ": " + result.missing);
                            Emit(in, result);
                            return result.missing.empty() ? ExitCode::kOk : ExitCode::kPartial;
                          },
                      .schema = "read.json",
                      .isolates = IsolateScope::kProcess});
}

}  // namespace mortem::commands

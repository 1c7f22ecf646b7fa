#include "mortem/analysis/read.h"

#include "mortem/core/error.h"

namespace mortem {
namespace {
constexpr uint64_t kMaxReadLength = uint64_t{64} << 20;
struct FormatName {
  ReadFormat format;
  const char* name;
};
constexpr FormatName kFormats[] = {{ReadFormat::kHex, "hex"},   {ReadFormat::kAscii, "ascii"},
                                   {ReadFormat::kUtf8, "utf8"}, {ReadFormat::kUtf16, "utf16"},
                                   {ReadFormat::kU8, "u8"},     {ReadFormat::kU32, "u32"},
                                   {ReadFormat::kF32, "f32"},   {ReadFormat::kF64, "f64"}};
}  // namespace

ReadFormat ParseReadFormat(const std::string& name) {
  for (const auto& f : kFormats)
    if (name == f.name) return f.format;
  throw Error("unknown format '" + name + "' (hex, ascii, utf8, utf16, u8, u32, f32, f64)",
              ExitCode::kUsage);
}

const char* ReadFormatName(ReadFormat format) {
  for (const auto& f : kFormats)
    if (format == f.format) return f.name;
  return "?";
}

ReadResult RunRead(Session& session, Address address, uint64_t length, ReadFormat format) {
  if (length > kMaxReadLength) throw Error("--length is capped at 64 MiB", ExitCode::kUsage);
  ReadResult r;
  r.address = address;
  r.requested = length;
  r.format = format;
  r.bytes.resize(length);
  size_t got = session.memory().Read(address, r.bytes.data(), length);
  r.bytes.resize(got);
  if (got < length) r.missing = session.memory().WhyUnreadable(address + got);
  return r;
}

}  // namespace mortem

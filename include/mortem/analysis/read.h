// Purpose: the `read` command: raw bytes of the target at any address, decoded as hex, text or
// numbers; when bytes are missing it says why (not mapped, left out of the core, truncated).
#pragma once
#include <string>
#include <vector>

#include "mortem/analysis/session.h"

namespace mortem {

enum class ReadFormat { kHex, kAscii, kUtf8, kUtf16, kU8, kU32, kF32, kF64 };
ReadFormat ParseReadFormat(const std::string& name);  // throws Error
const char* ReadFormatName(ReadFormat format);

struct ReadResult {
  Address address = 0;
  uint64_t requested = 0;
  std::vector<std::byte> bytes;  // the readable prefix
  ReadFormat format = ReadFormat::kHex;
  std::string missing;  // why the rest could not be read, if any
};

ReadResult RunRead(Session& session, Address address, uint64_t length, ReadFormat format);

}  // namespace mortem

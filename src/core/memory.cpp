#include "mortem/core/memory.h"

namespace mortem {

bool Memory::IsReadable(Address address, size_t length) const {
  if (length == 0) return true;
  if (View(address, length).size() == length) return true;
  std::vector<std::byte> scratch(std::min<size_t>(length, 1 << 16));
  size_t done = 0;
  while (done < length) {
    size_t chunk = std::min(scratch.size(), length - done);
    if (Read(address + done, scratch.data(), chunk) != chunk) return false;
    done += chunk;
  }
  return true;
}

std::optional<std::string> Memory::ReadCString(Address address, size_t max_length) const {
  std::string out;
  char buffer[256];
  while (out.size() < max_length) {
    size_t want = std::min(sizeof(buffer), max_length - out.size());
    size_t got = Read(address + out.size(), buffer, want);
    if (got == 0) return std::nullopt;
    for (size_t i = 0; i < got; ++i) {
      if (buffer[i] == '\0') return out;
      out.push_back(buffer[i]);
    }
    if (got < want) return std::nullopt;
  }
  return out;
}

}  // namespace mortem

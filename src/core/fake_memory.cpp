#include "mortem/core/fake_memory.h"

#include <algorithm>

#include "mortem/core/error.h"

namespace mortem {

void FakeMemory::AddBlock(Address start, size_t size) {
  blocks_[start] = std::vector<std::byte>(size);
}

const std::pair<const Address, std::vector<std::byte>>* FakeMemory::BlockAt(Address address) const {
  auto it = blocks_.upper_bound(address);
  if (it == blocks_.begin()) return nullptr;
  --it;
  if (address - it->first >= it->second.size()) return nullptr;
  return &*it;
}

void FakeMemory::WriteBytes(Address address, const void* data, size_t length) {
  auto* block = BlockAt(address);
  if (!block || address - block->first + length > block->second.size())
    throw Error("FakeMemory: write outside blocks");
  auto& bytes = const_cast<std::vector<std::byte>&>(block->second);
  std::memcpy(bytes.data() + (address - block->first), data, length);
}

std::span<const std::byte> FakeMemory::View(Address address, size_t length) const {
  auto* block = BlockAt(address);
  if (!block) return {};
  size_t offset = address - block->first;
  if (length > block->second.size() - offset) return {};
  return {block->second.data() + offset, length};
}

size_t FakeMemory::Read(Address address, void* out, size_t length) const {
  size_t done = 0;
  while (done < length) {
    auto* block = BlockAt(address + done);
    if (!block) break;
    size_t offset = address + done - block->first;
    size_t chunk = std::min(length - done, block->second.size() - offset);
    std::memcpy(static_cast<char*>(out) + done, block->second.data() + offset, chunk);
    done += chunk;
  }
  return done;
}

std::vector<Region> FakeMemory::Regions() const {
  std::vector<Region> regions;
  for (const auto& [start, bytes] : blocks_)
    regions.push_back(Region{start, start + bytes.size(), true, true, false, ""});
  return regions;
}

}  // namespace mortem

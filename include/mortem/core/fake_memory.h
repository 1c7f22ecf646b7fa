// Purpose: an in-memory Memory for unit tests of parsing code: blocks of bytes placed at chosen
// addresses, with helpers to write words. Never used on a real target.
#pragma once
#include <map>
#include <vector>

#include "mortem/core/memory.h"

namespace mortem {

class FakeMemory : public Memory {
 public:
  // Adds a zero-filled block [start, start+size). Blocks must not overlap.
  void AddBlock(Address start, size_t size);
  void WriteBytes(Address address, const void* data, size_t length);
  void WriteWord(Address address, uint64_t value) { WriteBytes(address, &value, 8); }

  std::span<const std::byte> View(Address address, size_t length) const override;
  size_t Read(Address address, void* out, size_t length) const override;
  std::vector<Region> Regions() const override;

 private:
  const std::pair<const Address, std::vector<std::byte>>* BlockAt(Address address) const;
  std::map<Address, std::vector<std::byte>> blocks_;
};

}  // namespace mortem

// Purpose: mortem::Memory over an LLDB process (live or core) through SBProcess::ReadMemory (and,
// for bytes a core left out, such as the binary's text and read-only data, SBTarget::ReadMemory
// from the module's file), with a cache of 64 KiB blocks. Small reads and View() are served from
// cached blocks; reads of a block or more go straight to the process. Views stay valid until
// EndCommand(), which trims the cache back to its bound (least recently used blocks first):
// commands may run on several threads, so no block is freed while a command can still hold a span
// into it.
#pragma once
#include <lldb/API/SBProcess.h>
#include <lldb/API/SBTarget.h>

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "mortem/core/memory.h"

namespace mortem::lldb_plugin {

class SbMemory : public Memory {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;
  static constexpr size_t kMaxCachedBlocks = 1024;  // 64 MiB kept between commands

  SbMemory(lldb::SBTarget target, lldb::SBProcess process);

  std::span<const std::byte> View(Address address, size_t length) const override;
  size_t Read(Address address, void* out, size_t length) const override;
  std::vector<Region> Regions() const override { return regions_; }
  std::optional<Address> NoAccessEnd(Address address) const override;
  std::string WhyUnreadable(Address address) const override;

  // Trims the cache to its bound; spans from View() before this call become invalid.
  void EndCommand();
  size_t cached_blocks() const;

 private:
  std::vector<std::pair<Address, Address>> no_access_;  // mapped without any permission
  struct Block {
    Address start = 0;
    std::vector<std::byte> bytes;  // the readable prefix of the block (may be short)
    std::list<Address>::iterator lru;
  };
  // The region containing address, or nullptr.
  const Region* RegionAt(Address address) const;
  // Reads from the process, clipped to readable regions; the readable prefix. Caller holds mutex_.
  size_t ReadUncached(Address address, std::byte* out, size_t length) const;
  const Block* GetBlock(Address block_start) const;  // caller holds mutex_
  // All of [address, address+length) from the process, else from the target's module files.
  bool ReadWhole(Address address, std::byte* out, size_t length) const;

  mutable lldb::SBTarget target_;
  mutable lldb::SBProcess process_;  // SB calls are not const; reads are under mutex_
  std::vector<Region> regions_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<Address, std::unique_ptr<Block>> blocks_;
  mutable std::list<Address> lru_;  // most recently used first
};

}  // namespace mortem::lldb_plugin

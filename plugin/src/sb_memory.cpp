#include "sb_memory.h"

#include <lldb/API/SBAddress.h>
#include <lldb/API/SBError.h>
#include <lldb/API/SBMemoryRegionInfo.h>
#include <lldb/API/SBMemoryRegionInfoList.h>
#include <lldb/API/SBSection.h>

#include <algorithm>
#include <cstring>

namespace mortem::lldb_plugin {
namespace {
constexpr size_t kProbe = 4096;  // granularity when a read fails part way
}

SbMemory::SbMemory(lldb::SBTarget target, lldb::SBProcess process)
    : target_(target), process_(process) {
  lldb::SBMemoryRegionInfoList list = process_.GetMemoryRegions();
  for (uint32_t i = 0; i < list.GetSize(); ++i) {
    lldb::SBMemoryRegionInfo info;
    if (!list.GetMemoryRegionAtIndex(i, info)) continue;
    if (!info.IsMapped()) continue;
    if (!info.IsReadable() && !info.IsWritable() && !info.IsExecutable()) {
      if (info.GetRegionEnd() > info.GetRegionBase())
        no_access_.push_back({info.GetRegionBase(), info.GetRegionEnd()});
      continue;
    }
    if (!info.IsReadable()) continue;
    Region r;
    r.start = info.GetRegionBase();
    r.end = info.GetRegionEnd();
    if (r.end <= r.start) continue;
    r.writable = info.IsWritable();
    r.executable = info.IsExecutable();
    if (const char* name = info.GetName()) r.name = name;
    regions_.push_back(std::move(r));
  }
  std::sort(regions_.begin(), regions_.end(),
            [](const Region& a, const Region& b) { return a.start < b.start; });
  // Keep them disjoint: clip a region that overlaps its predecessor.
  std::vector<Region> disjoint;
  for (auto& r : regions_) {
    if (!disjoint.empty() && r.start < disjoint.back().end) r.start = disjoint.back().end;
    if (r.start < r.end) disjoint.push_back(std::move(r));
  }
  regions_ = std::move(disjoint);
}

const Region* SbMemory::RegionAt(Address address) const {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), address,
                             [](Address a, const Region& r) { return a < r.start; });
  if (it == regions_.begin()) return nullptr;
  --it;
  return it->Contains(address) ? &*it : nullptr;
}

bool SbMemory::ReadWhole(Address address, std::byte* out, size_t length) const {
  lldb::SBError error;
  if (process_.ReadMemory(address, out, length, error) == length && error.Success()) return true;
  // A core leaves out what the binary's file holds (text, read-only data): lldb reads those
  // from the module's sections.
  lldb::SBAddress in_module(address, target_);
  if (!in_module.GetSection().IsValid()) return false;
  lldb::SBError file_error;
  return target_.ReadMemory(in_module, out, length, file_error) == length && file_error.Success();
}

size_t SbMemory::ReadUncached(Address address, std::byte* out, size_t length) const {
  size_t done = 0;
  while (done < length) {
    const Address at = address + done;
    size_t want = length - done;
    if (!regions_.empty()) {
      const Region* region = RegionAt(at);
      if (!region) break;
      want = std::min<uint64_t>(want, region->end - at);
    }
    if (ReadWhole(at, out + done, want)) {
      done += want;
      continue;
    }
    // Part of the range failed: find the readable prefix page by page.
    size_t prefix = 0;
    while (prefix < want) {
      const size_t chunk = std::min(kProbe - (at + prefix) % kProbe, want - prefix);
      if (!ReadWhole(at + prefix, out + done + prefix, chunk)) break;
      prefix += chunk;
    }
    done += prefix;
    break;
  }
  return done;
}

const SbMemory::Block* SbMemory::GetBlock(Address block_start) const {
  auto it = blocks_.find(block_start);
  if (it != blocks_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second->lru);
    return it->second.get();
  }
  auto block = std::make_unique<Block>();
  block->start = block_start;
  block->bytes.resize(kBlockSize);
  // The block holds the readable prefix from its start (empty if its start is unreadable).
  block->bytes.resize(ReadUncached(block_start, block->bytes.data(), kBlockSize));
  lru_.push_front(block_start);
  block->lru = lru_.begin();
  return blocks_.emplace(block_start, std::move(block)).first->second.get();
}

std::span<const std::byte> SbMemory::View(Address address, size_t length) const {
  if (length == 0 || length > kBlockSize) return {};
  const Address block_start = address - address % kBlockSize;
  if (address + length > block_start + kBlockSize || address + length < address) return {};
  std::lock_guard lock(mutex_);
  const Block* block = GetBlock(block_start);
  const size_t offset = address - block_start;
  if (offset + length > block->bytes.size()) return {};
  return {block->bytes.data() + offset, length};
}

size_t SbMemory::Read(Address address, void* out, size_t length) const {
  auto* dest = static_cast<std::byte*>(out);
  std::lock_guard lock(mutex_);
  if (length >= kBlockSize) return ReadUncached(address, dest, length);
  size_t done = 0;
  while (done < length) {
    const Address at = address + done;
    const Address block_start = at - at % kBlockSize;
    const Block* block = GetBlock(block_start);
    const size_t offset = at - block_start;
    if (offset >= block->bytes.size())  // unreadable here; a region may start inside the block
      return done + ReadUncached(at, dest + done, length - done);
    const size_t n = std::min(length - done, block->bytes.size() - offset);
    std::memcpy(dest + done, block->bytes.data() + offset, n);
    done += n;
  }
  return done;
}

std::optional<Address> SbMemory::NoAccessEnd(Address address) const {
  for (const auto& [start, end] : no_access_)
    if (address >= start && address < end) return end;
  return std::nullopt;
}

std::string SbMemory::WhyUnreadable(Address address) const {
  if (!RegionAt(address) && !regions_.empty()) return "not mapped in the process";
  lldb::SBError error;
  std::byte b;
  process_.ReadMemory(address, &b, 1, error);
  if (error.Fail() && error.GetCString()) return error.GetCString();
  return "not readable through the debugger";
}

void SbMemory::EndCommand() {
  std::lock_guard lock(mutex_);
  while (lru_.size() > kMaxCachedBlocks) {
    blocks_.erase(lru_.back());
    lru_.pop_back();
  }
}

size_t SbMemory::cached_blocks() const {
  std::lock_guard lock(mutex_);
  return blocks_.size();
}

}  // namespace mortem::lldb_plugin

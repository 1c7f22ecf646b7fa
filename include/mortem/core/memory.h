// Purpose: the one read-only view of a target's address space. Every layer above reads the
// target through this interface only: the ELF core reader, an LLDB process and the test fake
// implement it. Reads never trust the address: a read outside readable memory fails cleanly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mortem {

using Address = uint64_t;

struct Region {
  Address start = 0;
  Address end = 0;  // exclusive
  bool readable = true;
  bool writable = false;
  bool executable = false;
  std::string name;  // mapped file, if known
  uint64_t size() const { return end - start; }
  bool Contains(Address a) const { return a >= start && a < end; }
};

class Memory {
 public:
  virtual ~Memory() = default;

  // A view of [address, address+length) without copying, if those bytes lie wholly inside one
  // contiguous readable block of the implementation; an empty span otherwise (use Read then).
  virtual std::span<const std::byte> View(Address address, size_t length) const = 0;

  // Copies the readable prefix of [address, address+length) to out; returns how many bytes were
  // copied (less than length where the first unreadable byte was met).
  virtual size_t Read(Address address, void* out, size_t length) const = 0;

  // The readable regions, sorted by start address and not overlapping.
  virtual std::vector<Region> Regions() const = 0;

  // Hints for bulk walks; they never change what reads return. Prefetch: the range is about to
  // be read in full. Release: the range will not be read again soon (a file mapping may drop
  // its pages so that walking a large core does not make them all resident at once).
  virtual void Prefetch(Address, size_t) const {}
  virtual void Release(Address, size_t) const {}

  // Where address lies in memory the process mapped without any access right (a guard region,
  // PROT_NONE): the end of that region. The process could not read those bytes either, so they
  // hold nothing. nullopt for readable, unmapped or unknown memory.
  virtual std::optional<Address> NoAccessEnd(Address) const { return std::nullopt; }

  // Why the byte at address cannot be read, in words for a user.
  virtual std::string WhyUnreadable(Address) const { return "not in the target's memory"; }

  // True if all of [address, address+length) can be read.
  bool IsReadable(Address address, size_t length) const;

  template <typename T>
  std::optional<T> ReadValue(Address address) const {
    T value;
    auto view = View(address, sizeof(T));
    if (view.size() == sizeof(T)) {
      std::memcpy(&value, view.data(), sizeof(T));
      return value;
    }
    if (Read(address, &value, sizeof(T)) != sizeof(T)) return std::nullopt;
    return value;
  }
  std::optional<uint64_t> ReadWord(Address address) const { return ReadValue<uint64_t>(address); }

  // Reads a NUL-terminated C string of at most max_length bytes.
  std::optional<std::string> ReadCString(Address address, size_t max_length = 4096) const;
};

}  // namespace mortem

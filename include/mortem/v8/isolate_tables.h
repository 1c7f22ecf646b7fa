// Purpose: the tables of object pointers an Isolate keeps outside the JS heap, read from a core:
// the RootsTable, IsolateData's builtins table, the std::vector<Object> members of the Isolate
// and its Heap (the startup and shared-heap object caches, the external string table), the
// GlobalHandles' blocks of nodes (each strong, weak or free) and the eternal handles. Only the
// RootsTable and the global handle nodes have postmortem facts; the others are found by their
// shape within the Isolate's first 128 KiB and checked before use. Values come back tagged, as
// the tables hold them; which of them are roots is the caller's choice.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/heap.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/object_index.h"

namespace mortem::v8 {

struct ObjectVectors {
  bool caches_found = false;  // the startup and shared-heap object caches
  std::vector<uint64_t> startup_cache, shared_cache;
  std::vector<std::vector<uint64_t>> external_strings;  // the young and old lists, as found
};

struct GlobalHandleValues {
  std::vector<uint64_t> strong, weak;  // the nodes' objects by state; free nodes left out
  std::vector<std::string> notes;      // where the block list stopped early, and why
};

// One isolate's tables. `index` is its heap's objects: a value found by shape must point at one.
class IsolateTables {
 public:
  IsolateTables(const Memory& memory, const Layout& layout, const Heap& heap, MapCache& maps,
                const ObjectIndex& index);

  // The RootsTable's slots (up to 2048; the ones past its end hold C++ addresses).
  std::vector<uint64_t> RootsTable() const;
  // IsolateData::builtin_table_: the longest run of Isolate words that all point at Code
  // objects, if one of at least 256 is found.
  std::optional<std::vector<uint64_t>> Builtins() const;
  ObjectVectors Vectors() const;
  std::optional<GlobalHandleValues> GlobalHandles() const;  // nullopt: not found
  std::optional<std::vector<uint64_t>> EternalHandles() const;

 private:
  std::optional<uint16_t> InstanceTypeOf(uint64_t value) const;
  std::optional<std::vector<uint64_t>> ReadObjectVector(const uint64_t* triple) const;
  std::optional<Address> FindGlobalHandles() const;

  const Memory& memory_;
  const Layout& layout_;
  const Heap& heap_;
  MapCache& maps_;
  const ObjectIndex& index_;
  std::vector<uint64_t> words_;  // the Isolate's first words
};

}  // namespace mortem::v8

// Purpose: Node's Buffer.poolSize as the process had it. Buffer.from() and allocUnsafe() below
// half of it slice one shared pool of that many bytes (lib/buffer.js); its default changed
// within a line (8 KiB up to Node 26.0, 64 KiB in 26.12), and a program may set it. So it is
// read off the heap: the own `poolSize` property of the function named Buffer that carries one.
#pragma once
#include <optional>
#include <span>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/names.h"
#include "mortem/v8/walker.h"

namespace mortem::v8 {

// A JSFunction seen by a heap walk that may be Node's Buffer: one with many own properties
// (Buffer has some twenty statics: from, alloc, poolSize, ...) or in dictionary mode. Cheap: the
// map only.
bool MayBeBufferFunction(const Layout& layout, const HeapObject& object);

struct FunctionCandidate {
  Address address = 0;
  Address map = 0;
};

// Buffer.poolSize among the candidates: the Smi `poolSize` own data property of a function named
// Buffer. nullopt when none has one, or when two disagree (the heap does not say which).
std::optional<uint64_t> BufferPoolSize(const Memory& memory, const Layout& layout, Namer& namer,
                                       std::span<const FunctionCandidate> candidates);

}  // namespace mortem::v8

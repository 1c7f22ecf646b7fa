// Purpose: scripts and source positions: the Script of a function, its name, a source position
// turned into line and column (counted in the script's source, so it works whether or not V8
// computed line ends), the lines around a position, and the bytecode-offset-to-source-position
// lookup through a BytecodeArray's source position table.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/names.h"
#include "mortem/v8/object_view.h"

namespace mortem::v8 {

struct SourceLocation {
  std::string script;            // the Script's name ("" if it has none)
  int line = 0;                  // 1-based; 0 if unknown
  int column = 0;                // 1-based; 0 if unknown
  std::string ToString() const;  // "file.js:12:5", "file.js", or "<unknown script>"
};

struct SourceLine {
  int number = 0;
  std::string text;
};

class ScriptReader {
 public:
  ScriptReader(const Memory& memory, const Layout& layout, Namer& namer)
      : memory_(memory), layout_(layout), namer_(namer) {}

  // The Script of a SharedFunctionInfo (tagged), if it has one.
  std::optional<uint64_t> ScriptOf(uint64_t tagged_sfi);
  std::string Name(uint64_t tagged_script);
  // Line and column of a source position (a character offset into the script's source).
  SourceLocation Locate(uint64_t tagged_script, int64_t position);
  // The source lines [first, first+count) of a script (1-based), each capped in length.
  std::vector<SourceLine> Lines(uint64_t tagged_script, int first, int count);
  // The start position of a function's source (from its ScopeInfo), -1 if unknown.
  int64_t FunctionStart(uint64_t tagged_sfi);
  // A function's source text (its ScopeInfo's start to end position), at most max_chars.
  std::optional<std::string> FunctionSource(uint64_t tagged_sfi, size_t max_chars);
  // The source position of a bytecode offset, from a BytecodeArray's position table; -1 if none.
  int64_t PositionOfBytecodeOffset(uint64_t tagged_bytecode_array, int64_t bytecode_offset);

 private:
  std::optional<std::string> Source(uint64_t tagged_script, size_t max_chars);
  int64_t UncompiledStart(uint64_t tagged_sfi);
  ObjectView At(uint64_t tagged) const { return ObjectView::At(memory_, Tagged(tagged)); }
  const Memory& memory_;
  const Layout& layout_;
  Namer& namer_;
};

// Decodes one entry stream of a V8 source position table (VLQ, zig-zag, delta-coded; the sign of
// the code offset marks statements). Returns the script offset of the last entry whose code
// offset is at most code_offset, or -1. Bounded by the bytes given.
int64_t LookupSourcePosition(const Offsets& o, std::span<const std::byte> table,
                             int64_t code_offset);

}  // namespace mortem::v8

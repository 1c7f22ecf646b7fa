// Purpose: decoding any tagged value of the target into a bounded tree for display: primitives
// (Smi, heap number, oddballs, strings of every representation, symbols, bigints), objects with
// their named properties and elements, arrays, functions (name, script, line:column), Date,
// RegExp, Map, Set, errors, ArrayBuffers and typed arrays. Depth, property and element counts
// and string lengths are capped; cycles end at the depth limit.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mortem/v8/heap.h"
#include "mortem/v8/names.h"

namespace mortem::v8 {

struct ValueChild;

struct Value {
  enum class Kind {
    kSmi,
    kNumber,
    kOddball,
    kString,
    kSymbol,
    kBigInt,
    kObject,
    kArray,
    kFunction,
    kInternal,
    kUnreadable
  };
  Kind kind = Kind::kUnreadable;
  Address address = 0;               // untagged; 0 for Smis
  std::string type;                  // constructor / class name, or V8 instance type
  std::string instance_type;         // V8 instance type name
  std::string text;                  // the rendering of a primitive, or a one-line summary
  uint64_t size = 0;                 // heap object size in bytes, if known
  std::vector<ValueChild> children;  // properties, elements, fields
  size_t omitted_children = 0;
  bool truncated = false;
};

// A named child of a Value (a struct, not a std::pair: a pair may not hold the Value type
// while it is being defined).
struct ValueChild {
  ValueChild(std::string name, Value value) : first(std::move(name)), second(std::move(value)) {}
  std::string first;  // the property name, "[index]" or field name
  Value second;
};

struct ValueLimits {
  int depth = 1;              // levels of children decoded below the top value
  size_t properties = 64;     // per object
  size_t elements = 32;       // per array
  size_t string_chars = 256;  // per string
};

class ValueReader {
 public:
  ValueReader(const Memory& memory, const Layout& layout, const Heap& heap);
  Value Read(uint64_t tagged, const ValueLimits& limits);
  // A one-line summary of the value, e.g. `Dog {name: "rex", legs: 4}` or `"text"`.
  std::string Preview(uint64_t tagged, size_t max_length = 120);
  Namer& namer() { return namer_; }

 private:
  Value ReadAt(uint64_t tagged, const ValueLimits& limits, int depth);
  void ReadObject(Value& v, Address address, const MapInfo& map, const ValueLimits& limits,
                  int depth);
  void ReadElements(Value& v, Address address, const MapInfo& map, const ValueLimits& limits,
                    int depth);
  void ReadFunction(Value& v, Address address);
  void ReadCollection(Value& v, Address address, bool is_map, const ValueLimits& limits, int depth);
  std::string KeyName(uint64_t key);
  std::string Summarise(const Value& v, size_t max_length);

  const Memory& memory_;
  const Layout& layout_;
  const Heap& heap_;
  Namer namer_;
};

}  // namespace mortem::v8

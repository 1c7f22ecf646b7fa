// Purpose: an object in the target (a V8 heap object, or a C++ object of V8 or Node such as the
// Isolate or a page header) read field by field through layout offsets, as golang/debug's
// gocore reads its regions. Every read is bounds-checked: against the object's size where the
// view knows it, and always against the target's readable memory; a failed read is nullopt.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>

#include "mortem/core/memory.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {

class ObjectView {
 public:
  static constexpr uint64_t kSizeUnknown = std::numeric_limits<uint64_t>::max();

  ObjectView(const Memory& memory, Address address, uint64_t size = kSizeUnknown)
      : memory_(&memory), address_(address), size_(size) {}
  // The object a strong reference points at; nullopt for a Smi or a weak reference.
  static std::optional<ObjectView> Of(const Memory& memory, Tagged value) {
    if (!value.IsStrong()) return std::nullopt;
    return ObjectView(memory, value.address());
  }

  // The object at the address a tagged word names, its tag bits dropped and not checked (for
  // callers that already know the word is a reference, e.g. from the object's map).
  static ObjectView At(const Memory& memory, Tagged value) {
    return ObjectView(memory, value.address());
  }

  Address address() const { return address_; }
  Tagged tagged() const { return Tagged::To(address_); }
  // The same object, its reads bounded by `size` bytes from its start.
  ObjectView Sized(uint64_t size) const { return ObjectView(*memory_, address_, size); }

  template <typename T>
  std::optional<T> Read(uint64_t offset) const {
    if (!Within(offset, sizeof(T))) return std::nullopt;
    return memory_->ReadValue<T>(address_ + offset);
  }
  std::optional<uint64_t> Word(uint64_t offset) const { return Read<uint64_t>(offset); }
  std::optional<Tagged> Field(uint64_t offset) const {
    auto w = Word(offset);
    return w ? std::optional<Tagged>(Tagged(*w)) : std::nullopt;
  }
  std::optional<Tagged> Map() const { return Field(0); }
  // A field that holds a Smi: its value; nullopt for anything else.
  std::optional<int64_t> Smi(uint64_t offset) const {
    auto f = Field(offset);
    return f && f->IsSmi() ? std::optional<int64_t>(f->SmiValue()) : std::nullopt;
  }
  // A field that holds a strong reference: the object it points at.
  std::optional<ObjectView> Object(uint64_t offset) const {
    auto f = Field(offset);
    return f ? Of(*memory_, *f) : std::nullopt;
  }
  // A field that holds a raw pointer (an untagged address of C++ memory): the object there.
  std::optional<ObjectView> Pointee(uint64_t offset, uint64_t size = kSizeUnknown) const {
    auto w = Word(offset);
    return w ? std::optional<ObjectView>(ObjectView(*memory_, *w, size)) : std::nullopt;
  }

 private:
  bool Within(uint64_t offset, uint64_t length) const {
    return size_ == kSizeUnknown || (offset <= size_ && size_ - offset >= length);
  }

  const Memory* memory_;
  Address address_;
  uint64_t size_;
};

}  // namespace mortem::v8

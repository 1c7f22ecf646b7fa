// Unit tests of the typed views: V8's value tagging, bounded object views over memory and over
// copied bytes, and the graph's edge ends.
#include <doctest/doctest.h>

#include <array>

#include "mortem/core/bytes.h"
#include "mortem/core/fake_memory.h"
#include "mortem/v8/graph.h"
#include "mortem/v8/object_view.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {

TEST_CASE("Tagged tells Smis, strong, weak and cleared references apart") {
  const Tagged smi(uint64_t{0xFFFFFFFF} << 32);  // -1 as a Smi
  CHECK(smi.IsSmi());
  CHECK(smi.SmiValue() == -1);
  CHECK_FALSE(smi.IsReference());

  const Tagged strong = Tagged::To(0x10000);
  CHECK(strong.raw() == 0x10001);
  CHECK(strong.IsStrong());
  CHECK(strong.IsReference());
  CHECK_FALSE(strong.IsWeak());
  CHECK(strong.address() == 0x10000);

  const Tagged weak(0x10003);
  CHECK(weak.IsWeak());
  CHECK_FALSE(weak.IsStrong());
  CHECK_FALSE(weak.IsCleared());
  CHECK(weak.address() == 0x10000);

  CHECK(Tagged(3).IsCleared());
  CHECK(Tagged(0x1234'0000'0003).IsCleared());  // any high half: V8 compares the low 32 bits
  CHECK_FALSE(Tagged(0x10).IsSmi());            // low half not zero: raw, not a Smi
  CHECK_FALSE(Tagged(0x10).IsReference());
}

TEST_CASE("ObjectView reads fields within the object's size and the target's memory") {
  FakeMemory memory;
  memory.AddBlock(0x1000, 64);
  memory.WriteWord(0x1000, 0x2001);              // map: a strong reference
  memory.WriteWord(0x1008, uint64_t{42} << 32);  // a Smi
  memory.WriteWord(0x1010, 0x3003);              // a weak reference
  memory.WriteWord(0x1038, 0xAB);                // the block's last word

  const ObjectView object(memory, 0x1000);
  CHECK(object.Map()->address() == 0x2000);
  CHECK(object.Smi(8) == 42);
  CHECK_FALSE(object.Smi(0).has_value());  // a reference is no Smi
  CHECK(object.Object(0)->address() == 0x2000);
  CHECK_FALSE(object.Object(16).has_value());  // weak: no strong object
  CHECK(object.Field(16)->IsWeak());
  CHECK(object.Word(56) == 0xAB);
  CHECK_FALSE(object.Word(60).has_value());  // runs past the readable block
  CHECK(object.Read<uint16_t>(9) == 0);

  const ObjectView sized = object.Sized(24);
  CHECK(sized.Word(16) == 0x3003);
  CHECK_FALSE(sized.Word(24).has_value());  // past the object's end
  CHECK_FALSE(sized.Read<uint32_t>(21).has_value());
  CHECK(sized.Read<uint32_t>(20) == 0);
  CHECK_FALSE(sized.Word(~uint64_t{0} - 3).has_value());  // no wrap-around of offset + length

  CHECK_FALSE(ObjectView::Of(memory, Tagged(uint64_t{7} << 32)).has_value());
  CHECK(ObjectView::Of(memory, Tagged(0x1001))->address() == 0x1000);
  CHECK(ObjectView::At(memory, Tagged(0x1003)).address() == 0x1000);  // tag bits dropped
  CHECK(object.Pointee(56)->address() == 0xAB);
}

TEST_CASE("ObjectBytes and LoadAt read only what lies inside the bytes") {
  std::array<std::byte, 12> raw{};
  raw[8] = std::byte{0x11};
  const ObjectBytes bytes(raw);
  CHECK(bytes.Word(0) == 0);
  CHECK(bytes.Word(8) == 0);  // 8 + 8 > 12: past the end reads as 0
  CHECK_FALSE(bytes.Field(8).has_value());
  CHECK(bytes.Read<uint32_t>(8) == 0x11);
  CHECK_FALSE(LoadAt<uint32_t>(raw, 9).has_value());
  CHECK_FALSE(LoadAt<uint8_t>(raw, 13).has_value());
  CHECK_FALSE(LoadAt<uint64_t>(raw, ~uint64_t{0}).has_value());
}

TEST_CASE("EdgeEnd keeps the node and the weakness of a reference apart") {
  const EdgeEnd strong = EdgeEnd::To(12345, false);
  const EdgeEnd weak = EdgeEnd::To(12345, true);
  CHECK(strong.node() == 12345);
  CHECK(weak.node() == 12345);
  CHECK_FALSE(strong.weak());
  CHECK(weak.weak());
  CHECK(weak.bits() == (12345u | HeapGraph::kWeak));
  const uint32_t stored[] = {strong.bits(), weak.bits(), 7};
  const EdgeEnds ends(stored);
  CHECK(ends.size() == 3);
  int weak_count = 0;
  for (EdgeEnd e : ends) weak_count += e.weak();
  CHECK(weak_count == 1);
  CHECK(ends[2].node() == 7);
}

}  // namespace mortem::v8

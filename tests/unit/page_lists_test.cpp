// Unit tests of V8's page lists (mortem/v8/page_lists.h) on fake memory: the node and head
// offsets are learnt from pages that link both ways; a space's listed pages are its pages and a
// page no list names is left out; a list damaged at one link (it loops, leaves the core, names a
// page of another space, ends early or breaks a back link) is followed the other way, saying so;
// one damaged both ways falls back to the scanned pages for that space only, saying so.
#include "mortem/v8/page_lists.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "fake_target.h"
#include "mortem/core/fake_memory.h"
#include "mortem/v8/layout.h"

using mortem::Address;
using mortem::v8::PageCandidate;

namespace {

constexpr uint32_t kNode = 0x108, kHead = 0x28;
constexpr Address kPages = 0x40000000, kSpaces = 0x50000000, kHeapAddress = 0x50010000;

// Two spaces in fake memory: old space (owner A) with listed pages 0, 1, 2 and a pooled page 3
// that still names A; code space (owner B) with listed pages 4 and 5.
struct FakeLists {
  mortem::FakeMemory memory;
  std::vector<PageCandidate> candidates;
  mortem::v8::Layout layout;
  static constexpr Address kOwnerA = kSpaces, kOwnerB = kSpaces + 0x1000;

  explicit FakeLists(const mortem::v8::Layout& l) : layout(l) {
    memory.AddBlock(kPages, 8 * 0x1000);
    memory.AddBlock(kSpaces, 0x2000);
    for (int i = 0; i < 6; ++i) {
      PageCandidate c;
      c.page.start = Page(i);
      c.page.size = 1 << 18;
      c.page.space = i < 4 ? layout.spaces.old_space : layout.spaces.code;
      c.heap = kHeapAddress;
      c.owner = i < 4 ? kOwnerA : kOwnerB;
      c.node_base = Page(i);
      candidates.push_back(c);
    }
    Link(kOwnerA, {0, 1, 2});
    Link(kOwnerB, {4, 5});
    // A distractor: page 0 also points at page 1 elsewhere, with no link back.
    memory.WriteWord(Page(0) + 0x40, Page(1));
  }
  static Address Page(int i) { return kPages + 0x1000 * static_cast<Address>(i); }
  void Link(Address owner, std::vector<int> order) {
    memory.WriteWord(owner + kHead, Page(order.front()));
    memory.WriteWord(owner + kHead + 8, Page(order.back()));
    for (size_t k = 0; k < order.size(); ++k) {
      memory.WriteWord(Page(order[k]) + kNode, k + 1 < order.size() ? Page(order[k + 1]) : 0);
      memory.WriteWord(Page(order[k]) + kNode + 8, k > 0 ? Page(order[k - 1]) : 0);
    }
  }
  mortem::v8::ListedPages Follow() {
    auto shape = mortem::v8::LearnPageListShape(memory, candidates);
    return mortem::v8::FollowPageLists(memory, layout, shape, candidates);
  }
};

std::vector<Address> Starts(const mortem::v8::ListedPages& listed) {
  std::vector<Address> out;
  for (const auto& p : listed.pages) out.push_back(p.start);
  std::sort(out.begin(), out.end());
  return out;
}

// Node 24's layout, from its checked-in v8dbg_* constants (fixtures/layout/).
mortem::v8::Layout FakeLayout() {
  mortem::FakeMemory memory;
  mortem::test::FakeSymbols symbols;
  auto fixture =
      mortem::test::ReadLayoutFixture(MORTEM_SOURCE_DIR "/fixtures/layout/v8dbg-24.11.1.txt");
  mortem::test::PlaceConstants(fixture, memory, symbols, 0x100000);
  return mortem::v8::LoadLayout(memory, symbols);
}

// The lists followed after `writes` damaged them, with the offsets learnt on the intact lists
// (one binary's offsets).
mortem::v8::ListedPages FollowDamaged(std::initializer_list<std::pair<Address, uint64_t>> writes) {
  FakeLists fake(FakeLayout());
  auto shape = mortem::v8::LearnPageListShape(fake.memory, fake.candidates);
  REQUIRE(shape.has_value());
  for (const auto& [at, value] : writes) fake.memory.WriteWord(at, value);
  return mortem::v8::FollowPageLists(fake.memory, fake.layout, shape, fake.candidates);
}

// Every page but the pooled one, as the intact lists name them.
const std::vector<Address> kListedStarts{FakeLists::Page(0), FakeLists::Page(1), FakeLists::Page(2),
                                         FakeLists::Page(4), FakeLists::Page(5)};

}  // namespace

TEST_CASE("page lists: the offsets are learnt and a pooled page is left out") {
  FakeLists fake(FakeLayout());
  auto shape = mortem::v8::LearnPageListShape(fake.memory, fake.candidates);
  REQUIRE(shape.has_value());
  CHECK(shape->node == kNode);
  CHECK(shape->head == kHead);
  auto listed = fake.Follow();
  CHECK(listed.fallbacks.empty());
  CHECK(listed.listed_owners == 2);
  CHECK(listed.unlisted_pages == 1);
  CHECK(listed.unlisted_bytes == 1 << 18);
  CHECK(Starts(listed) == kListedStarts);
}

TEST_CASE("page lists: a list damaged at one link is followed the other way, losing no page") {
  struct Damage {
    const char* what;
    Address at;
    uint64_t value;
    const char* says;
    const char* way;
  };
  const Damage damages[] = {
      {"loops", FakeLists::Page(2) + kNode, FakeLists::Page(0), "loops", "back links"},
      {"leaves the core", FakeLists::Page(1) + kNode, 0x7777000, "no page header", "back links"},
      {"names another space's page", FakeLists::Page(1) + kNode, FakeLists::Page(5),
       "no page header of this space", "back links"},
      // Back, 2 -> 0 holds alone but leaves page 1 out; forward lists all three.
      {"breaks a back link", FakeLists::Page(2) + kNode + 8, FakeLists::Page(0), "back link",
       "forward links"},
      {"ends early", FakeLists::Page(1) + kNode, 0, "does not end", "back links"},
      // Forward, 0 -> 2 holds alone but leaves page 1 out; back, 2 -> 1 -> 0 lists all three.
      {"skips a page", FakeLists::Page(0) + kNode, FakeLists::Page(2), "back link", "back links"},
  };
  for (const auto& d : damages) {
    CAPTURE(d.what);
    auto listed = FollowDamaged({{d.at, d.value}});
    CHECK(listed.fallbacks.empty());
    REQUIRE(listed.recoveries.size() == 1);
    CHECK(listed.recoveries[0].find("old_space") == 0);
    CHECK(listed.recoveries[0].find(d.says) != std::string::npos);
    CHECK(listed.recoveries[0].find(d.way) != std::string::npos);
    CHECK(listed.listed_owners == 2);
    CHECK(listed.unlisted_pages == 1);  // the pooled page is still left out
    CHECK(Starts(listed) == kListedStarts);
  }
}

TEST_CASE("page lists: a list damaged both ways falls back to the scan for its space only") {
  struct Damage {
    const char* what;
    Address next_at, prev_at;
    uint64_t next, prev;
    const char* says;
  };
  const Damage damages[] = {
      {"a forward and a back link", FakeLists::Page(1) + kNode, FakeLists::Page(2) + kNode + 8,
       0x7777000, 0x7777000, "no page header"},
      {"a loop both ways", FakeLists::Page(1) + kNode, FakeLists::Page(1) + kNode + 8,
       FakeLists::Page(1), FakeLists::Page(1), "back link"},
      {"the head", FakeLists::kOwnerA + kHead, FakeLists::kOwnerA + kHead + 8, 0x7777000, 0x7777000,
       "no page header"},
  };
  for (const auto& d : damages) {
    CAPTURE(d.what);
    auto listed = FollowDamaged({{d.next_at, d.next}, {d.prev_at, d.prev}});
    REQUIRE(listed.fallbacks.size() == 1);
    CHECK(listed.recoveries.empty());
    CHECK(listed.fallbacks[0].find(d.says) != std::string::npos);
    CHECK(listed.fallbacks[0].find("old_space") == 0);
    CHECK(listed.listed_owners == 1);
    CHECK(listed.unlisted_pages == 0);
    CHECK(listed.pages.size() == 6);  // the old space's four scanned pages and code's two
  }
}

TEST_CASE(
    "page lists: without two linked pages no offsets are learnt, and every space is scanned") {
  FakeLists fake(FakeLayout());
  for (int i = 0; i < 6; ++i) {
    fake.memory.WriteWord(FakeLists::Page(i) + kNode, 0);
    fake.memory.WriteWord(FakeLists::Page(i) + kNode + 8, 0);
  }
  CHECK_FALSE(mortem::v8::LearnPageListShape(fake.memory, fake.candidates).has_value());
  auto listed = fake.Follow();
  CHECK(listed.fallbacks.size() == 2);
  CHECK(listed.pages.size() == 6);
  CHECK(listed.listed_owners == 0);
}

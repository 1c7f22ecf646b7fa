// Fuzz target: the heap walker on a page of a real heap that the fuzzer damages. A real core
// (MORTEM_FUZZ_CORE: a scenario core's directory, holding `core` and `node`) is opened once. Each
// input picks one of its heap's regular pages (first two bytes) and patches it: records of a
// 4-byte offset into the page, a length byte and that many bytes. The page is then walked with
// the damage in place, its objects' maps still the real ones elsewhere in the core, and each
// object the walk yields near a patch is read as the analyses read it (its last word; a string's
// characters; a JS object's own properties through its map). The empty patch is the real page, so
// the seeds (tests/fuzz/seeds/heap_walker) hold for any new core whatever its addresses.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "mortem/core/error.h"
#include "mortem/elf/core_target.h"
#include "mortem/v8/heap.h"
#include "mortem/v8/layout.h"
#include "mortem/v8/maps.h"
#include "mortem/v8/properties.h"
#include "mortem/v8/strings.h"
#include "mortem/v8/walker.h"

namespace {

using mortem::Address;

// The target's memory with one page's bytes replaced by a patched copy. One for the whole run:
// each input copies its page into the same buffer (no allocation per input).
class PatchedPage : public mortem::Memory {
 public:
  explicit PatchedPage(const mortem::Memory& base) : base_(base) {}
  // The real bytes of the page at start, to be patched; false if the core lacks some.
  bool Reset(Address start, uint64_t size) {
    start_ = start;
    bytes_.resize(size);
    return base_.Read(start, bytes_.data(), size) == size;
  }
  std::span<std::byte> bytes() { return bytes_; }

  std::span<const std::byte> View(Address address, size_t length) const override {
    const Address end = start_ + bytes_.size();
    if (address >= start_ && address < end)
      return length <= end - address ? std::span(bytes_).subspan(address - start_, length)
                                     : std::span<const std::byte>();
    if (address < start_ && length > start_ - address) return {};  // runs into the page
    return base_.View(address, length);
  }

  size_t Read(Address address, void* out, size_t length) const override {
    auto* to = static_cast<std::byte*>(out);
    size_t done = 0;
    while (done < length) {
      const Address at = address + done;
      const Address end = start_ + bytes_.size();
      size_t n = 0;
      if (at >= start_ && at < end) {
        n = std::min<size_t>(length - done, end - at);
        std::memcpy(to + done, bytes_.data() + (at - start_), n);
      } else {
        const size_t before = at < start_ ? start_ - at : length - done;
        const size_t want = std::min<size_t>(length - done, before);
        n = base_.Read(at, to + done, want);
        if (n < want) return done + n;
      }
      done += n;
    }
    return done;
  }

  std::vector<mortem::Region> Regions() const override { return base_.Regions(); }

 private:
  const mortem::Memory& base_;
  Address start_ = 0;
  std::vector<std::byte> bytes_;
};

struct RealHeap {
  std::unique_ptr<mortem::CoreTarget> target;
  mortem::v8::Layout layout;
  std::unique_ptr<mortem::v8::Heap> heap;
  std::vector<size_t> pages;  // indices of regular pages in heap->pages()
  // Over the patched page, built once: they keep no state between inputs (the walker's map
  // cache is made per walk).
  std::unique_ptr<PatchedPage> memory;
  std::unique_ptr<mortem::v8::HeapWalker> walker;
  std::unique_ptr<mortem::v8::StringReader> strings;
  std::unique_ptr<mortem::v8::PropertyReader> properties;
};

RealHeap& Heap() {
  static RealHeap real = [] {
    const char* dir = std::getenv("MORTEM_FUZZ_CORE");
    if (!dir || !std::filesystem::exists(std::filesystem::path(dir) / "core")) {
      // Where cores are required (CI: MORTEM_E2E_REQUIRED=1), a missing one is a failure.
      const char* required = std::getenv("MORTEM_E2E_REQUIRED");
      const bool fail = required && std::string(required) == "1";
      std::fprintf(stderr,
                   "%s: no core at MORTEM_FUZZ_CORE='%s' (the default tree's tests make it)\n",
                   fail ? "FAIL" : "SKIP", dir ? dir : "");
      std::_Exit(fail ? 1 : 77);
    }
    RealHeap r;
    const std::filesystem::path d(dir);
    try {
      r.target = mortem::CoreTarget::Open({(d / "core").string(), (d / "node").string(), false});
      r.layout = mortem::v8::LoadLayout(*r.target, r.target->binary());
      r.heap = std::make_unique<mortem::v8::Heap>(mortem::v8::Heap::Discover(*r.target, r.layout));
    } catch (const mortem::Error& e) {
      std::fprintf(stderr, "FAIL: the core at %s: %s\n", dir, e.what());
      std::_Exit(1);
    }
    for (size_t i = 0; i < r.heap->pages().size(); ++i) {
      const auto& p = r.heap->pages()[i];
      if (!p.large && !p.from_space && p.size == mortem::v8::kPageSize) r.pages.push_back(i);
    }
    if (r.pages.empty()) {
      std::fprintf(stderr, "FAIL: the core's heap has no regular page\n");
      std::_Exit(1);
    }
    r.memory = std::make_unique<PatchedPage>(*r.target);
    r.walker = std::make_unique<mortem::v8::HeapWalker>(*r.memory, r.layout, *r.heap);
    r.strings = std::make_unique<mortem::v8::StringReader>(*r.memory, r.layout);
    r.properties = std::make_unique<mortem::v8::PropertyReader>(*r.memory, r.layout);
    return r;
  }();
  return real;
}

// Objects this near a patch (before or after it) are read, not only walked: what the damage
// reaches (a string's length, a map's descriptors) lies mostly next to it, and an object far from
// every patch reads as it does in the real page, which the empty patch covers.
constexpr uint64_t kReadWindow = 4 << 10;

// The patched ranges of an input (page offsets).
struct Patches {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // [begin, end)
  bool Near(uint64_t offset) const {
    if (ranges.empty()) return true;  // the real page: every object read
    for (const auto& [begin, end] : ranges)
      if (offset + kReadWindow >= begin && offset < end + kReadWindow) return true;
    return false;
  }
};

// Applies the input's patches to the page's bytes.
Patches Patch(std::span<std::byte> page, const uint8_t* data, size_t size) {
  Patches out;
  for (size_t at = 0; at + 5 <= size;) {
    uint32_t offset = 0;
    std::memcpy(&offset, data + at, 4);
    const size_t length = std::min<size_t>(data[at + 4], size - at - 5);
    offset %= static_cast<uint32_t>(page.size());
    const size_t fits = std::min<size_t>(length, page.size() - offset);
    std::memcpy(page.data() + offset, data + at + 5, fits);
    if (fits) out.ranges.emplace_back(offset, offset + fits);
    at += 5 + length;
  }
  return out;
}

}  // namespace

// The core is opened before the fuzzer starts: a missing one skips the target at once.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Heap();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RealHeap& real = Heap();
  if (size < 2) return 0;
  const size_t index = real.pages[(data[0] | data[1] << 8) % real.pages.size()];
  const mortem::v8::Page& page = real.heap->pages()[index];
  if (!real.memory->Reset(page.start, page.size)) return 0;
  const Patches patches = Patch(real.memory->bytes(), data + 2, size - 2);
  const mortem::v8::Layout& layout = real.layout;
  try {
    uint64_t sink = 0;
    const std::vector<size_t> one{index};
    (void)real.walker->WalkPages(one, 1, [&](unsigned, const mortem::v8::HeapObject& o) {
      sink += o.Word(o.size >= 8 ? o.size - 8 : 0);
      if (!o.map || !patches.Near(o.address - page.start)) return;
      if (layout.IsString(o.map->instance_type)) {
        sink += real.strings->Read(o.address, 64).has_value();
      } else if (layout.IsJSReceiver(o.map->instance_type)) {
        sink += real.properties->OwnProperties(o.address, *o.map, 16).size();
      }
    });
    if (sink == 1) std::fputc(' ', stderr);  // keeps the reads
  } catch (const mortem::Error&) {
    // A clear error is an answer; a crash, a sanitizer report or a hang is not.
  }
  return 0;
}

#include "glibc_locate.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace mortem::native {
namespace {

bool IsLibcPath(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name == "libc.so.6" || (name.starts_with("libc-") && name.ends_with(".so"));
}

uint64_t Word(std::span<const std::byte> bytes, uint64_t offset) {
  uint64_t v = 0;
  if (offset + 8 <= bytes.size()) std::memcpy(&v, bytes.data() + offset, 8);
  return v;
}

uint32_t Int(std::span<const std::byte> bytes, int64_t offset) {
  uint32_t v = 0;
  if (offset >= 0 && static_cast<uint64_t>(offset) + 4 <= bytes.size())
    std::memcpy(&v, bytes.data() + offset, 4);
  return v;
}

// A region's bytes copied out (libc's data is small: tens of KiB).
std::vector<std::byte> Bytes(const Memory& memory, const Mapping& m, uint64_t cap = 8 << 20) {
  std::vector<std::byte> out(std::min<uint64_t>(m.size(), cap));
  out.resize(memory.Read(m.start, out.data(), out.size()));
  return out;
}

}  // namespace

std::optional<LibcImage> FindLibc(std::span<const Mapping> mappings) {
  LibcImage libc;
  for (size_t i = 0; i < mappings.size(); ++i) {
    const Mapping& m = mappings[i];
    if (!IsLibcPath(m.path)) continue;
    if (libc.path.empty()) libc.path = m.path;
    if (m.path != libc.path) continue;
    libc.mappings.push_back(m);
    if (m.writable) {
      // One range: the data and the bss continuing in the anonymous mapping right after it.
      Mapping data = m;
      if (i + 1 < mappings.size() && mappings[i + 1].path.empty() &&
          mappings[i + 1].start == m.end && mappings[i + 1].writable)
        data.end = mappings[i + 1].end;
      libc.data.push_back(data);
    }
  }
  if (libc.path.empty()) return std::nullopt;
  return libc;
}

std::optional<std::string> LibcVersion(const Memory& memory, const LibcImage& libc) {
  static constexpr std::string_view kMarker = "release version ";
  for (const auto& m : libc.mappings) {
    if (m.writable || !m.readable) continue;
    const auto bytes = Bytes(memory, m);
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    for (size_t at = text.find(kMarker); at != std::string_view::npos;
         at = text.find(kMarker, at + 1)) {
      size_t end = at + kMarker.size();
      while (end < text.size() &&
             (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.'))
        ++end;
      std::string version(text.substr(at + kMarker.size(), end - at - kMarker.size()));
      while (!version.empty() && version.back() == '.') version.pop_back();
      if (ParseGlibcVersion(version)) return version;
    }
  }
  const auto slash = libc.path.rfind('/');
  const std::string name = libc.path.substr(slash == std::string::npos ? 0 : slash + 1);
  if (name.starts_with("libc-") && name.ends_with(".so")) {
    std::string version = name.substr(5, name.size() - 8);
    if (ParseGlibcVersion(version)) return version;
  }
  return std::nullopt;
}

bool LooksLikeArena(const Memory& memory, Address address) {
  using F = MallocFacts;
  std::byte raw[F::kArenaSize];
  if (memory.Read(address, raw, sizeof raw) != sizeof raw) return false;
  std::span<const std::byte> s(raw, sizeof raw);
  const uint64_t top = Word(s, F::kTop), next = Word(s, F::kNext);
  if (top == 0 || top % F::kAlign != 0 || next == 0 || next % 8 != 0) return false;
  if (Word(s, F::kSystemMem) > Word(s, F::kMaxSystemMem)) return false;
  // Every bin is empty (its fd and bk point at its own header) or a ring of chunks; a few
  // rings are checked to lead back (the first chunk's bk or the last one's fd is the head).
  // A damaged bin or two (a corrupt list, one half of an empty bin overwritten) must not hide
  // the arena: the lists' walk reports them.
  constexpr int kMaxDamagedBins = 2;
  int empty = 0, checked = 0, damaged = 0;
  for (uint64_t i = 1; i < F::kNumBins && damaged <= kMaxDamagedBins; ++i) {
    const uint64_t fd = Word(s, F::kBins + (i - 1) * 16), bk = Word(s, F::kBins + (i - 1) * 16 + 8);
    const uint64_t head = F::BinAt(address, i);
    if (fd == head && bk == head) {
      ++empty;
      continue;
    }
    if (fd == 0 || bk == 0 || fd % F::kAlign != 0 || bk % F::kAlign != 0 || fd == head ||
        bk == head) {
      ++damaged;
      continue;
    }
    if (checked < 4) {
      // One direction suffices: a corrupt list must not hide the arena.
      if (memory.ReadWord(fd + 24) == head || memory.ReadWord(bk + 16) == head)
        ++checked;
      else
        ++damaged;
    }
  }
  if (damaged > kMaxDamagedBins) return false;
  return checked > 0 || empty + damaged == static_cast<int>(F::kNumBins - 1);
}

std::vector<Address> FindMainArenaCandidates(const Memory& memory, const LibcImage& libc) {
  using F = MallocFacts;
  std::vector<Address> found;
  for (const auto& m : libc.data) {
    const auto bytes = Bytes(memory, m);
    std::span<const std::byte> s(bytes);
    for (uint64_t off = 0; off + F::kArenaSize <= s.size(); off += 8) {
      // Cheap filter: the unsorted bin's fd is its own header or an aligned chunk.
      const Address a = m.start + off;
      const uint64_t unsorted_fd = Word(s, off + F::kBins);
      if (unsorted_fd == 0 || unsorted_fd % F::kAlign != 0) continue;
      if (LooksLikeArena(memory, a)) found.push_back(a);
    }
  }
  return found;
}

std::optional<MallocPar> FindMallocPar(const Memory& memory, const LibcImage& libc,
                                       const MallocFacts& facts,
                                       const std::function<bool(Address)>& plausible_sbrk_base) {
  for (const auto& m : libc.data) {
    const auto bytes = Bytes(memory, m);
    std::span<const std::byte> s(bytes);
    for (int64_t off = -facts.mp_start; off + 32 <= static_cast<int64_t>(s.size()); off += 8) {
      const uint64_t sbrk = Word(s, off);
      if (!plausible_sbrk_base(sbrk)) continue;
      const uint64_t tcache_bins = Word(s, off + facts.mp_tcache_bins);
      if (tcache_bins == 0 || tcache_bins > MallocFacts::kTcacheBins) continue;
      const uint64_t mmapped = Word(s, off + facts.mp_mmapped_mem);
      const uint64_t max_mmapped = Word(s, off + facts.mp_max_mmapped_mem);
      if (mmapped > max_mmapped || mmapped % 4096 != 0 || max_mmapped % 4096 != 0) continue;
      const uint32_t n_mmaps = Int(s, off + facts.mp_n_mmaps);
      const uint32_t n_mmaps_max = Int(s, off + facts.mp_n_mmaps + 4);
      const uint32_t max_n_mmaps = Int(s, off + facts.mp_n_mmaps + 8);
      const uint32_t no_dyn = Int(s, off + facts.mp_n_mmaps + 12);
      if (n_mmaps > max_n_mmaps || n_mmaps_max == 0 || no_dyn > 1) continue;
      if ((n_mmaps == 0) != (mmapped == 0)) continue;
      return MallocPar{m.start + off + facts.mp_start, n_mmaps, mmapped, sbrk};
    }
  }
  return std::nullopt;
}

}  // namespace mortem::native

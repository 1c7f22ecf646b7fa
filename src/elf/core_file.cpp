#include "mortem/elf/core_file.h"

#include <elf.h>
#include <sys/procfs.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include "mortem/core/bytes.h"
#include "mortem/core/error.h"

namespace mortem {
namespace {

static_assert(sizeof(elf_prstatus) == 336, "x86-64 elf_prstatus layout");
static_assert(sizeof(elf_prpsinfo) == 136, "x86-64 elf_prpsinfo layout");
static_assert(sizeof(elf_gregset_t) == static_cast<size_t>(Reg::kCount) * 8, "user_regs_struct");

template <typename T>
bool CopyOut(std::span<const std::byte> bytes, size_t offset, T* out) {
  return CopyAt(bytes, offset, out, sizeof(T));
}

// More program headers than any process has mappings (vm.max_map_count is 65530 by default).
constexpr uint64_t kMaxProgramHeaders = uint64_t{1} << 22;

// e_phnum, or, when it is PN_XNUM (a core of more than 65534 mappings), the count the kernel
// then keeps in section header 0's sh_info (elf(5)). 0 when that header is missing.
uint64_t ProgramHeaderCount(std::span<const std::byte> bytes, const Elf64_Ehdr& eh) {
  if (eh.e_phnum != PN_XNUM) return eh.e_phnum;
  Elf64_Shdr first;
  if (eh.e_shoff == 0 || !CopyOut(bytes, eh.e_shoff, &first)) return 0;
  return first.sh_info;
}

std::string FixedString(const char* p, size_t n) {
  return std::string(p, strnlen(p, n));
}

}  // namespace

CoreFile::CoreFile(const std::string& path) : file_(path) {
  auto bytes = file_.bytes();
  Elf64_Ehdr eh;
  if (!CopyOut(bytes, 0, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    throw Error(path + " is not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
    throw Error(path + " is not an x86-64 ELF file");
  if (eh.e_type != ET_CORE) throw Error(path + " is an ELF file but not a core dump");
  uint64_t segment_count = ProgramHeaderCount(bytes, eh);
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || segment_count == 0 ||
      segment_count > kMaxProgramHeaders)
    throw Error(path + ": bad program header table");
  for (size_t i = 0; i < segment_count; ++i) {
    Elf64_Phdr ph;
    if (!CopyOut(bytes, eh.e_phoff + i * sizeof ph, &ph))
      throw Error(path + ": truncated core (program headers cut off)");
    if (ph.p_type == PT_NOTE) {
      if (ph.p_offset < bytes.size())
        ParseNotes(bytes.subspan(ph.p_offset,
                                 std::min<uint64_t>(ph.p_filesz, bytes.size() - ph.p_offset)));
      continue;
    }
    if (ph.p_type != PT_LOAD) continue;
    CoreSegment s{ph.p_vaddr,
                  ph.p_memsz,
                  ph.p_offset,
                  ph.p_filesz,
                  ph.p_filesz,
                  (ph.p_flags & PF_W) != 0,
                  (ph.p_flags & PF_X) != 0,
                  (ph.p_flags & PF_R) != 0};
    s.file_size = std::min(s.file_size, s.mem_size);
    uint64_t available = ph.p_offset < bytes.size() ? bytes.size() - ph.p_offset : 0;
    if (s.file_size > available) {
      truncated_bytes_ += s.file_size - available;
      s.file_size = available;
    }
    segments_.push_back(s);
  }
  std::sort(segments_.begin(), segments_.end(),
            [](const CoreSegment& a, const CoreSegment& b) { return a.vaddr < b.vaddr; });
  if (segments_.empty()) throw Error(path + ": core has no memory segments");
}

void CoreFile::ParseNotes(std::span<const std::byte> notes) {
  size_t pos = 0;
  while (pos + sizeof(Elf64_Nhdr) <= notes.size()) {
    Elf64_Nhdr nh;
    std::memcpy(&nh, notes.data() + pos, sizeof nh);
    size_t name_off = pos + sizeof nh;
    size_t desc_off = name_off + ((uint64_t{nh.n_namesz} + 3) & ~uint64_t{3});
    size_t next = desc_off + ((uint64_t{nh.n_descsz} + 3) & ~uint64_t{3});
    if (desc_off > notes.size() || next > notes.size()) break;
    auto desc = notes.subspan(desc_off, nh.n_descsz);
    pos = next;
    switch (nh.n_type) {
      case NT_PRSTATUS: {
        elf_prstatus st;
        if (!CopyOut(desc, 0, &st)) break;
        CoreThread t;
        t.tid = st.pr_pid;
        t.signal = st.pr_cursig;
        std::memcpy(t.regs.data(), &st.pr_reg, sizeof(st.pr_reg));
        threads_.push_back(t);
        if (process_.signal == 0) process_.signal = st.pr_cursig;
        break;
      }
      case NT_PRPSINFO: {
        elf_prpsinfo ps;
        if (!CopyOut(desc, 0, &ps)) break;
        process_.pid = ps.pr_pid;
        process_.command = FixedString(ps.pr_fname, sizeof ps.pr_fname);
        process_.arguments = FixedString(ps.pr_psargs, sizeof ps.pr_psargs);
        while (!process_.arguments.empty() && process_.arguments.back() == ' ')
          process_.arguments.pop_back();
        break;
      }
      case NT_SIGINFO: {
        siginfo_t si;
        if (!CopyOut(desc, 0, &si)) break;
        process_.signal = si.si_signo;
        process_.signal_code = si.si_code;
        if (si.si_signo == SIGSEGV || si.si_signo == SIGBUS || si.si_signo == SIGILL ||
            si.si_signo == SIGFPE)
          process_.fault_address = reinterpret_cast<uint64_t>(si.si_addr);
        break;
      }
      case NT_AUXV:
        for (size_t i = 0; i + 16 <= desc.size(); i += 16) {
          uint64_t kv[2];
          std::memcpy(kv, desc.data() + i, 16);
          auxv_.emplace_back(kv[0], kv[1]);
          if (kv[0] == AT_NULL) break;
        }
        break;
      case NT_FILE: {
        uint64_t head[2];
        if (!CopyOut(desc, 0, &head)) break;
        uint64_t count = head[0], page_size = head[1];
        if (count > desc.size() / 24) break;
        size_t names = 16 + count * 24;
        for (uint64_t i = 0; i < count && names < desc.size(); ++i) {
          uint64_t e[3];
          std::memcpy(e, desc.data() + 16 + i * 24, 24);
          const char* name = reinterpret_cast<const char*>(desc.data() + names);
          size_t len = strnlen(name, desc.size() - names);
          files_.push_back(MappedFileEntry{e[0], e[1], e[2] * page_size, std::string(name, len)});
          names += len + 1;
        }
        break;
      }
      default:
        break;
    }
  }
}

std::optional<uint64_t> CoreFile::AuxValue(uint64_t type) const {
  for (auto [k, v] : auxv_)
    if (k == type) return v;
  return std::nullopt;
}

std::vector<std::string> CoreFile::Arguments() const {
  // Initial stack (System V ABI): argc, argv[], NULL, envp[], NULL, auxv pairs; the strings lie
  // above. AT_EXECFN points at one of those strings, so the segment holding it holds the vector.
  constexpr size_t kMaxArgs = 1 << 16, kMaxTotal = 1 << 20;
  auto execfn = AuxValue(AT_EXECFN);
  if (!execfn || auxv_.size() < 2) return {};
  const CoreSegment* s = SegmentAt(*execfn);
  if (!s) return {};
  auto stack = file_.bytes().subspan(s->file_offset, s->file_size);
  std::vector<uint64_t> pattern;
  for (auto [k, v] : auxv_) pattern.insert(pattern.end(), {k, v});
  auto needle = std::as_bytes(std::span(pattern));
  auto hit = std::search(stack.begin(), stack.end(), needle.begin(), needle.end());
  if (hit == stack.end()) return {};
  uint64_t pos = static_cast<uint64_t>(hit - stack.begin());
  auto word = [&](uint64_t at) {
    uint64_t w;
    std::memcpy(&w, stack.data() + at, 8);
    return w;
  };
  // Back over envp's NULL, envp, argv's NULL, argv, to argc.
  if (pos < 16 || pos % 8 != 0 || word(pos - 8) != 0) return {};
  uint64_t at = pos - 16;
  size_t steps = 0;
  while (at >= 8 && word(at) != 0 && ++steps < kMaxArgs) at -= 8;  // envp
  if (word(at) != 0) return {};
  std::vector<Address> argv;
  while (at >= 8 && argv.size() < kMaxArgs) {
    at -= 8;
    uint64_t w = word(at);
    if (w == argv.size() && !argv.empty()) break;  // argc
    argv.push_back(w);
  }
  if (argv.empty() || word(at) != argv.size()) return {};
  std::vector<std::string> out;
  size_t total = 0;
  for (auto it = argv.rbegin(); it != argv.rend() && total < kMaxTotal; ++it) {
    auto arg = ReadCString(*it, 64 * 1024);
    if (!arg) return {};
    total += arg->size();
    out.push_back(*arg);
  }
  return out;
}

const CoreSegment* CoreFile::SegmentAt(Address address) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), address,
                             [](Address a, const CoreSegment& s) { return a < s.vaddr; });
  if (it == segments_.begin()) return nullptr;
  --it;
  if (address - it->vaddr >= it->file_size) return nullptr;
  return &*it;
}

std::span<const std::byte> CoreFile::View(Address address, size_t length) const {
  const CoreSegment* s = SegmentAt(address);
  if (!s) return {};
  uint64_t offset = address - s->vaddr;
  if (length > s->file_size - offset) return {};
  return file_.bytes().subspan(s->file_offset + offset, length);
}

size_t CoreFile::Read(Address address, void* out, size_t length) const {
  size_t done = 0;
  while (done < length) {
    const CoreSegment* s = SegmentAt(address + done);
    if (!s) break;
    uint64_t offset = address + done - s->vaddr;
    size_t chunk = std::min<uint64_t>(length - done, s->file_size - offset);
    std::memcpy(static_cast<char*>(out) + done, file_.bytes().data() + s->file_offset + offset,
                chunk);
    done += chunk;
  }
  return done;
}

void CoreFile::Prefetch(Address address, size_t length) const {
  const CoreSegment* s = SegmentAt(address);
  if (s) file_.Populate(s->file_offset + (address - s->vaddr), length);
}

// The kernel writes a PROT_NONE mapping as a PT_LOAD without PF_R and without file bytes.
std::optional<Address> CoreFile::NoAccessEnd(Address address) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), address,
                             [](Address a, const CoreSegment& s) { return a < s.vaddr; });
  if (it == segments_.begin()) return std::nullopt;
  --it;
  if (address - it->vaddr >= it->mem_size || it->readable || it->executable || it->writable ||
      it->file_size != 0)
    return std::nullopt;
  return it->vaddr + it->mem_size;
}

std::string CoreFile::WhyUnreadable(Address address) const {
  for (const auto& s : segments_) {
    if (address < s.vaddr || address - s.vaddr >= s.mem_size) continue;
    uint64_t offset = address - s.vaddr;
    if (offset < s.wanted_size) return "the core file is truncated: these bytes were cut off";
    return "the process had this memory mapped, but the core left its bytes out (the "
           "process's coredump_filter, or file-backed memory that was never written)";
  }
  return "not mapped in the process when the core was written";
}

void CoreFile::Release(Address address, size_t length) const {
  const CoreSegment* s = SegmentAt(address);
  if (s) file_.Drop(s->file_offset + (address - s->vaddr), length);
}

std::vector<Region> CoreFile::Regions() const {
  std::vector<Region> regions;
  for (const auto& s : segments_) {
    if (s.file_size == 0) continue;
    std::string name;
    for (const auto& f : files_)
      if (s.vaddr >= f.start && s.vaddr < f.end) name = f.path;
    regions.push_back(Region{s.vaddr, s.vaddr + s.file_size, true, s.writable, s.executable, name});
  }
  return regions;
}

}  // namespace mortem

// Unit tests of mortem::CoreFile on a tiny synthetic core written to a temp file: ELF header, a
// PT_NOTE with NT_PRSTATUS / NT_PRPSINFO / NT_SIGINFO / NT_AUXV / NT_FILE (real <sys/procfs.h>
// structs), and one PT_LOAD. Also truncated copies (must load, report truncated_bytes(), never
// read past the file) and files that are not cores (must throw mortem::Error).
#include "mortem/elf/core_file.h"

#include <doctest/doctest.h>
#include <elf.h>
#include <sys/procfs.h>

#include <array>
#include <csignal>
#include <cstring>

#include "elf_image.h"
#include "mortem/core/error.h"
#include "temp_file.h"

using mortem::CoreFile;
using mortem::Reg;
using mortem::test::AsBytes;
using mortem::test::Bytes;
using mortem::test::ElfHeader;
using mortem::test::Note;
using mortem::test::TempFile;

namespace {

constexpr uint64_t kLoadVaddr = 0x7f0000400000;
constexpr uint64_t kLoadSize = 0x3000;     // bytes present in the file
constexpr uint64_t kLoadMemSize = 0x4000;  // one more page that was not dumped
constexpr uint64_t kLoadOffset = 0x1000;   // page-aligned, after headers and notes
constexpr int kPid = 4242;
constexpr int kTid2 = 4243;
constexpr uint64_t kRip = 0x55555555a000, kRsp = 0x7ffd00001000, kRbp = 0x7ffd00001040;

// The byte at offset i of the PT_LOAD's contents.
std::byte Pattern(uint64_t i) {
  return std::byte(static_cast<uint8_t>((i * 7 + (i >> 8)) & 0xff));
}

std::vector<std::byte> NtFile() {
  // count, page size, then {start, end, page offset} per mapping, then the NUL-terminated names.
  Bytes b;
  const uint64_t head[2] = {2, 0x1000};
  b.Append(head);
  const uint64_t e1[3] = {kLoadVaddr, kLoadVaddr + kLoadMemSize, 3};
  const uint64_t e2[3] = {0x7f0000800000, 0x7f0000801000, 0};
  b.Append(e1);
  b.Append(e2);
  b.AppendRaw("/opt/node/bin/node", sizeof("/opt/node/bin/node"));
  b.AppendRaw("/lib/x86_64-linux-gnu/libc.so.6", sizeof("/lib/x86_64-linux-gnu/libc.so.6"));
  auto s = b.span();
  return {s.begin(), s.end()};
}

elf_prstatus Status(int tid, int cursig) {
  elf_prstatus st;
  std::memset(&st, 0, sizeof st);
  st.pr_pid = tid;
  st.pr_ppid = 1;
  st.pr_cursig = static_cast<short>(cursig);
  // elf_gregset_t is user_regs_struct's order: see mortem::Reg.
  st.pr_reg[static_cast<int>(Reg::rip)] = kRip + static_cast<uint64_t>(tid);
  st.pr_reg[static_cast<int>(Reg::rsp)] = kRsp;
  st.pr_reg[static_cast<int>(Reg::rbp)] = kRbp;
  st.pr_reg[static_cast<int>(Reg::rax)] = 0xaaaa;
  st.pr_reg[static_cast<int>(Reg::fs_base)] = 0x7f00000f0000;
  return st;
}

struct SyntheticCore {
  Bytes bytes;
  size_t notes_offset = 0;
  size_t notes_size = 0;
};

SyntheticCore MakeCore() {
  SyntheticCore core;
  Bytes& b = core.bytes;
  b.Append(ElfHeader(ET_CORE, 2));
  size_t note_ph = b.Append(Elf64_Phdr{});
  size_t load_ph = b.Append(Elf64_Phdr{});

  std::vector<std::byte> notes;
  auto add = [&notes](std::vector<std::byte> n) { notes.insert(notes.end(), n.begin(), n.end()); };
  add(Note("CORE", NT_PRSTATUS, AsBytes(Status(kPid, SIGABRT))));
  elf_prpsinfo ps;
  std::memset(&ps, 0, sizeof ps);
  ps.pr_pid = kPid;
  ps.pr_ppid = 1;
  std::strncpy(ps.pr_fname, "node", sizeof ps.pr_fname);
  std::strncpy(ps.pr_psargs, "/opt/node/bin/node --expose-gc app.js   ", sizeof ps.pr_psargs);
  add(Note("CORE", NT_PRPSINFO, AsBytes(ps)));
  siginfo_t si;
  std::memset(&si, 0, sizeof si);
  si.si_signo = SIGABRT;
  si.si_code = -6;  // SI_TKILL
  add(Note("CORE", NT_SIGINFO, AsBytes(si)));
  const uint64_t auxv[][2] = {{AT_PAGESZ, 4096}, {AT_ENTRY, 0x555555556000}, {AT_NULL, 0}};
  add(Note("CORE", NT_AUXV, AsBytes(auxv)));
  add(Note("CORE", NT_FILE, NtFile()));
  add(Note("CORE", NT_PRSTATUS, AsBytes(Status(kTid2, 0))));

  b.PadTo(4);
  core.notes_offset = b.AppendRaw(notes.data(), notes.size());
  core.notes_size = notes.size();
  REQUIRE(b.size() <= kLoadOffset);
  while (b.size() < kLoadOffset) b.Append(uint8_t{0});
  for (uint64_t i = 0; i < kLoadSize; ++i) b.Append(Pattern(i));

  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = core.notes_offset;
  note.p_filesz = notes.size();
  note.p_align = 4;
  b.Patch(note_ph, note);
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_flags = PF_R | PF_W;
  load.p_offset = kLoadOffset;
  load.p_vaddr = kLoadVaddr;
  load.p_filesz = kLoadSize;
  load.p_memsz = kLoadMemSize;
  load.p_align = 0x1000;
  b.Patch(load_ph, load);
  return core;
}

void CheckPattern(const CoreFile& core, uint64_t offset, size_t length) {
  std::vector<std::byte> got(length);
  REQUIRE(core.Read(kLoadVaddr + offset, got.data(), length) == length);
  for (size_t i = 0; i < length; ++i) {
    if (got[i] != Pattern(offset + i)) {
      FAIL("byte mismatch at segment offset " << offset + i);
    }
  }
}

}  // namespace

TEST_CASE("CoreFile: a complete synthetic core") {
  auto synthetic = MakeCore();
  TempFile file(synthetic.bytes.span());
  CoreFile core(file.path());

  CHECK(core.path() == file.path());
  CHECK(core.truncated_bytes() == 0u);

  SUBCASE("threads from NT_PRSTATUS") {
    REQUIRE(core.threads().size() == 2);
    const auto& t = core.threads()[0];
    CHECK(t.tid == kPid);
    CHECK(t.signal == SIGABRT);
    CHECK(t.reg(Reg::rip) == kRip + kPid);
    CHECK(t.reg(Reg::rsp) == kRsp);
    CHECK(t.reg(Reg::rbp) == kRbp);
    CHECK(t.reg(Reg::rax) == 0xaaaau);
    CHECK(t.reg(Reg::fs_base) == 0x7f00000f0000u);
    CHECK(core.threads()[1].tid == kTid2);
    CHECK(core.threads()[1].reg(Reg::rip) == kRip + kTid2);
  }
  SUBCASE("process info from NT_PRPSINFO and NT_SIGINFO") {
    CHECK(core.process().pid == kPid);
    CHECK(core.process().command == "node");
    CHECK(core.process().arguments == "/opt/node/bin/node --expose-gc app.js");
    CHECK(core.process().signal == SIGABRT);
    CHECK(core.process().signal_code == -6);
    CHECK(core.process().fault_address == 0u);  // SIGABRT has no fault address
  }
  SUBCASE("auxiliary vector") {
    CHECK(core.AuxValue(AT_PAGESZ) == std::optional<uint64_t>(4096));
    CHECK(core.AuxValue(AT_ENTRY) == std::optional<uint64_t>(0x555555556000));
    CHECK_FALSE(core.AuxValue(AT_PHDR).has_value());
  }
  SUBCASE("mapped files from NT_FILE (page offsets scaled to bytes)") {
    REQUIRE(core.mapped_files().size() == 2);
    const auto& f = core.mapped_files()[0];
    CHECK(f.start == kLoadVaddr);
    CHECK(f.end == kLoadVaddr + kLoadMemSize);
    CHECK(f.file_offset == 3u * 0x1000u);
    CHECK(f.path == "/opt/node/bin/node");
    CHECK(core.mapped_files()[1].path == "/lib/x86_64-linux-gnu/libc.so.6");
  }
  SUBCASE("segments, regions and reads") {
    REQUIRE(core.segments().size() == 1);
    const auto& s = core.segments()[0];
    CHECK(s.vaddr == kLoadVaddr);
    CHECK(s.mem_size == kLoadMemSize);
    CHECK(s.file_offset == kLoadOffset);
    CHECK(s.file_size == kLoadSize);
    CHECK(s.wanted_size == kLoadSize);
    CHECK(s.writable);
    CHECK_FALSE(s.executable);

    auto regions = core.Regions();
    REQUIRE(regions.size() == 1);
    CHECK(regions[0].start == kLoadVaddr);
    CHECK(regions[0].end == kLoadVaddr + kLoadSize);  // only the bytes in the file
    CHECK(regions[0].name == "/opt/node/bin/node");

    CheckPattern(core, 0, kLoadSize);
    auto view = core.View(kLoadVaddr + 0x10, 0x100);
    REQUIRE(view.size() == 0x100);
    CHECK(view[0] == Pattern(0x10));
    CHECK(core.View(kLoadVaddr + kLoadSize - 4, 8).empty());
    uint64_t word = 0;
    std::memcpy(&word, view.data(), 8);
    CHECK(core.ReadWord(kLoadVaddr + 0x10) == word);
    // Bytes beyond p_filesz (memsz only) and outside the segment are unreadable.
    CHECK_FALSE(core.ReadWord(kLoadVaddr + kLoadSize).has_value());
    CHECK_FALSE(core.ReadWord(kLoadVaddr - 8).has_value());
    CHECK_FALSE(core.ReadWord(0).has_value());
    std::array<std::byte, 64> buffer{};
    CHECK(core.Read(kLoadVaddr + kLoadSize - 16, buffer.data(), buffer.size()) == 16u);
    CHECK(core.IsReadable(kLoadVaddr, kLoadSize));
    CHECK_FALSE(core.IsReadable(kLoadVaddr, kLoadSize + 1));
  }
}

TEST_CASE("CoreFile: more than 65534 program headers (e_phnum PN_XNUM, count in section 0)") {
  auto synthetic = MakeCore();
  Bytes& b = synthetic.bytes;
  Elf64_Ehdr eh = ElfHeader(ET_CORE, PN_XNUM);
  eh.e_shnum = 1;
  SUBCASE("the count in section header 0's sh_info") {
    Elf64_Shdr first{};
    first.sh_info = 2;
    eh.e_shoff = b.Append(first);
    b.Patch(0, eh);
    TempFile file(b.span());
    CoreFile core(file.path());
    CHECK(core.threads().size() == 2);
    REQUIRE(core.segments().size() == 1);
    CHECK(core.segments()[0].vaddr == kLoadVaddr);
  }
  SUBCASE("no section header to hold the count") {
    b.Patch(0, eh);
    TempFile file(b.span());
    CHECK_THROWS_AS(CoreFile(file.path()), mortem::Error);
  }
  SUBCASE("a count beyond any process's mappings") {
    Elf64_Shdr first{};
    first.sh_info = 0xffffffffu;
    eh.e_shoff = b.Append(first);
    b.Patch(0, eh);
    TempFile file(b.span());
    CHECK_THROWS_AS(CoreFile(file.path()), mortem::Error);
  }
}

TEST_CASE("CoreFile: a core truncated inside the PT_LOAD data loads with truncated_bytes()") {
  auto synthetic = MakeCore();
  const uint64_t keep = 0x1234;  // bytes of the segment that remain
  synthetic.bytes.Truncate(kLoadOffset + keep);
  TempFile file(synthetic.bytes.span());
  CoreFile core(file.path());
  CHECK(core.truncated_bytes() == kLoadSize - keep);
  REQUIRE(core.segments().size() == 1);
  CHECK(core.segments()[0].file_size == keep);
  CHECK(core.segments()[0].wanted_size == kLoadSize);
  CHECK(core.threads().size() == 2);  // the notes are intact
  CheckPattern(core, 0, keep);
  std::array<std::byte, 64> buffer{};
  CHECK(core.Read(kLoadVaddr + keep - 8, buffer.data(), buffer.size()) == 8u);
  CHECK(core.View(kLoadVaddr + keep - 8, 16).empty());
  CHECK_FALSE(core.ReadWord(kLoadVaddr + keep).has_value());
  CHECK_FALSE(core.ReadWord(kLoadVaddr + kLoadSize - 8).has_value());
  auto regions = core.Regions();
  REQUIRE(regions.size() == 1);
  CHECK(regions[0].end == kLoadVaddr + keep);
}

TEST_CASE("CoreFile: truncation at every interesting point never crashes") {
  auto synthetic = MakeCore();
  const size_t headers_end = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
  std::vector<size_t> cuts = {headers_end,
                              synthetic.notes_offset + 7,
                              synthetic.notes_offset + synthetic.notes_size / 2,
                              synthetic.notes_offset + synthetic.notes_size,
                              kLoadOffset,
                              kLoadOffset + 1,
                              kLoadOffset + kLoadSize - 1};
  for (size_t cut : cuts) {
    CAPTURE(cut);
    Bytes copy = synthetic.bytes;
    copy.Truncate(cut);
    TempFile file(copy.span());
    CoreFile core(file.path());
    CHECK(core.truncated_bytes() == kLoadSize - (cut > kLoadOffset ? cut - kLoadOffset : 0));
    REQUIRE(core.segments().size() == 1);
    // Reads of the whole segment stop where the file ends.
    std::vector<std::byte> all(kLoadSize);
    size_t got = core.Read(kLoadVaddr, all.data(), all.size());
    CHECK(got == core.segments()[0].file_size);
    for (const auto& t : core.threads()) CHECK(t.tid != 0);
    for (const auto& f : core.mapped_files()) CHECK(f.end > f.start);
  }
}

TEST_CASE("CoreFile: cut inside the program headers, it is an Error, not a crash") {
  auto synthetic = MakeCore();
  for (size_t cut : {size_t{0}, size_t{3}, sizeof(Elf64_Ehdr) - 1, sizeof(Elf64_Ehdr) + 8,
                     sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 1}) {
    CAPTURE(cut);
    Bytes copy = synthetic.bytes;
    copy.Truncate(cut);
    TempFile file(copy.span());
    CHECK_THROWS_AS(CoreFile{file.path()}, mortem::Error);
  }
}

TEST_CASE("CoreFile: files that are not x86-64 cores throw mortem::Error") {
  SUBCASE("text file") {
    TempFile file(std::string("this is not a core file\n"));
    CHECK_THROWS_AS(CoreFile{file.path()}, mortem::Error);
  }
  SUBCASE("empty file") {
    TempFile file(std::string{});
    CHECK_THROWS_AS(CoreFile{file.path()}, mortem::Error);
  }
  SUBCASE("missing file") {
    CHECK_THROWS_AS(CoreFile{"/nonexistent/mortem/core"}, mortem::Error);
  }
  SUBCASE("a directory") {
    CHECK_THROWS_AS(CoreFile{"/"}, mortem::Error);
  }
  SUBCASE("an executable, not a core") {
    auto synthetic = MakeCore();
    synthetic.bytes.Patch(0, ElfHeader(ET_EXEC, 2));
    TempFile file(synthetic.bytes.span());
    try {
      CoreFile core(file.path());
      FAIL("an ET_EXEC file loaded as a core");
    } catch (const mortem::Error& e) {
      CHECK(std::string(e.what()).find("not a core") != std::string::npos);
      CHECK(e.code() == mortem::ExitCode::kBadInput);
    }
  }
  SUBCASE("another machine") {
    auto synthetic = MakeCore();
    auto eh = ElfHeader(ET_CORE, 2);
    eh.e_machine = EM_AARCH64;
    synthetic.bytes.Patch(0, eh);
    TempFile file(synthetic.bytes.span());
    CHECK_THROWS_AS(CoreFile{file.path()}, mortem::Error);
  }
  SUBCASE("a core without PT_LOAD") {
    auto synthetic = MakeCore();
    Elf64_Phdr none{};
    none.p_type = PT_NULL;
    synthetic.bytes.Patch(sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr), none);
    TempFile file(synthetic.bytes.span());
    CHECK_THROWS_AS(CoreFile{file.path()}, mortem::Error);
  }
  SUBCASE("absurd program header count") {
    auto synthetic = MakeCore();
    auto eh = ElfHeader(ET_CORE, 0xffff);
    synthetic.bytes.Patch(0, eh);
    TempFile file(synthetic.bytes.span());
    CHECK_THROWS_AS(CoreFile{file.path()}, mortem::Error);
  }
}

TEST_CASE("CoreFile: corrupt notes are skipped without reading past them") {
  auto synthetic = MakeCore();
  // Make the first note claim a huge descriptor: parsing must stop, the core still loads.
  Elf64_Nhdr nh{};
  nh.n_namesz = 5;
  nh.n_descsz = 0x7ffffff0u;
  nh.n_type = NT_PRSTATUS;
  synthetic.bytes.Patch(synthetic.notes_offset, nh);
  TempFile file(synthetic.bytes.span());
  CoreFile core(file.path());
  CHECK(core.threads().empty());
  CHECK(core.segments().size() == 1);
  CheckPattern(core, 0, 64);
}

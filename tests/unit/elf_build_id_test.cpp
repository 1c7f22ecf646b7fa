// Unit tests of mortem::BuildIdFromElfImage on synthetic ELF images (header, program headers and
// PT_NOTE notes built from <elf.h> structs), and of ElfBinary on this test executable itself.
#include <doctest/doctest.h>
#include <elf.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <iterator>

#include "elf_image.h"
#include "mortem/core/error.h"
#include "mortem/elf/elf_binary.h"
#include "temp_file.h"

using mortem::test::AsBytes;
using mortem::test::Bytes;
using mortem::test::ElfHeader;
using mortem::test::Note;

namespace {

const std::array<uint8_t, 20> kId = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                                     0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0xc0, 0xff, 0xee, 0x99};
const char kIdHex[] = "deadbeef000102030405060708090a0bc0ffee99";

// An ET_DYN image: ELF header, a PT_LOAD and a PT_NOTE program header, then the notes.
// With abi_tag_first, an NT_GNU_ABI_TAG note precedes the build-id note in the same segment.
Bytes ImageWithBuildId(bool abi_tag_first) {
  Bytes b;
  b.Append(ElfHeader(ET_DYN, 2));
  size_t load_ph = b.Append(Elf64_Phdr{});
  size_t note_ph = b.Append(Elf64_Phdr{});
  std::vector<std::byte> notes;
  if (abi_tag_first) {
    const std::array<uint32_t, 4> abi = {0, 3, 2, 0};  // GNU/Linux 3.2.0
    auto n = Note("GNU", NT_GNU_ABI_TAG, std::as_bytes(std::span(abi)));
    notes.insert(notes.end(), n.begin(), n.end());
  }
  auto id = Note("GNU", NT_GNU_BUILD_ID, std::as_bytes(std::span(kId)));
  notes.insert(notes.end(), id.begin(), id.end());
  b.PadTo(8);
  size_t notes_at = b.AppendRaw(notes.data(), notes.size());

  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_flags = PF_R;
  load.p_filesz = load.p_memsz = b.size();
  load.p_align = 0x1000;
  b.Patch(load_ph, load);
  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_flags = PF_R;
  note.p_offset = note.p_vaddr = notes_at;
  note.p_filesz = note.p_memsz = notes.size();
  note.p_align = 4;
  b.Patch(note_ph, note);
  return b;
}

}  // namespace

TEST_CASE("BuildIdFromElfImage finds the GNU build-id note as lowercase hex") {
  auto image = ImageWithBuildId(false);
  CHECK(mortem::BuildIdFromElfImage(image.span()) == kIdHex);
}

TEST_CASE("BuildIdFromElfImage skips other notes before the build-id") {
  auto image = ImageWithBuildId(true);
  CHECK(mortem::BuildIdFromElfImage(image.span()) == kIdHex);
}

TEST_CASE("BuildIdFromElfImage: a page-sized image (as in a core's first page) works") {
  auto image = ImageWithBuildId(true);
  image.PadTo(4096);
  CHECK(mortem::BuildIdFromElfImage(image.span()) == kIdHex);
}

TEST_CASE("BuildIdFromElfImage returns empty when the notes are not in the bytes") {
  auto image = ImageWithBuildId(false);
  for (size_t cut :
       {size_t{0}, size_t{10}, sizeof(Elf64_Ehdr), sizeof(Elf64_Ehdr) + 60, image.size() - 1}) {
    CAPTURE(cut);
    CHECK(mortem::BuildIdFromElfImage(image.prefix(cut)).empty());
  }
}

TEST_CASE("BuildIdFromElfImage returns empty for non-ELF, 32-bit, and note-less images") {
  SUBCASE("not ELF") {
    std::vector<std::byte> junk(4096, std::byte{0x7f});
    CHECK(mortem::BuildIdFromElfImage(junk).empty());
  }
  SUBCASE("ELFCLASS32") {
    auto image = ImageWithBuildId(false);
    auto eh = ElfHeader(ET_DYN, 2);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    image.Patch(0, eh);
    CHECK(mortem::BuildIdFromElfImage(image.span()).empty());
  }
  SUBCASE("no PT_NOTE") {
    Bytes b;
    b.Append(ElfHeader(ET_EXEC, 1));
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    b.Append(load);
    CHECK(mortem::BuildIdFromElfImage(b.span()).empty());
  }
  SUBCASE("a note with a different owner") {
    Bytes b;
    b.Append(ElfHeader(ET_DYN, 1));
    size_t ph = b.Append(Elf64_Phdr{});
    auto n = Note("XYZ", NT_GNU_BUILD_ID, std::as_bytes(std::span(kId)));
    size_t at = b.AppendRaw(n.data(), n.size());
    Elf64_Phdr note{};
    note.p_type = PT_NOTE;
    note.p_offset = at;
    note.p_filesz = n.size();
    b.Patch(ph, note);
    CHECK(mortem::BuildIdFromElfImage(b.span()).empty());
  }
  SUBCASE("a note header whose sizes run past the segment") {
    Bytes b;
    b.Append(ElfHeader(ET_DYN, 1));
    size_t ph = b.Append(Elf64_Phdr{});
    Elf64_Nhdr nh{};
    nh.n_namesz = 4;
    nh.n_descsz = 0xfffffff0u;
    nh.n_type = NT_GNU_BUILD_ID;
    size_t at = b.Append(nh);
    b.AppendRaw("GNU", 4);
    Elf64_Phdr note{};
    note.p_type = PT_NOTE;
    note.p_offset = at;
    note.p_filesz = b.size() - at;
    b.Patch(ph, note);
    CHECK(mortem::BuildIdFromElfImage(b.span()).empty());
  }
}

TEST_CASE("ElfBinary reads this test executable: build-id agrees with BuildIdFromElfImage") {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  REQUIRE(n > 0);
  self[n] = '\0';
  mortem::ElfBinary binary(self);
  std::ifstream in(self, std::ios::binary);
  std::vector<char> head(64 * 1024);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  auto from_image = mortem::BuildIdFromElfImage(std::as_bytes(std::span(head)));
  CHECK(binary.build_id() == from_image);
  if (binary.build_id().empty()) {
    MESSAGE("this executable was linked without --build-id; only agreement was checked");
  } else {
    CHECK(binary.build_id().size() % 2 == 0);
    CHECK(binary.build_id().find_first_not_of("0123456789abcdef") == std::string::npos);
  }
  CHECK_FALSE(binary.segments().empty());
  auto main_symbol = binary.Find("main");
  REQUIRE(main_symbol.has_value());
  CHECK(main_symbol->is_function);
  auto by_address = binary.FindByAddress(main_symbol->address);
  REQUIRE(by_address.has_value());
  CHECK(by_address->name == "main");
}

TEST_CASE("ElfBinary rejects a file that is not ELF") {
  mortem::test::TempFile text(std::string("#!/bin/sh\necho not an elf file\n"));
  CHECK_THROWS_AS(mortem::ElfBinary{text.path()}, mortem::Error);
  CHECK_THROWS_AS(mortem::ElfBinary{"/nonexistent/mortem/binary"}, mortem::Error);
}

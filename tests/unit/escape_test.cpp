// Unit tests of ControlEscaper and EscapeControls: control bytes from a target (NUL, escape,
// carriage return, DEL) reach text output as \xNN; newline, tab, printable ASCII and UTF-8 pass.
#include "mortem/core/escape.h"

#include <doctest/doctest.h>

#include <ostream>
#include <sstream>

using namespace std::string_literals;

TEST_CASE("control bytes are written as \\xNN, newline, tab and UTF-8 pass") {
  const std::string raw = "a\0b\x1b[31mred\r\n\tc\x7f\x01 caf\xc3\xa9"s;
  const std::string want = "a\\x00b\\x1b[31mred\\x0d\n\tc\\x7f\\x01 caf\xc3\xa9";
  CHECK(mortem::EscapeControls(raw) == want);
  std::ostringstream sink;
  mortem::ControlEscaper escaper(sink.rdbuf());
  std::ostream out(&escaper);
  out << raw << '\0' << 42 << "\n";  // bulk writes, single characters and formatted numbers
  CHECK(out.good());
  CHECK(sink.str() == want + "\\x0042\n");
}

TEST_CASE("text without control bytes is unchanged") {
  const std::string text = "RequestRecord @0x451b5458110 <- [2999] of Array\n";
  CHECK(mortem::EscapeControls(text) == text);
  std::ostringstream sink;
  mortem::ControlEscaper escaper(sink.rdbuf());
  std::ostream(&escaper) << text;
  CHECK(sink.str() == text);
}

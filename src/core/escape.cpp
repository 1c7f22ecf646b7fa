#include "mortem/core/escape.h"

#include <cstdio>

namespace mortem {
namespace {

bool IsControl(unsigned char c) {
  return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

std::string Escaped(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

}  // namespace

std::string EscapeControls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsControl(static_cast<unsigned char>(c)))
      out += Escaped(static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

ControlEscaper::int_type ControlEscaper::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
}

std::streamsize ControlEscaper::xsputn(const char* s, std::streamsize n) {
  std::streamsize done = 0;
  while (done < n) {
    std::streamsize run = done;  // the longest run without a control byte
    while (run < n && !IsControl(static_cast<unsigned char>(s[run]))) ++run;
    if (run > done && to_->sputn(s + done, run - done) != run - done) return done;
    done = run;
    if (done == n) break;
    const std::string escaped = Escaped(static_cast<unsigned char>(s[done]));
    const auto length = static_cast<std::streamsize>(escaped.size());
    if (to_->sputn(escaped.data(), length) != length) return done;
    ++done;
  }
  return done;
}

}  // namespace mortem

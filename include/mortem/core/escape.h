// Purpose: text output never carries raw control bytes read from a target. ControlEscaper is a
// stream buffer that forwards to another one and writes every control byte except newline and
// tab (NUL, escape, carriage return, DEL, ...) as \xNN, so names and strings from a damaged core
// can neither hide in nor steer the terminal. Bytes of 0x80 and above (UTF-8) pass unchanged.
#pragma once
#include <streambuf>
#include <string>
#include <string_view>

namespace mortem {

// The text with its control bytes written as \xNN (as ControlEscaper writes them).
std::string EscapeControls(std::string_view text);

class ControlEscaper : public std::streambuf {
 public:
  explicit ControlEscaper(std::streambuf* to) : to_(to) {}

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override { return to_->pubsync(); }

 private:
  std::streambuf* to_;
};

}  // namespace mortem

// The word handling llnode's aliases share (their translations sit with their commands).
#include "mortem/commands/llnode.h"

#include <cctype>

namespace mortem::commands {

bool IsFlag(const std::string& word) {
  return word.size() > 1 && word[0] == '-';
}

std::optional<size_t> MergePositionals(const std::string& command, std::vector<std::string>& args,
                                       const TakesValue& takes_value) {
  std::optional<size_t> first;
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!IsFlag(args[i])) {
      if (first) {
        out[*first] += " " + args[i];
      } else {
        first = out.size();
        out.push_back(args[i]);
      }
      continue;
    }
    out.push_back(args[i]);
    if (args[i].starts_with("--") && args[i].find('=') == std::string::npos &&
        takes_value(command, args[i]) && i + 1 < args.size())
      out.push_back(args[++i]);
  }
  args = std::move(out);
  return first;
}

bool IsPlainNumber(const std::string& text) {
  if (text.empty()) return false;
  size_t i = 0;
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (hex) i = 2;
  for (; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (!(hex ? std::isxdigit(c) : std::isdigit(c))) return false;
  }
  return true;
}

}  // namespace mortem::commands

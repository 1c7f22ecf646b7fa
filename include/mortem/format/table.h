// Purpose: plain-text tables for terminal output: columns with headers, right-aligned numbers,
// and thousands-grouped byte counts. The only place text layout is decided.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "mortem/core/text.h"

namespace mortem::format {

class Table {
 public:
  enum class Align { kLeft, kRight };
  void AddColumn(std::string header, Align align = Align::kLeft);
  void AddRow(std::vector<std::string> cells);
  void Print(std::ostream& out, bool header = true) const;  // header: the headers' row

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

// Text from the target on one line: a newline or tab written as \n or \t (tables and lists
// of one item per line use it for names, edges and previews).
std::string OneLine(std::string text);

using mortem::Grouped;               // 1234567 -> "1,234,567"
std::string SignalName(int signal);  // 6 -> "SIGABRT", "" if none
using mortem::Hex;                   // "0x..."
using mortem::HumanBytes;            // "12.3 MiB"

}  // namespace mortem::format

#include "mortem/format/table.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "mortem/core/text.h"

namespace mortem::format {

std::string SignalName(int signal) {
  const char* abbrev = signal ? sigabbrev_np(signal) : nullptr;
  return abbrev ? std::string("SIG") + abbrev : "";
}

void Table::AddColumn(std::string header, Align align) {
  headers_.push_back(std::move(header));
  aligns_.push_back(align);
}

std::string OneLine(std::string text) {
  if (text.find_first_of("\n\t") == std::string::npos) return text;
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else
      out += c;
  }
  return out;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  // A cell is one line: a newline or tab from the target cannot break the table.
  for (auto& cell : cells) cell = OneLine(std::move(cell));
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out, bool header) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = header ? headers_[c].size() : 0;
    for (const auto& row : rows_) width[c] = std::max(width[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string pad(width[c] - cells[c].size(), ' ');
      bool last = c + 1 == cells.size();
      if (aligns_[c] == Align::kRight)
        line += pad + cells[c];
      else
        line += cells[c] + (last ? "" : pad);
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  if (header) print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

}  // namespace mortem::format

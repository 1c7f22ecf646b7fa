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

namespace {

// A cell is one line: a newline or tab from the target (a name, a string) is written as \n or
// \t, so that it cannot break the table's lines or columns.
std::string OneLine(std::string cell) {
  if (cell.find_first_of("\n\t") == std::string::npos) return cell;
  std::string out;
  out.reserve(cell.size() + 8);
  for (char c : cell) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else
      out += c;
  }
  return out;
}

}  // namespace

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
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

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

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
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
    out << line << '\n';
  };
  if (header) print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

}  // namespace mortem::format

// SPDX-License-Identifier: GPL-2.0-only
#include "cli/table.hpp"

#include <algorithm>
#include <ostream>

namespace daxfmap::cli {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<std::string> cells)
{
	cells.resize(columns_.size());
	rows_.push_back(std::move(cells));
}

void Table::print(std::ostream &out) const
{
	std::vector<size_t> width(columns_.size());
	for (size_t c = 0; c < columns_.size(); c++) {
		width[c] = columns_[c].header.size();
		for (const auto &row : rows_)
			width[c] = std::max(width[c], row[c].size());
	}
	auto line = [&](auto cell) {
		std::string s;
		for (size_t c = 0; c < columns_.size(); c++) {
			const std::string &text = cell(c);
			const std::string pad(width[c] - text.size(), ' ');
			if (c)
				s += "  ";
			s += columns_[c].align == Align::Right ? pad + text : text + pad;
		}
		s.erase(s.find_last_not_of(' ') + 1);
		out << s << '\n';
	};
	line([&](size_t c) -> const std::string & { return columns_[c].header; });
	for (const auto &row : rows_)
		line([&](size_t c) -> const std::string & { return row[c]; });
}

} // namespace daxfmap::cli

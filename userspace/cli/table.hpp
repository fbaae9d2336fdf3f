// SPDX-License-Identifier: GPL-2.0-only
// Aligned plain-text tables for human output.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace daxfmap::cli {

class Table {
public:
	enum class Align { Left, Right };

	struct Column {
		std::string header;
		Align align = Align::Left;
	};

	explicit Table(std::vector<Column> columns);

	// Short rows are padded with empty cells; extra cells are an error of
	// the caller and are dropped.
	void add_row(std::vector<std::string> cells);
	size_t rows() const { return rows_.size(); }

	// Header, then rows; columns two spaces apart, no trailing blanks.
	void print(std::ostream &out) const;

private:
	std::vector<Column> columns_;
	std::vector<std::vector<std::string>> rows_;
};

} // namespace daxfmap::cli

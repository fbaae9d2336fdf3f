// SPDX-License-Identifier: GPL-2.0-only
// Benchmark results for people (tables, SVG plots) and programs (JSON, CSV),
// with the machine they were measured on.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/scenarios.hpp"
#include "libdaxfmap/result.hpp"

namespace daxfmap::bench {

struct Machine {
	std::string cpu, kernel, hostname, date;
	unsigned cpus = 0;
	uint64_t memory_bytes = 0;
};
Machine describe_machine();

// How each curve grows with the extent count: for every (scenario, metric,
// strategy, layout, pattern) measured at two or more counts, the median at
// the most extents over the median at the fewest.
struct Scaling {
	std::string scenario, metric, strategy, layout, pattern;
	uint32_t from_extents = 0, to_extents = 0;
	double from = 0, to = 0;
	double growth = 0; // to / from
};
std::vector<Scaling> scaling(const std::vector<Row> &rows);

void print_tables(std::ostream &out, const std::vector<Row> &rows);
nlohmann::ordered_json to_json(const std::vector<Row> &rows, const Machine &m, const Config &c);
std::string to_csv(const std::vector<Row> &rows);

// One SVG per curve family (scenario x layout x pattern) into dir, drawn by
// gnuplot; returns the files written, or an error naming what is missing.
Result<std::vector<std::string>> write_plots(const std::vector<Row> &rows, const std::string &dir);

} // namespace daxfmap::bench

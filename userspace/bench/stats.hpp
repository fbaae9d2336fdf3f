// SPDX-License-Identifier: GPL-2.0-only
// Summary statistics of repeated measurements: the median and the spread.
#pragma once

#include <cstddef>
#include <vector>

namespace daxfmap::bench {

struct Summary {
	double median = 0;
	double min = 0;
	double max = 0;
	double p25 = 0; // lower quartile
	double p75 = 0; // upper quartile
	size_t n = 0;
};

// Quartiles by linear interpolation between order statistics.
Summary summarize(std::vector<double> samples);

} // namespace daxfmap::bench

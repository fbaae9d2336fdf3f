// SPDX-License-Identifier: GPL-2.0-only
#include "bench/stats.hpp"

#include <algorithm>
#include <cmath>

namespace daxfmap::bench {

namespace {

double quantile(const std::vector<double> &sorted, double q)
{
	if (sorted.empty())
		return 0;
	const double pos = q * double(sorted.size() - 1);
	const size_t lo = static_cast<size_t>(std::floor(pos));
	const size_t hi = std::min(lo + 1, sorted.size() - 1);
	return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

} // namespace

Summary summarize(std::vector<double> samples)
{
	std::sort(samples.begin(), samples.end());
	Summary s;
	s.n = samples.size();
	if (samples.empty())
		return s;
	s.min = samples.front();
	s.max = samples.back();
	s.median = quantile(samples, 0.5);
	s.p25 = quantile(samples, 0.25);
	s.p75 = quantile(samples, 0.75);
	return s;
}

} // namespace daxfmap::bench

// SPDX-License-Identifier: GPL-2.0-only
// Scenario "update": how fast an fmap gets into a strategy's maps (compile
// and load, in extents per second) and how long an atomic replacement of a
// file's fmap takes (alternating between two fmaps of the same file).
#include <chrono>

#include "bench/fixtures.hpp"
#include "bench/scenarios.hpp"

namespace daxfmap::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0)
{
	return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace

std::vector<Row> run_update(const Config &c)
{
	std::vector<Row> rows;
	const unsigned swaps = c.quick ? 20 : 200;
	for (Layout layout : c.layouts) {
		for (uint32_t n : c.extent_counts) {
			std::string cap;
			const Fmap a = bench_fmap(layout, n, c.seed + n, &cap);
			const Fmap b = bench_fmap(layout, n, c.seed + n + 1, nullptr);
			progress(c.progress, "update " + std::string(layout_name(layout)) + " " +
						     std::to_string(a.extent_count()) + " extents");
			for (bpf::Strategy s : c.strategies) {
				Row load{.scenario = "update", .strategy = std::string(bpf::strategy_name(s)),
					 .layout = std::string(layout_name(layout)),
					 .extents = static_cast<uint32_t>(a.extent_count()), .ranges = a.range_count(),
					 .pattern = "-", .metric = "extents_per_s", .unit = "extents/s", .note = cap};
				Row swap = load;
				swap.scenario = "swap";
				swap.metric = "us_per_swap";
				swap.unit = "us";
				// Room for two runs of each fmap: the live one and the next.
				auto r = fitted_resolver(s, a, 2 * pool_entries_for(s, {&a, &b}));
				if (!r) {
					load.note = swap.note = "refused: " + r.error().message();
					rows.push_back(load);
					rows.push_back(swap);
					continue;
				}
				std::vector<double> rate, us;
				for (unsigned rep = 0; rep < c.repeats; rep++) {
					const Fmap &f = rep % 2 ? a : b;
					const auto t0 = Clock::now();
					if (auto u = (*r)->upsert(0, f); !u) {
						load.note = "failed: " + u.error().message();
						break;
					}
					rate.push_back(double(f.range_count()) / seconds_since(t0));
				}
				for (unsigned i = 0; i < swaps && load.note == cap; i++) {
					const auto t0 = Clock::now();
					if (auto u = (*r)->upsert(0, i % 2 ? a : b); !u) {
						swap.note = "failed: " + u.error().message();
						break;
					}
					us.push_back(seconds_since(t0) * 1e6);
				}
				if (!rate.empty())
					load.value = summarize(rate);
				if (!us.empty())
					swap.value = summarize(us);
				rows.push_back(load);
				rows.push_back(swap);
			}
		}
	}
	return rows;
}

} // namespace daxfmap::bench

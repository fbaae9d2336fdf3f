// SPDX-License-Identifier: GPL-2.0-only
// Scenario "resolve": the cost of one lookup, for every strategy, timed where
// the lookups run: BPF strategies inside the kernel (the timed program's
// bpf_ktime_get_ns around a bpf_loop of lookups), native in this process.
#include <algorithm>
#include <cmath>
#include <map>

#include "bench/fixtures.hpp"
#include "bench/scenarios.hpp"

namespace daxfmap::bench {

namespace {

constexpr size_t kQueries = 4096; // one batch map's worth

struct Subject {
	bpf::Strategy strategy;
	std::unique_ptr<bpf::Resolver> resolver;
	uint64_t iterations = 0;
	std::vector<double> ns;
	std::string note;
};

// Iterations for about target_ms per repeat, from a short trial run.
uint64_t calibrate(bpf::Resolver &r, const std::vector<bpf::Query> &qs, double target_ms)
{
	uint64_t it = 64;
	for (;;) {
		auto t = r.timed(qs, it);
		if (!t || t->elapsed_ns == 0)
			return it;
		const double per = double(t->elapsed_ns) / double(it);
		if (t->elapsed_ns > 2'000'000 || it >= (1u << 23)) {
			const double want = target_ms * 1e6 / std::max(per, 0.1);
			return std::clamp<uint64_t>(static_cast<uint64_t>(want), 16, 1u << 23);
		}
		it *= 8;
	}
}

// The harness's own cost per lookup: queries of length 0, which every
// resolver refuses (BAD_LENGTH) before it reads a map.  What is left of a
// strategy's figure after this is the lookup itself; a fault hook that calls
// the resolver directly pays no bpf_loop callback or batch-slot read.
std::vector<Row> empty_lookups(const Config &c)
{
	std::vector<Row> rows;
	const Fmap f = bench_fmap(Layout::SimplePow2, 1, c.seed, nullptr);
	auto qs = page_queries(f, kQueries, false, c.seed);
	for (bpf::Query &q : qs)
		q.length = 0;
	std::vector<Subject> subjects;
	for (bpf::Strategy s : c.strategies) {
		Subject sub{.strategy = s};
		if (auto r = fitted_resolver(s, f); !r)
			sub.note = "refused: " + r.error().message();
		else {
			sub.resolver = std::move(*r);
			sub.iterations = calibrate(*sub.resolver, qs, c.target_ms);
		}
		subjects.push_back(std::move(sub));
	}
	progress(c.progress, "resolve: the harness's cost (empty lookups)");
	for (unsigned rep = 0; rep < c.repeats; rep++)
		for (Subject &sub : subjects)
			if (sub.resolver)
				if (auto t = sub.resolver->timed(qs, sub.iterations); t)
					sub.ns.push_back(double(t->elapsed_ns) / double(sub.iterations));
	double native = NAN;
	for (const Subject &sub : subjects)
		if (sub.strategy == bpf::Strategy::Native && !sub.ns.empty())
			native = summarize(sub.ns).median;
	for (const Subject &sub : subjects) {
		Row row{.scenario = "resolve", .strategy = std::string(bpf::strategy_name(sub.strategy)),
			.layout = "-", .extents = 0, .pattern = "length 0", .metric = "ns_per_empty_lookup",
			.unit = "ns", .iterations = sub.iterations, .note = sub.note};
		if (!sub.ns.empty()) {
			row.value = summarize(sub.ns);
			row.ratio = row.value.median / native;
		}
		rows.push_back(std::move(row));
	}
	return rows;
}

} // namespace

std::vector<Row> run_resolve(const Config &c)
{
	std::vector<Row> rows = empty_lookups(c);
	for (Layout layout : c.layouts) {
		for (uint32_t n : c.extent_counts) {
			std::string cap;
			const Fmap f = bench_fmap(layout, n, c.seed + n, &cap);
			for (bool random : {false, true}) {
				const auto qs = page_queries(f, kQueries, random, c.seed);
				std::vector<Subject> subjects;
				for (bpf::Strategy s : c.strategies) {
					Subject sub{.strategy = s};
					auto r = fitted_resolver(s, f);
					if (!r)
						sub.note = "refused: " + r.error().message();
					else {
						sub.resolver = std::move(*r);
						sub.iterations = calibrate(*sub.resolver, qs, c.target_ms);
					}
					subjects.push_back(std::move(sub));
				}
				progress(c.progress, "resolve " + std::string(layout_name(layout)) + " " +
							     std::to_string(f.extent_count()) + " extents, " +
							     (random ? "random" : "sequential"));
				// Interleave the strategies inside each repeat.
				for (unsigned rep = 0; rep < c.repeats; rep++)
					for (Subject &sub : subjects) {
						if (!sub.resolver)
							continue;
						auto t = sub.resolver->timed(qs, sub.iterations);
						if (!t) {
							sub.note = "failed: " + t.error().message();
							sub.resolver.reset();
							continue;
						}
						sub.ns.push_back(double(t->elapsed_ns) / double(sub.iterations));
					}
				double native = NAN;
				for (const Subject &sub : subjects)
					if (sub.strategy == bpf::Strategy::Native && !sub.ns.empty())
						native = summarize(sub.ns).median;
				for (const Subject &sub : subjects) {
					Row row{.scenario = "resolve",
						.strategy = std::string(bpf::strategy_name(sub.strategy)),
						.layout = std::string(layout_name(layout)),
						.extents = static_cast<uint32_t>(f.extent_count()),
						.ranges = f.range_count(),
						.pattern = random ? "random" : "sequential",
						.metric = "ns_per_lookup",
						.unit = "ns",
						.iterations = sub.iterations,
						.note = sub.note.empty() ? cap : sub.note};
					if (!sub.ns.empty()) {
						row.value = summarize(sub.ns);
						row.ratio = row.value.median / native;
					}
					rows.push_back(std::move(row));
				}
			}
		}
	}
	return rows;
}

} // namespace daxfmap::bench

// SPDX-License-Identifier: GPL-2.0-only
// Scenario "resolve": the cost of one lookup, for every strategy, timed where
// the lookups run: BPF strategies inside the kernel (the timed program's
// bpf_ktime_get_ns around a bpf_loop of lookups), native in this process.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <linux/daxfmap.h>

#include "bench/fixtures.hpp"
#include "bench/scenarios.hpp"

namespace daxfmap::bench {

namespace {

constexpr size_t kQueries = 4096; // one batch map's worth

struct Subject {
	bpf::Strategy strategy;
	std::unique_ptr<bpf::Resolver> resolver;
	std::vector<bpf::Query> qs; // what it is timed over
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
		if (t->elapsed_ns > 2'000'000 || it >= DAXFMAP_TIMED_MAX_ITERATIONS) {
			const double want = target_ms * 1e6 / std::max(per, 0.1);
			return std::clamp<uint64_t>(static_cast<uint64_t>(want), 16, DAXFMAP_TIMED_MAX_ITERATIONS);
		}
		it *= 8;
	}
}

// n queries of the pattern measured, spread over the whole file.
using QueryMaker = std::function<std::vector<bpf::Query>(size_t n)>;

// Every strategy's resolver holding f, timed: c.repeats runs each, the
// strategies in turn inside every repeat, so that a noisy machine moves them
// alike.  A repeat cycles over kQueries queries; a strategy too slow to make
// that many lookups in one repeat gets as many queries as it makes, still
// spread over the whole file, so that a slow walk is not timed on the
// file's first extents only.  Rows of `proto` with value and ratio to
// native filled in.
std::vector<Row> measure(const Config &c, const Fmap &f, const QueryMaker &queries, const Row &proto)
{
	const std::vector<bpf::Query> all = queries(kQueries);
	std::vector<Subject> subjects;
	for (bpf::Strategy s : c.strategies) {
		Subject sub{.strategy = s};
		if (auto r = fitted_resolver(s, f); !r)
			sub.note = "refused: " + r.error().message();
		else {
			sub.resolver = std::move(*r);
			sub.iterations = calibrate(*sub.resolver, all, c.target_ms);
			sub.qs = sub.iterations < all.size() ? queries(sub.iterations) : all;
		}
		subjects.push_back(std::move(sub));
	}
	for (unsigned rep = 0; rep < c.repeats; rep++)
		for (Subject &sub : subjects) {
			if (!sub.resolver)
				continue;
			auto t = sub.resolver->timed(sub.qs, sub.iterations);
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
	std::vector<Row> rows;
	for (const Subject &sub : subjects) {
		Row row = proto;
		row.strategy = std::string(bpf::strategy_name(sub.strategy));
		row.iterations = sub.iterations;
		if (!sub.note.empty())
			row.note = sub.note;
		if (!sub.ns.empty()) {
			row.value = summarize(sub.ns);
			row.ratio = row.value.median / native;
		}
		rows.push_back(std::move(row));
	}
	return rows;
}

// The harness's own cost per lookup: queries of length 0, which every
// resolver refuses (BAD_LENGTH) before it reads a map.  What is left of a
// strategy's figure after this is the lookup itself; a fault hook that calls
// the resolver directly pays no bpf_loop callback or batch-slot read.
std::vector<Row> empty_lookups(const Config &c)
{
	const Fmap f = bench_fmap(Layout::SimplePow2, 1, c.seed, nullptr);
	auto empty = [&](size_t n) {
		auto qs = page_queries(f, n, false, c.seed);
		for (bpf::Query &q : qs)
			q.length = 0;
		return qs;
	};
	progress(c.progress, "resolve: the harness's cost (empty lookups)");
	return measure(c, f, empty, {.scenario = "resolve", .layout = "-", .extents = 0, .pattern = "length 0",
				  .metric = "ns_per_empty_lookup", .unit = "ns"});
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
				progress(c.progress, "resolve " + std::string(layout_name(layout)) + " " +
							     std::to_string(f.extent_count()) + " extents, " +
							     (random ? "random" : "sequential"));
				auto qs = [&](size_t count) { return page_queries(f, count, random, c.seed); };
				auto r = measure(c, f, qs,
						 {.scenario = "resolve", .layout = std::string(layout_name(layout)),
						  .extents = static_cast<uint32_t>(f.extent_count()),
						  .ranges = f.range_count(), .pattern = random ? "random" : "sequential",
						  .metric = "ns_per_lookup", .unit = "ns", .note = cap});
				rows.insert(rows.end(), r.begin(), r.end());
			}
		}
	}
	return rows;
}

} // namespace daxfmap::bench

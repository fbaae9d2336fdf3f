// SPDX-License-Identifier: GPL-2.0-only
#include "bench/fixtures.hpp"

#include <algorithm>
#include <ostream>
#include <random>

#include "libdaxfmap/fmap_gen.hpp"
#include "libdaxfmap_bpf/differential.hpp"
#include "libdaxfmap_bpf/layouts.hpp"

namespace daxfmap::bench {

uint32_t pool_entries_for(bpf::Strategy s, const std::vector<const Fmap *> &fmaps)
{
	// What the strategy's compiler lays out, so that the memory scenario's
	// figure is what a file needs; an fmap it refuses gets a bound that
	// holds either pool layout (the upsert then says why it is refused).
	uint64_t n = 64;
	for (const Fmap *f : fmaps) {
		uint64_t need = f->range_count() + 2 * f->extent_count() + 2;
		if (s == bpf::Strategy::Flat)
			if (auto run = bpf::compile_flat(*f))
				need = run->file.nentries;
		if (s == bpf::Strategy::Digest)
			if (auto run = bpf::compile_digest(*f))
				need = run->file.nentries;
		n += need;
	}
	return static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX));
}

Result<std::unique_ptr<bpf::Resolver>> fitted_resolver(bpf::Strategy s, const Fmap &f, uint32_t extra_pool)
{
	auto r = bpf::make_resolver(s, {.max_files = 1, .pool_entries = pool_entries_for(s, {&f}) + extra_pool});
	if (!r)
		return r.error();
	if (auto d = (*r)->set_devices(bpf::devices_for({f})); !d)
		return d.error();
	if (auto u = (*r)->upsert(0, f); !u)
		return u.error();
	return std::move(*r);
}

std::vector<bpf::Query> page_queries(const Fmap &f, size_t n, bool random, uint64_t seed)
{
	constexpr uint64_t kPage = 4096;
	const uint64_t pages = std::max<uint64_t>(gen::mapped_size(f) / kPage, 1);
	std::mt19937_64 rng(seed);
	std::vector<bpf::Query> qs;
	qs.reserve(n);
	for (size_t i = 0; i < n; i++) {
		const uint64_t page = random ? rng() % pages : (pages * i) / n;
		qs.push_back({.file_id = 0, .offset = page * kPage, .length = kPage});
	}
	return qs;
}

void progress(std::ostream *out, const std::string &line)
{
	if (out)
		*out << "daxfmap bench: " << line << std::endl;
}

} // namespace daxfmap::bench

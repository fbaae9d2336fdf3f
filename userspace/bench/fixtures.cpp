// SPDX-License-Identifier: GPL-2.0-only
#include "bench/fixtures.hpp"

#include <algorithm>
#include <ostream>
#include <random>

#include "libdaxfmap/fmap_gen.hpp"
#include "libdaxfmap_bpf/differential.hpp"

namespace daxfmap::bench {

uint32_t pool_entries_for(const std::vector<const Fmap *> &fmaps)
{
	uint64_t n = 64;
	for (const Fmap *f : fmaps)
		n += f->range_count() + 2 * f->extent_count() + 2;
	return static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX));
}

Result<std::unique_ptr<bpf::Resolver>> fitted_resolver(bpf::Strategy s, const Fmap &f, uint32_t extra_pool)
{
	auto r = bpf::make_resolver(s, {.max_files = 1, .pool_entries = pool_entries_for({&f}) + extra_pool});
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

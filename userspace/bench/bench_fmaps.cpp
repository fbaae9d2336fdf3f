// SPDX-License-Identifier: GPL-2.0-only
#include <linux/fuse_dax_fmap.h>

#include "bench/scenarios.hpp"
#include "libdaxfmap/fmap_gen.hpp"

namespace daxfmap::bench {

std::string_view layout_name(Layout l)
{
	switch (l) {
	case Layout::Simple: return "simple";
	case Layout::SimplePow2: return "simple-pow2";
	case Layout::Interleaved: return "interleaved";
	}
	return "?";
}

Fmap bench_fmap(Layout l, uint32_t extents, uint64_t seed, std::string *note)
{
	gen::FmapOptions o{.min_extents = extents, .max_extents = extents, .devices = 4,
			   .file_size = gen::FileSize::ExactSum, .gaps = false};
	switch (l) {
	case Layout::Simple:
		o.layout = gen::Layout::Simple;
		o.lengths = gen::Lengths::Mixed;
		break;
	case Layout::SimplePow2:
		o.layout = gen::Layout::Simple;
		o.lengths = gen::Lengths::UniformPow2;
		break;
	case Layout::Interleaved:
		o.layout = gen::Layout::Interleaved;
		o.min_strips = o.max_strips = 2;
		o.chunks = gen::Chunks::Pow2;
		o.lengths = gen::Lengths::UniformPow2;
		break;
	}
	Fmap f = gen::random_fmap(seed, o);
	if (note && f.extent_count() != extents)
		*note = "capped at " + std::to_string(f.extent_count()) +
			" extents by the extended profile's reply limit";
	return f;
}

} // namespace daxfmap::bench

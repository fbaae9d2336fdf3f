// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap/fmap_gen.hpp"

#include <algorithm>
#include <bit>
#include <limits>

#include <linux/fuse_dax_fmap.h>

namespace daxfmap::gen {

namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
// 2047 * 2 MiB is the largest 2 MiB multiple a u32 chunk_size holds.
constexpr uint32_t kMaxChunkUnits = 2047;
// Mixed simple lengths: rare extents of up to 64 GiB.
constexpr uint64_t kHugeUnits = 32768;

uint64_t uniform(Rng &rng, uint64_t lo, uint64_t hi)
{
	return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

bool one_in(Rng &rng, uint64_t n)
{
	return uniform(rng, 0, n - 1) == 0;
}

uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > kU64Max - b ? kU64Max : a + b;
}

uint64_t div_ceil(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

// floor(log2(units)) for units >= 1: the largest k with (1 << k) <= units.
unsigned log2_floor(uint64_t units)
{
	return static_cast<unsigned>(std::bit_width(std::max<uint64_t>(units, 1)) - 1);
}

// Bump allocation per device, so that ranges on one device never overlap.
class Allocator {
public:
	Allocator(Rng &rng, uint32_t devices, bool gaps)
		: rng_(rng), next_(devices, 0), gaps_(gaps)
	{
		if (gaps_)
			for (auto &n : next_)
				n = uniform(rng_, 0, 64) * kAlign;
	}

	SimpleExtent take(uint64_t length)
	{
		const auto dev = static_cast<uint32_t>(uniform(rng_, 0, next_.size() - 1));
		uint64_t off = next_[dev];
		if (gaps_ && one_in(rng_, 4))
			off += uniform(rng_, 1, 8) * kAlign;
		next_[dev] = off + length;
		return SimpleExtent{.device = dev, .offset = off, .length = length};
	}

private:
	Rng &rng_;
	std::vector<uint64_t> next_;
	bool gaps_;
};

Lengths pick_lengths(Rng &rng, Lengths l)
{
	if (l != Lengths::Any)
		return l;
	switch (uniform(rng, 0, 2)) {
	case 0: return Lengths::UniformPow2;
	case 1: return Lengths::UniformPow2ShortLast;
	default: return Lengths::Mixed;
	}
}

FileSize pick_file_size(Rng &rng, FileSize f)
{
	if (f != FileSize::Any)
		return f;
	switch (uniform(rng, 0, 2)) {
	case 0: return FileSize::ExactSum;
	case 1: return FileSize::InLastExtent;
	default: return FileSize::Anywhere;
	}
}

uint64_t make_file_size(Rng &rng, FileSize mode, uint64_t sum, uint64_t last)
{
	switch (mode) {
	case FileSize::InLastExtent:
		return last >= 2 ? sum - uniform(rng, 1, last - 1) : sum;
	case FileSize::Anywhere:
		return uniform(rng, 1, sum);
	default:
		return sum;
	}
}

// A shorter last length for UniformPow2ShortLast: a 2 MiB multiple below
// `full`, or `full` itself when nothing shorter is aligned.
uint64_t short_last(Rng &rng, uint64_t full)
{
	const uint64_t units = full / kAlign;
	return units >= 2 ? uniform(rng, 1, units - 1) * kAlign : full;
}

SimpleExtents gen_simple(Rng &rng, const FmapOptions &o, uint32_t n, uint32_t devices,
			 Lengths mode)
{
	const uint64_t max_units = std::max<uint32_t>(o.max_len_units, 1);
	uint64_t uniform_len = 0;
	if (mode != Lengths::Mixed) {
		// ShortLast needs room below the shared length.
		const unsigned lo = mode == Lengths::UniformPow2ShortLast && max_units >= 2 ? 1 : 0;
		uniform_len = kAlign << uniform(rng, lo, log2_floor(max_units));
	}

	Allocator alloc(rng, devices, o.gaps);
	SimpleExtents exts;
	exts.reserve(n);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t len;
		if (mode == Lengths::Mixed)
			len = (one_in(rng, 32) ? uniform(rng, 1, kHugeUnits)
					       : uniform(rng, 1, max_units)) * kAlign;
		else if (mode == Lengths::UniformPow2ShortLast && i + 1 == n)
			len = short_last(rng, uniform_len);
		else
			len = uniform_len;
		exts.push_back(alloc.take(len));
	}
	return exts;
}

uint32_t gen_chunk(Rng &rng, Chunks mode, uint32_t max_units)
{
	if (mode == Chunks::Any)
		mode = one_in(rng, 2) ? Chunks::Pow2 : Chunks::Multiple;
	const uint64_t units = mode == Chunks::Pow2 ? uint64_t{1} << uniform(rng, 0, log2_floor(max_units))
						    : uniform(rng, 1, max_units);
	return static_cast<uint32_t>(units * kAlign);
}

InterleavedExtents gen_interleaved(Rng &rng, const FmapOptions &o, uint32_t n,
				   uint32_t devices, Lengths mode, uint32_t min_strips,
				   uint32_t max_strips, uint64_t budget)
{
	const uint32_t max_chunk_units = std::clamp<uint32_t>(o.max_chunk_units, 1, kMaxChunkUnits);
	const uint64_t max_stripes = std::max<uint32_t>(o.max_stripes, 1);
	uint64_t uniform_nbytes = 0;
	if (mode != Lengths::Mixed) {
		// One power-of-two nbytes for every extent, up to the largest
		// stripe span the options allow.
		const uint64_t max_units = max_stripes * max_strips * max_chunk_units;
		const unsigned lo = mode == Lengths::UniformPow2ShortLast ? 1 : 0;
		uniform_nbytes = kAlign << uniform(rng, lo, std::max(lo, log2_floor(max_units)));
	}

	Allocator alloc(rng, devices, o.gaps);
	InterleavedExtents exts;
	exts.reserve(n);
	for (uint32_t i = 0; i < n; i++) {
		// Reply budget, in 24-byte records: leave every later extent room
		// for its header and min_strips strips.
		const uint64_t reserve = uint64_t{n - i - 1} * (1 + min_strips);
		const uint64_t room = budget - reserve - 1;
		const auto hi = static_cast<uint32_t>(std::min<uint64_t>(max_strips, room));
		const auto nstrips = static_cast<uint32_t>(uniform(rng, min_strips, hi));
		budget -= 1 + nstrips;

		InterleavedExtent ie;
		ie.chunk_size = gen_chunk(rng, o.chunks, max_chunk_units);
		const uint64_t chunk = ie.chunk_size;
		if (mode == Lengths::Mixed) {
			const uint64_t span = uniform(rng, 1, max_stripes) * nstrips * chunk;
			ie.nbytes = uniform(rng, 1, span / kAlign) * kAlign;
		} else if (mode == Lengths::UniformPow2ShortLast && i + 1 == n) {
			ie.nbytes = short_last(rng, uniform_nbytes);
		} else {
			ie.nbytes = uniform_nbytes;
		}
		// Every strip holds as many full stripes as nbytes reaches: enough
		// under any reading of "a strip's share of nbytes".
		const uint64_t need = div_ceil(div_ceil(ie.nbytes, chunk), nstrips) * chunk;
		ie.strips.reserve(nstrips);
		for (uint32_t s = 0; s < nstrips; s++) {
			uint64_t len = need;
			if (mode == Lengths::Mixed && one_in(rng, 3))
				len += uniform(rng, 1, 4) * kAlign;
			ie.strips.push_back(alloc.take(len));
		}
		exts.push_back(std::move(ie));
	}
	return exts;
}

// Moves every range up by the same 2 MiB multiple so that the highest one
// ends within 2 MiB of 2^64.
void shift_high(Fmap &f)
{
	uint64_t top = 0;
	auto scan = [&](const SimpleExtent &e) { top = std::max(top, e.offset + e.length); };
	auto shift = [&](SimpleExtent &e, uint64_t by) { e.offset += by; };
	if (f.is_simple())
		std::for_each(f.simple().begin(), f.simple().end(), scan);
	else
		for (const auto &ie : f.interleaved())
			std::for_each(ie.strips.begin(), ie.strips.end(), scan);
	const uint64_t by = (kU64Max - top) / kAlign * kAlign;
	if (f.is_simple())
		for (auto &e : f.simple())
			shift(e, by);
	else
		for (auto &ie : f.interleaved())
			for (auto &e : ie.strips)
				shift(e, by);
}

} // namespace

Fmap random_fmap(Rng &rng, const FmapOptions &o)
{
	const Limits &lim = limits_for(o.profile);
	const bool simple = o.layout == Layout::Simple ||
			    (o.layout == Layout::Any && one_in(rng, 2));
	const uint32_t devices = std::clamp<uint32_t>(o.devices, 1, lim.max_devices);
	const uint32_t max_strips = std::clamp<uint32_t>(
		o.max_strips, 1, std::min<uint32_t>(lim.max_strips, FUSE_DAX_FMAP_MAX_STRIPS));
	const uint32_t min_strips = std::clamp<uint32_t>(o.min_strips, 1, max_strips);

	// The reply must fit the profile's limit: count 24-byte records after
	// the 32-byte header (an interleaved extent costs 1 + nstrips).
	const uint64_t budget = (lim.max_reply_bytes - sizeof(struct fuse_dax_fmap_header)) /
				sizeof(struct fuse_dax_simple_ext);
	const uint64_t per_extent = simple ? 1 : 1 + min_strips;
	const auto max_ext = static_cast<uint32_t>(std::clamp<uint64_t>(
		std::min<uint64_t>(o.max_extents, budget / per_extent), 1, lim.max_extents));
	const uint32_t min_ext = std::clamp<uint32_t>(o.min_extents, 1, max_ext);
	const auto n = static_cast<uint32_t>(uniform(rng, min_ext, max_ext));

	const Lengths lmode = pick_lengths(rng, o.lengths);
	const FileSize fmode = pick_file_size(rng, o.file_size);

	Fmap f;
	uint64_t sum = 0;
	uint64_t last = 0;
	if (simple) {
		SimpleExtents exts = gen_simple(rng, o, n, devices, lmode);
		for (const auto &e : exts)
			sum += e.length;
		last = exts.back().length;
		f.extents = std::move(exts);
	} else {
		InterleavedExtents exts = gen_interleaved(rng, o, n, devices, lmode, min_strips,
							  max_strips, budget);
		for (const auto &ie : exts)
			sum += ie.nbytes;
		last = exts.back().nbytes;
		f.extents = std::move(exts);
	}
	f.file_size = make_file_size(rng, fmode, sum, last);
	if (o.high_offsets)
		shift_high(f);
	return f;
}

Fmap random_fmap(uint64_t seed, const FmapOptions &opts)
{
	Rng rng(seed);
	return random_fmap(rng, opts);
}

uint64_t mapped_size(const Fmap &fmap)
{
	uint64_t total = 0;
	if (fmap.is_simple()) {
		for (const auto &e : fmap.simple())
			total = sat_add(total, e.length);
		return total;
	}
	for (const auto &ie : fmap.interleaved()) {
		const uint64_t ext_size = std::min(ie.nbytes, fmap.file_size);
		if (ext_size == 0)
			break;
		total = sat_add(total, ext_size);
	}
	return total;
}

QueryGen::QueryGen(const Fmap &fmap, uint64_t seed) : fmap_(fmap), rng_(seed)
{
	uint64_t pos = 0;
	if (fmap.is_simple()) {
		for (const auto &e : fmap.simple()) {
			starts_.push_back(pos);
			chunk_.push_back(kAlign);
			pos = sat_add(pos, e.length);
		}
	} else {
		for (const auto &ie : fmap.interleaved()) {
			const uint64_t ext_size = std::min(ie.nbytes, fmap.file_size);
			if (ext_size == 0)
				break;
			starts_.push_back(pos);
			chunk_.push_back(ie.chunk_size ? ie.chunk_size : kAlign);
			pos = sat_add(pos, ext_size);
		}
	}
	starts_.push_back(pos);
}

uint64_t QueryGen::pick(uint64_t lo, uint64_t hi)
{
	return uniform(rng_, lo, hi);
}

size_t QueryGen::extent_at(uint64_t offset) const
{
	// starts_ is non-decreasing; the holder is the last start <= offset
	// whose extent is not empty.
	const size_t n = chunk_.size();
	auto it = std::upper_bound(starts_.begin(), starts_.begin() + n, offset);
	if (it == starts_.begin())
		return n;
	const auto i = static_cast<size_t>(it - starts_.begin()) - 1;
	return offset < starts_[i + 1] ? i : n;
}

uint64_t QueryGen::random_offset()
{
	const size_t n = chunk_.size();
	const uint64_t end = starts_.back();
	const uint64_t fs = fmap_.file_size;
	uint64_t base;
	const uint64_t r = pick(0, 99);
	if (r < 30) {
		base = starts_[pick(0, n)]; // an extent start, or the end
	} else if (r < 55 && n > 0) {
		const size_t i = pick(0, n - 1);
		const uint64_t c = chunk_[i];
		const uint64_t k = pick(0, (starts_[i + 1] - starts_[i]) / c);
		base = sat_add(starts_[i], k * c);
	} else if (r < 65) {
		const uint64_t picks[] = {fs - (fs > 0), fs, end - (end > 0), end, 0};
		base = picks[pick(0, 4)];
	} else if (r < 75) {
		switch (pick(0, 3)) {
		case 0: base = sat_add(end, pick(0, 4 * kAlign)); break;
		case 1: base = kU64Max; break;
		case 2: base = kU64Max - pick(0, uint64_t{1} << 32); break;
		default: base = sat_add(end, pick(0, kU64Max / 2)); break;
		}
		return base;
	} else {
		return end > 0 ? pick(0, end - 1) : 0;
	}
	// +-1 around the boundary, clamped to the u64 range.
	switch (pick(0, 2)) {
	case 0: return base - (base > 0);
	case 1: return base;
	default: return sat_add(base, 1);
	}
}

uint64_t QueryGen::random_length(uint64_t offset)
{
	const size_t i = extent_at(offset);
	const uint64_t c = i < chunk_.size() ? chunk_[i] : kAlign;
	const uint64_t r = pick(0, 99);
	if (r < 15)
		return 1;
	if (r < 30)
		return kAlign;
	if (r < 45 && i < chunk_.size()) {
		// Exactly to the next chunk boundary, or one byte either side.
		const uint64_t into = (offset - starts_[i]) % c;
		const uint64_t to_boundary = c - into;
		const uint64_t d = pick(0, 2);
		return d == 0 ? std::max<uint64_t>(to_boundary - 1, 1) : to_boundary + (d - 1);
	}
	if (r < 55)
		return kU64Max;
	if (r < 65)
		return pick(1, 4096);
	return pick(1, 4 * c);
}

Query QueryGen::next()
{
	const uint64_t off = random_offset();
	return Query{.offset = off, .length = random_length(off)};
}

std::vector<Query> QueryGen::batch(size_t n)
{
	std::vector<Query> qs;
	qs.reserve(n);
	for (size_t i = 0; i < n; i++)
		qs.push_back(next());
	return qs;
}

std::vector<uint64_t> device_sizes(const Fmap &fmap, Fit fit, Rng &rng)
{
	std::vector<uint64_t> sizes;
	auto cover = [&](const SimpleExtent &e) {
		if (e.device >= sizes.size())
			sizes.resize(size_t{e.device} + 1, 0);
		sizes[e.device] = std::max(sizes[e.device], sat_add(e.offset, e.length));
	};
	if (fmap.is_simple())
		std::for_each(fmap.simple().begin(), fmap.simple().end(), cover);
	else
		for (const auto &ie : fmap.interleaved())
			std::for_each(ie.strips.begin(), ie.strips.end(), cover);
	if (fit == Fit::Slack)
		for (auto &s : sizes)
			if (s != 0)
				s = sat_add(s, one_in(rng, 2) ? uniform(rng, 1, 64) * kAlign
							      : uniform(rng, 1, 4 * kAlign));
	return sizes;
}

std::vector<uint64_t> device_sizes(const Fmap &fmap, Fit fit, uint64_t seed)
{
	Rng rng(seed);
	return device_sizes(fmap, fit, rng);
}

} // namespace daxfmap::gen

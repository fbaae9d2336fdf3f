// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_bpf/layouts.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <string>

#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/validate.hpp"

namespace daxfmap::bpf {

namespace {

Error refuse(std::string strategy, std::string field, std::string expected, std::string found,
	     int errnum = E2BIG)
{
	return Error{
		.errnum = errnum,
		.field = std::move(field),
		.expected = std::move(expected) + " (strategy " + std::move(strategy) + ")",
		.found = std::move(found),
	};
}

// Only fmaps the extended profile accepts are compiled: its checks (no
// overflow, no zero chunk, strips long enough) are what the layouts rely on.
Result<void> require_valid(const Fmap &fmap)
{
	ValidationReport rep = validate(fmap, limits_for(Profile::Extended));
	if (rep.ok())
		return {};
	return rep.errors.front();
}

// Device offset and index in one word: offsets are 2 MiB aligned, so the
// low DAXFMAP_ALIGN_SHIFT bits are free for the index.
Result<uint64_t> pack_dev_off(const SimpleExtent &e, const std::string &field)
{
	if (e.offset & DAXFMAP_DEV_MASK)
		return refuse("digest", field + ".offset", "a multiple of 2 MiB", hex(e.offset),
			      EINVAL);
	if (e.device > DAXFMAP_DEV_MASK)
		return refuse("digest", field + ".devindex", "< 2^21", std::to_string(e.device),
			      EINVAL);
	return e.offset | e.device;
}

uint32_t log2_exact(uint64_t v)
{
	return static_cast<uint32_t>(std::countr_zero(v));
}

// Bucket words of the digest's radix index (uapi: struct daxfmap_digest_ent).
constexpr uint32_t kBucketExact = 1u << 31;

struct Buckets {
	uint32_t shift1 = 0;        // log2(bucket size) + 1; 0 = no index
	std::vector<uint32_t> words; // nbuckets + 1, the last a sentinel
};

// The index over starts[0..n] (starts[n] = the total): bucket b covers
// [b << bs, (b + 1) << bs) and holds the index of the last extent whose
// start is <= b << bs, with kBucketExact when that start is b << bs; the
// sentinel word nbuckets is n | kBucketExact.  bs is the smallest shift
// that keeps nbuckets <= max_buckets; a finer bucket never overlaps more
// extents, so it minimises the widest bucket.  One extent needs no index.
Buckets digest_buckets(const std::vector<uint64_t> &starts, uint64_t max_buckets)
{
	Buckets bk;
	const uint64_t n = starts.size() - 1, total = starts[n];
	if (n < 2 || total == 0 || max_buckets == 0)
		return bk;
	uint32_t bs = 0;
	while (((total - 1) >> bs) + 1 > max_buckets)
		bs++;
	const uint64_t nbuckets = ((total - 1) >> bs) + 1;
	bk.shift1 = bs + 1;
	bk.words.reserve(nbuckets + 1);
	uint64_t k = 0;
	for (uint64_t b = 0; b < nbuckets; b++) {
		const uint64_t x = b << bs;
		while (k + 1 < n && starts[k + 1] <= x)
			k++;
		bk.words.push_back(static_cast<uint32_t>(k) | (starts[k] == x ? kBucketExact : 0));
	}
	bk.words.push_back(static_cast<uint32_t>(n) | kBucketExact);
	return bk;
}

} // namespace

Result<daxfmap_hash_fmap> compile_hash(const Fmap &fmap, uint64_t file_id, uint64_t gen)
{
	if (auto ok = require_valid(fmap); !ok)
		return ok.error();

	daxfmap_hash_fmap v{};
	v.gen = gen;
	v.gen_tail = gen;
	v.file_id = file_id;
	v.ext_type = static_cast<uint32_t>(fmap.ext_type());
	v.file_size = fmap.file_size;

	auto put = [&v](uint32_t slot, const SimpleExtent &e) {
		v.ext[slot].device = e.device;
		v.ext[slot].offset = e.offset;
		v.ext[slot].len = e.length;
	};

	if (fmap.is_simple()) {
		const SimpleExtents &exts = fmap.simple();
		if (exts.size() > DAXFMAP_HASH_MAX_EXTENTS)
			return refuse("hash", "nextents",
				      "at most " + std::to_string(DAXFMAP_HASH_MAX_EXTENTS) +
					      " extents inline",
				      std::to_string(exts.size()));
		v.nextents = static_cast<uint32_t>(exts.size());
		for (uint32_t i = 0; i < v.nextents; i++)
			put(i, exts[i]);
		return v;
	}

	const InterleavedExtents &iexts = fmap.interleaved();
	if (iexts.size() > DAXFMAP_HASH_MAX_IEXT)
		return refuse("hash", "nextents",
			      "at most " + std::to_string(DAXFMAP_HASH_MAX_IEXT) +
				      " interleaved extents inline",
			      std::to_string(iexts.size()));
	uint32_t slot = 0;
	for (uint32_t k = 0; k < iexts.size(); k++) {
		const InterleavedExtent &ie = iexts[k];
		const std::string field = "interleaved[" + std::to_string(k) + "].nstrips";
		if (ie.strips.size() > DAXFMAP_HASH_MAX_STRIPS)
			return refuse("hash", field,
				      "at most " + std::to_string(DAXFMAP_HASH_MAX_STRIPS) +
					      " strips inline",
				      std::to_string(ie.strips.size()));
		if (slot + ie.strips.size() > DAXFMAP_HASH_MAX_EXTENTS)
			return refuse("hash", field,
				      "at most " + std::to_string(DAXFMAP_HASH_MAX_EXTENTS) +
					      " strips in all",
				      std::to_string(slot + ie.strips.size()));
		v.iext[k].nstrips = static_cast<uint32_t>(ie.strips.size());
		v.iext[k].chunk_size = ie.chunk_size;
		v.iext[k].nbytes = ie.nbytes;
		v.iext[k].first_strip = slot;
		for (const SimpleExtent &s : ie.strips)
			put(slot++, s);
	}
	v.nextents = static_cast<uint32_t>(iexts.size());
	return v;
}

Result<Run<daxfmap_flat_ent>> compile_flat(const Fmap &fmap)
{
	if (auto ok = require_valid(fmap); !ok)
		return ok.error();
	if (fmap.extent_count() > DAXFMAP_MAX_FILE_EXTENTS)
		return refuse("flat", "nextents",
			      "at most " + std::to_string(DAXFMAP_MAX_FILE_EXTENTS),
			      std::to_string(fmap.extent_count()));

	Run<daxfmap_flat_ent> run;
	auto strip = [](const SimpleExtent &e) {
		return daxfmap_flat_ent{.a = e.device, .b = 0, .c = e.offset, .d = e.length};
	};
	if (fmap.is_simple()) {
		run.entries.reserve(fmap.simple().size());
		for (const SimpleExtent &e : fmap.simple())
			run.entries.push_back(strip(e));
	} else {
		run.entries.reserve(fmap.interleaved().size() + fmap.range_count());
		for (const InterleavedExtent &ie : fmap.interleaved()) {
			run.entries.push_back(daxfmap_flat_ent{
				.a = static_cast<uint32_t>(ie.strips.size()),
				.b = ie.chunk_size,
				.c = ie.nbytes,
				.d = 0,
			});
			for (const SimpleExtent &s : ie.strips)
				run.entries.push_back(strip(s));
		}
	}
	run.file.ext_type = static_cast<uint32_t>(fmap.ext_type());
	run.file.nextents = static_cast<uint32_t>(fmap.extent_count());
	run.file.file_size = fmap.file_size;
	run.file.nentries = static_cast<uint32_t>(run.entries.size());
	return run;
}

Result<Run<daxfmap_digest_ent>> compile_digest(const Fmap &fmap)
{
	if (auto ok = require_valid(fmap); !ok)
		return ok.error();
	const size_t n = fmap.extent_count();
	if (n > DAXFMAP_MAX_FILE_EXTENTS)
		return refuse("digest", "nextents",
			      "at most " + std::to_string(DAXFMAP_MAX_FILE_EXTENTS),
			      std::to_string(n));

	Run<daxfmap_digest_ent> run;
	run.file.ext_type = static_cast<uint32_t>(fmap.ext_type());
	run.file.nextents = static_cast<uint32_t>(n);
	run.file.file_size = fmap.file_size;

	if (fmap.is_simple()) {
		const SimpleExtents &exts = fmap.simple();
		run.entries.reserve(n + 1);
		uint64_t start = 0; // extended validation rules out overflow
		for (size_t i = 0; i < n; i++) {
			auto packed = pack_dev_off(exts[i], "extents[" + std::to_string(i) + "]");
			if (!packed)
				return packed.error();
			run.entries.push_back({.a = start, .b = *packed});
			start += exts[i].length;
		}
		run.entries.push_back({.a = start, .b = 0});

		// A shift replaces the search when every extent but the last has
		// one power-of-two length; with one extent any shift gives 0.
		const uint64_t l0 = exts[0].length;
		const bool uniform =
			n == 1 || (std::has_single_bit(l0) &&
				   std::all_of(exts.begin(), exts.end() - 1,
					       [l0](const SimpleExtent &e) { return e.length == l0; }));
		run.file.shift = n == 1 ? 63 : (uniform ? log2_exact(l0) : 0);
		if (!uniform) {
			// Else a bucket index narrows the search: four words to an
			// entry after the sentinel, at most 2n buckets and the run
			// at most 2n entries (32 bytes an extent; n = 2 gets 3).
			std::vector<uint64_t> starts(n + 1);
			for (size_t i = 0; i <= n; i++)
				starts[i] = run.entries[i].a;
			const Buckets bk = digest_buckets(starts, std::min<uint64_t>(2 * n, 4 * n - 5));
			for (size_t w = 0; w < bk.words.size(); w += 4) {
				uint32_t q[4] = {};
				for (size_t j = 0; j < 4 && w + j < bk.words.size(); j++)
					q[j] = bk.words[w + j];
				run.entries.push_back({.a = uint64_t(q[1]) << 32 | q[0],
						       .b = uint64_t(q[3]) << 32 | q[2]});
			}
			run.file.shift |= bk.shift1 << 8;
		}
	} else {
		const InterleavedExtents &iexts = fmap.interleaved();
		const size_t headers = 2 * (n + 1);
		size_t nstrips_total = 0;
		for (const InterleavedExtent &ie : iexts)
			nstrips_total += ie.strips.size();
		run.entries.resize(headers);
		run.entries.reserve(headers + nstrips_total);

		uint64_t start = 0;
		for (size_t k = 0; k < n; k++) {
			const InterleavedExtent &ie = iexts[k];
			const uint64_t ext_size = std::min(ie.nbytes, fmap.file_size);
			const uint64_t nstrips = ie.strips.size();
			const uint64_t strip_base = run.entries.size();
			const uint64_t chunk_shift =
				std::has_single_bit(ie.chunk_size) ? log2_exact(ie.chunk_size) : 0;
			const uint64_t strip_shift1 =
				std::has_single_bit(nstrips) ? log2_exact(nstrips) + 1 : 0;
			run.entries[2 * k] = {.a = start, .b = 0}; // .b: bucket words below
			run.entries[2 * k + 1] = {
				.a = uint64_t(ie.chunk_size) << 32 | nstrips,
				.b = strip_base << 32 | chunk_shift << 8 | strip_shift1,
			};
			for (size_t j = 0; j < nstrips; j++) {
				auto packed = pack_dev_off(ie.strips[j],
							   "interleaved[" + std::to_string(k) +
								   "].strips[" + std::to_string(j) + "]");
				if (!packed)
					return packed.error();
				run.entries.push_back({.a = *packed, .b = ie.strips[j].length});
			}
			start += ext_size;
		}
		run.entries[2 * n] = {.a = start, .b = 0};
		run.entries[2 * n + 1] = {.a = 0, .b = 0};
		run.file.nstrips_total = static_cast<uint32_t>(nstrips_total);

		// The bucket index: two words to a header pair, in the b of its
		// first entry (an extent's size is the next pair's start minus
		// its own), so interleaved runs need no extra entries.
		std::vector<uint64_t> starts(n + 1);
		for (size_t k = 0; k <= n; k++)
			starts[k] = run.entries[2 * k].a;
		const Buckets bk = digest_buckets(starts, 2 * n);
		for (size_t w = 0; w < bk.words.size(); w++)
			run.entries[2 * (w / 2)].b |= uint64_t(bk.words[w]) << (32 * (w % 2));
		run.file.shift = bk.shift1 << 8;
	}
	run.file.nentries = static_cast<uint32_t>(run.entries.size());
	return run;
}

} // namespace daxfmap::bpf

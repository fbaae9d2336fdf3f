// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "libdaxfmap_bpf/layouts.hpp"
#include "libdaxfmap/fmap_gen.hpp"

using namespace daxfmap;
using namespace daxfmap::bpf;

namespace {

constexpr uint64_t MiB = 1ull << 20;

Fmap simple(std::vector<SimpleExtent> exts, uint64_t file_size)
{
	Fmap f;
	f.file_size = file_size;
	f.extents = SimpleExtents(std::move(exts));
	return f;
}

// FACTS.md: nstrips 4, chunk 2 MiB, nbytes 24 MiB, strips of 6 MiB.
Fmap facts_interleaved()
{
	InterleavedExtent ie{.chunk_size = 2 * MiB, .nbytes = 24 * MiB};
	for (uint32_t s = 0; s < 4; s++)
		ie.strips.push_back({.device = 0, .offset = s * 64 * MiB, .length = 6 * MiB});
	Fmap f;
	f.file_size = 24 * MiB;
	f.extents = InterleavedExtents{ie};
	return f;
}

} // namespace

TEST(LayoutHash, InlinesSimpleExtentsWithGenerationAtBothEnds)
{
	auto v = compile_hash(simple({{0, 2 * MiB, 4 * MiB}, {1, 8 * MiB, 2 * MiB}}, 6 * MiB), 42, 7);
	ASSERT_TRUE(v) << v.error().message();
	EXPECT_EQ(v->gen, 7u);
	EXPECT_EQ(v->gen_tail, 7u);
	EXPECT_EQ(v->file_id, 42u);
	EXPECT_EQ(v->nextents, 2u);
	EXPECT_EQ(v->ext[1].device, 1u);
	EXPECT_EQ(v->ext[1].offset, 8 * MiB);
	EXPECT_EQ(v->ext[1].len, 2 * MiB);
}

TEST(LayoutHash, RefusesThirtyThreeExtentsWithE2bigNamingTheLimit)
{
	std::vector<SimpleExtent> exts;
	for (uint64_t i = 0; i < 33; i++)
		exts.push_back({0, i * 2 * MiB, 2 * MiB});
	auto v = compile_hash(simple(exts, 66 * MiB), 1, 1);
	ASSERT_FALSE(v);
	EXPECT_EQ(v.error().errnum, E2BIG);
	EXPECT_NE(v.error().message().find("at most 32"), std::string::npos) << v.error().message();
	EXPECT_NE(v.error().message().find("33"), std::string::npos);
}

TEST(LayoutHash, RefusesSeventeenStripsAndThreeInterleavedExtents)
{
	InterleavedExtent ie{.chunk_size = 2 * MiB, .nbytes = 34 * MiB};
	for (uint32_t s = 0; s < 17; s++)
		ie.strips.push_back({0, s * 2 * MiB, 2 * MiB});
	Fmap f;
	f.file_size = 34 * MiB;
	f.extents = InterleavedExtents{ie};
	auto v = compile_hash(f, 1, 1);
	ASSERT_FALSE(v);
	EXPECT_EQ(v.error().field, "interleaved[0].nstrips");

	InterleavedExtents three;
	for (uint32_t k = 0; k < 3; k++)
		three.push_back({.chunk_size = 2 * MiB, .nbytes = 2 * MiB,
				 .strips = {{0, k * 2 * MiB, 2 * MiB}}});
	f.file_size = 6 * MiB;
	f.extents = three;
	v = compile_hash(f, 1, 1);
	ASSERT_FALSE(v);
	EXPECT_EQ(v.error().field, "nextents");
}

TEST(LayoutHash, RefusesFmapsTheExtendedProfileRejects)
{
	auto v = compile_hash(simple({{0, 1 * MiB, 2 * MiB}}, 2 * MiB), 1, 1);
	ASSERT_FALSE(v);
	EXPECT_EQ(v.error().errnum, EINVAL);
}

TEST(LayoutFlat, KeepsWireOrderHeaderThenStrips)
{
	auto run = compile_flat(facts_interleaved());
	ASSERT_TRUE(run) << run.error().message();
	ASSERT_EQ(run->entries.size(), 5u);
	EXPECT_EQ(run->entries[0].a, 4u);        // nstrips
	EXPECT_EQ(run->entries[0].b, 2 * MiB);   // chunk
	EXPECT_EQ(run->entries[0].c, 24 * MiB);  // nbytes
	EXPECT_EQ(run->entries[3].c, 2 * 64 * MiB);
	EXPECT_EQ(run->entries[3].d, 6 * MiB);
	EXPECT_EQ(run->file.nextents, 1u);
	EXPECT_EQ(run->file.nentries, 5u);
	EXPECT_EQ(run->file.ext_type, uint32_t(FUSE_DAX_EXT_INTERLEAVE));
}

TEST(LayoutDigest, UniformPowerOfTwoExtentsGetAShiftAndASentinel)
{
	auto run = compile_digest(simple({{0, 0, 4 * MiB}, {2, 8 * MiB, 4 * MiB}, {1, 0, 2 * MiB}},
					 10 * MiB));
	ASSERT_TRUE(run) << run.error().message();
	EXPECT_EQ(run->file.shift, 22u); // 4 MiB
	ASSERT_EQ(run->entries.size(), 4u);
	EXPECT_EQ(run->entries[1].a, 4 * MiB);            // start of extent 1
	EXPECT_EQ(run->entries[1].b, 8 * MiB | 2);        // device 2 in the low bits
	EXPECT_EQ(run->entries[3].a, 10 * MiB);           // sentinel: the total
}

TEST(LayoutDigest, MixedLengthsGetBucketsAndOneExtentNeverSearches)
{
	auto mixed = compile_digest(simple({{0, 0, 2 * MiB}, {0, 8 * MiB, 4 * MiB}, {0, 0, 2 * MiB}},
					   8 * MiB));
	ASSERT_TRUE(mixed);
	EXPECT_EQ(mixed->file.shift & 0xff, 0u);       // no shift: buckets
	EXPECT_EQ(mixed->file.shift >> 8, 21u + 1);   // 4 buckets of 2 MiB
	auto one = compile_digest(simple({{0, 0, 6 * MiB}}, 6 * MiB));
	ASSERT_TRUE(one);
	EXPECT_EQ(one->file.shift, 63u);
}

TEST(LayoutDigest, InterleavedHeadersPackChunkStripsAndShifts)
{
	auto run = compile_digest(facts_interleaved());
	ASSERT_TRUE(run) << run.error().message();
	// 2 header pairs (one extent + sentinel), then 4 strips.
	ASSERT_EQ(run->entries.size(), 4u + 4u);
	EXPECT_EQ(run->entries[0].a, 0u);
	EXPECT_EQ(run->entries[0].b, 0u);                       // no bucket words
	EXPECT_EQ(run->file.shift, 0u);                         // no bucket index
	EXPECT_EQ(run->entries[1].a, (2 * MiB) << 32 | 4);      // chunk << 32 | nstrips
	EXPECT_EQ(run->entries[1].b >> 32, 4u);                 // strips start after headers
	EXPECT_EQ((run->entries[1].b >> 8) & 0xff, 21u);        // log2(2 MiB)
	EXPECT_EQ(run->entries[1].b & 0xff, 3u);                // log2(4) + 1
	EXPECT_EQ(run->entries[2].a, 24 * MiB);                 // sentinel start
	EXPECT_EQ(run->entries[5].a, 64 * MiB);                 // strip 1 dev_off
	EXPECT_EQ(run->entries[5].b, 6 * MiB);
	EXPECT_EQ(run->file.nstrips_total, 4u);
}

TEST(LayoutDigest, ExtentSizeIsClippedToFileSizeAsV10Resolves)
{
	Fmap f = facts_interleaved();
	f.file_size = 10 * MiB;
	auto run = compile_digest(f);
	ASSERT_TRUE(run);
	EXPECT_EQ(run->entries[2].a, 10 * MiB); // extent 0 is [0, next start)
}

namespace {

constexpr uint32_t kExact = 1u << 31;

// Bucket word w of a digest run, decoded from where the uapi header puts it.
uint32_t bucket_word(const Run<daxfmap_digest_ent> &run, uint64_t w)
{
	const uint32_t n = run.file.nextents;
	uint64_t v;
	if (run.file.ext_type == FUSE_DAX_EXT_SIMPLE) {
		const daxfmap_digest_ent &e = run.entries.at(n + 1 + w / 4);
		v = (w & 2) ? e.b : e.a;
		return static_cast<uint32_t>((w & 1) ? v >> 32 : v);
	}
	v = run.entries.at(2 * (w / 2)).b;
	return static_cast<uint32_t>((w & 1) ? v >> 32 : v);
}

uint64_t start_of(const Run<daxfmap_digest_ent> &run, uint64_t k)
{
	const bool simple = run.file.ext_type == FUSE_DAX_EXT_SIMPLE;
	return run.entries.at(simple ? k : 2 * k).a;
}

// Checks every bucket of a run against a search of all its starts: the
// range [lo, hi) a reader derives holds the extent of the bucket's first
// and last byte, and is exactly the extents overlapping the bucket.
// Returns the widest range.
uint32_t check_buckets(const Run<daxfmap_digest_ent> &run)
{
	const uint32_t n = run.file.nextents;
	const uint32_t bshift1 = (run.file.shift >> 8) & 0xff;
	const uint64_t total = start_of(run, n);
	EXPECT_EQ(run.file.shift >> 16, 0u);
	if (total == 0) { // every query is past the end
		EXPECT_EQ(bshift1, 0u);
		return 0;
	}
	EXPECT_GT(bshift1, 0u);
	if (!bshift1)
		return 0;
	const uint32_t bs = bshift1 - 1;
	const uint64_t nbuckets = ((total - 1) >> bs) + 1;
	const bool is_simple = run.file.ext_type == FUSE_DAX_EXT_SIMPLE;
	const uint64_t max_buckets = is_simple ? std::min<uint64_t>(2 * n, 4 * n - 5) : 2 * n;
	EXPECT_LE(nbuckets, max_buckets);
	if (bs > 0) {
		EXPECT_GT(((total - 1) >> (bs - 1)) + 1, max_buckets) << "bucket shift not the smallest";
	}
	EXPECT_EQ(bucket_word(run, nbuckets), n | kExact) << "sentinel word";
	// The extent holding offset x: the last start <= x.
	auto holder = [&](uint64_t x) {
		uint64_t lo = 0, hi = n; // start(lo) <= x < start(hi)
		while (hi - lo > 1) {
			const uint64_t mid = (lo + hi) / 2;
			(start_of(run, mid) <= x ? lo : hi) = mid;
		}
		return lo;
	};
	uint32_t widest = 0;
	for (uint64_t b = 0; b < nbuckets; b++) {
		const uint32_t w0 = bucket_word(run, b), w1 = bucket_word(run, b + 1);
		const uint32_t lo = w0 & ~kExact;
		const uint32_t hi = (w1 & ~kExact) + !(w1 & kExact);
		const uint64_t first = b << bs, last = std::min(((b + 1) << bs), total) - 1;
		EXPECT_EQ(lo, holder(first)) << "bucket " << b;
		EXPECT_EQ(!!(w0 & kExact), start_of(run, lo) == first) << "bucket " << b;
		// The last bucket ends at the sentinel: all extents up to n.
		EXPECT_EQ(hi, b + 1 < nbuckets ? holder(last) + 1 : n) << "bucket " << b;
		widest = std::max(widest, hi - lo);
	}
	return widest;
}

} // namespace

TEST(LayoutDigest, TwoExtentsGetAtMostThreeBucketsInOneEntry)
{
	// 6 + 2 MiB: 4 buckets of 2 MiB would take a second entry of words (40
	// bytes an extent), so 2 of 4 MiB.
	auto run = compile_digest(simple({{0, 0, 6 * MiB}, {1, 0, 2 * MiB}}, 8 * MiB));
	ASSERT_TRUE(run) << run.error().message();
	EXPECT_EQ(run->file.shift, (22u + 1) << 8);
	ASSERT_EQ(run->entries.size(), 4u); // 3 + one entry of words
	EXPECT_EQ(bucket_word(*run, 0), 0 | kExact);
	EXPECT_EQ(bucket_word(*run, 1), 0u);
	EXPECT_EQ(bucket_word(*run, 2), 2 | kExact); // sentinel
	EXPECT_EQ(check_buckets(*run), 2u);
}

TEST(LayoutDigest, MixedLengthsGetBucketsAtExactAndInnerBoundaries)
{
	// Starts 0 2 6 8 10 16 18 20 22 24, total 26 MiB: 13 buckets of 2 MiB.
	const uint64_t lens[] = {2, 4, 2, 2, 6, 2, 2, 2, 2, 2};
	std::vector<SimpleExtent> exts;
	for (uint64_t i = 0; i < 10; i++)
		exts.push_back({0, i * 8 * MiB, lens[i] * MiB});
	auto run = compile_digest(simple(exts, 26 * MiB));
	ASSERT_TRUE(run) << run.error().message();
	EXPECT_EQ(run->file.shift & 0xff, 0u);      // searches
	EXPECT_EQ(run->file.shift >> 8, 21u + 1);  // 2 MiB buckets
	// 11 entries, then 14 words (13 buckets + sentinel) in 4 entries.
	ASSERT_EQ(run->entries.size(), 11u + 4u);
	EXPECT_EQ(run->file.nentries, 15u);
	const uint32_t want[] = {0 | kExact, 1 | kExact, 1, 2 | kExact, 3 | kExact,
				 4 | kExact, 4, 4, 5 | kExact, 6 | kExact,
				 7 | kExact, 8 | kExact, 9 | kExact, 10 | kExact};
	for (uint32_t w = 0; w < 14; w++)
		EXPECT_EQ(bucket_word(*run, w), want[w]) << "word " << w;
	EXPECT_EQ(run->entries[11].a, uint64_t(1 | kExact) << 32 | (0 | kExact));
	EXPECT_EQ(run->entries[14].b, 0u); // words 14, 15: padding
	EXPECT_EQ(check_buckets(*run), 1u);
}

TEST(LayoutDigest, OneHugeExtentAmongSmallOnesKeepsBucketsCorrect)
{
	// 2000 extents of 2 MiB and one of 64 GiB in the middle: the buckets
	// grow to 32 MiB, so a bucket over the small ones holds 16 of them.
	std::vector<SimpleExtent> exts;
	uint64_t total = 0;
	for (uint64_t i = 0; i < 2001; i++) {
		const uint64_t len = i == 1000 ? 64 * 1024 * MiB : 2 * MiB;
		exts.push_back({uint32_t(i % 3), total, len});
		total += len;
	}
	auto run = compile_digest(simple(exts, total));
	ASSERT_TRUE(run) << run.error().message();
	EXPECT_EQ(check_buckets(*run), 16u);
	// Memory: 16 bytes an extent plus at most 2 buckets of 4 bytes.
	EXPECT_LE(run->entries.size() * sizeof(daxfmap_digest_ent), 24 * exts.size() + 32);
}

TEST(LayoutDigest, RandomMixedRunsHaveExactBucketsWithinTwoPerExtent)
{
	gen::Rng rng(5);
	for (int i = 0; i < 60; i++) {
		const Fmap f = gen::random_fmap(rng, {.layout = i % 2 ? gen::Layout::Simple
								     : gen::Layout::Interleaved,
						      .min_extents = 2,
						      .max_extents = 3000, .lengths = gen::Lengths::Mixed});
		auto run = compile_digest(f);
		ASSERT_TRUE(run) << run.error().message();
		check_buckets(*run);
		// Simple runs stay within 2n entries (32 bytes an extent);
		// interleaved runs do not grow at all.
		const size_t n = f.extent_count();
		if (f.is_simple())
			EXPECT_LE(run->entries.size(), 2 * n);
		else
			EXPECT_EQ(run->entries.size(), 2 * (n + 1) + f.range_count());
	}
}

TEST(LayoutDigest, InterleavedBucketWordsSitInTheHeaderPairs)
{
	// 12 extents of 4 MiB (2 strips of 2 MiB chunks): 24 buckets of 2 MiB.
	InterleavedExtents iexts;
	for (uint32_t k = 0; k < 12; k++)
		iexts.push_back({.chunk_size = 2 * MiB, .nbytes = 4 * MiB,
				 .strips = {{0, k * 8 * MiB, 2 * MiB}, {1, k * 8 * MiB, 2 * MiB}}});
	Fmap f;
	f.file_size = 48 * MiB;
	f.extents = iexts;
	auto run = compile_digest(f);
	ASSERT_TRUE(run) << run.error().message();
	EXPECT_EQ(run->file.shift, (21u + 1) << 8);
	ASSERT_EQ(run->entries.size(), 2u * 13 + 24);
	EXPECT_EQ(run->entries[0].b, uint64_t(0) << 32 | (0 | kExact)); // words 0, 1
	EXPECT_EQ(run->entries[2].b, uint64_t(1) << 32 | (1 | kExact)); // words 2, 3
	EXPECT_EQ(run->entries[24].b, uint64_t(12 | kExact));           // word 24: sentinel
	EXPECT_EQ(check_buckets(*run), 1u);
}

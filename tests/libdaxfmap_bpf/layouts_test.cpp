// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <cerrno>

#include "libdaxfmap_bpf/layouts.hpp"

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

TEST(LayoutDigest, MixedLengthsSearchAndOneExtentNeverSearches)
{
	auto mixed = compile_digest(simple({{0, 0, 2 * MiB}, {0, 8 * MiB, 4 * MiB}, {0, 0, 2 * MiB}},
					   8 * MiB));
	ASSERT_TRUE(mixed);
	EXPECT_EQ(mixed->file.shift, 0u);
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
	EXPECT_EQ(run->entries[0].b, 24 * MiB);                 // ext_size
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
	EXPECT_EQ(run->entries[0].b, 10 * MiB);
	EXPECT_EQ(run->entries[2].a, 10 * MiB);
}

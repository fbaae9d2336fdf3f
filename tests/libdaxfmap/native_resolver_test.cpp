// SPDX-License-Identifier: GPL-2.0-only
// The reference resolver: the FACTS.md vectors, hand vectors for each path and
// status, and randomized properties checked against an independent oracle.
// Also the random fmap/query generator the other suites rely on.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/validate.hpp"
#include "libdaxfmap/fmap_gen.hpp"

namespace daxfmap {
namespace {

constexpr uint64_t MiB = uint64_t{1} << 20;
constexpr uint64_t GiB = uint64_t{1} << 30;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

SimpleExtent ext(uint32_t dev, uint64_t off, uint64_t len)
{
	return SimpleExtent{.device = dev, .offset = off, .length = len};
}

Fmap simple_fmap(SimpleExtents exts, uint64_t file_size)
{
	Fmap f;
	f.file_size = file_size;
	f.extents = std::move(exts);
	return f;
}

Fmap interleaved_fmap(InterleavedExtents exts, uint64_t file_size)
{
	Fmap f;
	f.file_size = file_size;
	f.extents = std::move(exts);
	return f;
}

Resolution ok(uint32_t dev, uint64_t off, uint64_t len)
{
	return Resolution{.status = DAXFMAP_OK, .device = dev, .device_offset = off, .length = len};
}

Resolution err(daxfmap_status s)
{
	return Resolution{.status = s};
}

// The FACTS.md layout: 4 strips of 6 MiB, 2 MiB chunks, 24 MiB of data.
// Strip s lives at (s + 1) * 128 MiB so that the answer names the strip.
constexpr uint64_t kFactsStripBase = 128 * MiB;

Fmap facts_fmap(uint64_t file_size = 24 * MiB)
{
	InterleavedExtent ie{.chunk_size = 2 * MiB, .nbytes = 24 * MiB};
	for (uint64_t s = 0; s < 4; s++)
		ie.strips.push_back(ext(0, (s + 1) * kFactsStripBase, 6 * MiB));
	return interleaved_fmap({ie}, file_size);
}

uint64_t strip_at(uint64_t s)
{
	return (s + 1) * kFactsStripBase;
}

// ---------------------------------------------------------------------------
// FACTS.md vectors
// ---------------------------------------------------------------------------

TEST(NativeResolverInterleaved, FactsVectorZeroIsStrip0Plus0)
{
	EXPECT_EQ(resolve_native(facts_fmap(), 0, 4096), ok(0, strip_at(0), 4096));
}

TEST(NativeResolverInterleaved, FactsVectorFourMiBIsChunk2Strip2Plus0)
{
	EXPECT_EQ(resolve_native(facts_fmap(), 4 * MiB, 4096), ok(0, strip_at(2), 4096));
}

TEST(NativeResolverInterleaved, FactsVectorFifteenMiBIsStrip3Plus3MiB)
{
	// Chunk 7 = stripe 1 of strip 3; 15 MiB is 1 MiB into it.
	EXPECT_EQ(resolve_native(facts_fmap(), 15 * MiB, 4096), ok(0, strip_at(3) + 3 * MiB, 4096));
}

TEST(NativeResolverInterleaved, FactsVectorsKeepWholeChunksForLargeRequests)
{
	const Fmap f = facts_fmap();
	EXPECT_EQ(resolve_native(f, 0, kMax), ok(0, strip_at(0), 2 * MiB));
	EXPECT_EQ(resolve_native(f, 4 * MiB, kMax), ok(0, strip_at(2), 2 * MiB));
	// Only the rest of chunk 7.
	EXPECT_EQ(resolve_native(f, 15 * MiB, kMax), ok(0, strip_at(3) + 3 * MiB, 1 * MiB));
}

// ---------------------------------------------------------------------------
// Interleaved hand vectors
// ---------------------------------------------------------------------------

TEST(NativeResolverInterleaved, EveryChunkGoesRoundRobinOverTheStrips)
{
	const Fmap f = facts_fmap();
	for (uint64_t c = 0; c < 12; c++)
		EXPECT_EQ(resolve_native(f, c * 2 * MiB, kMax),
			  ok(0, strip_at(c % 4) + (c / 4) * 2 * MiB, 2 * MiB))
			<< "chunk " << c;
}

TEST(NativeResolverInterleaved, LastByteIsLastByteOfStrip3)
{
	// Chunk 11 = stripe 2 of strip 3.
	EXPECT_EQ(resolve_native(facts_fmap(), 24 * MiB - 1, kMax),
		  ok(0, strip_at(3) + 6 * MiB - 1, 1));
}

TEST(NativeResolverInterleaved, ByteBeforeChunkBoundaryGetsOneByte)
{
	EXPECT_EQ(resolve_native(facts_fmap(), 4 * MiB - 1, kMax), ok(0, strip_at(1) + 2 * MiB - 1, 1));
}

TEST(NativeResolverInterleaved, OffsetAtNbytesIsPastEnd)
{
	EXPECT_EQ(resolve_native(facts_fmap(), 24 * MiB, 1), err(DAXFMAP_E_PAST_END));
	EXPECT_EQ(resolve_native(facts_fmap(), kMax, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverInterleaved, ExtentSizeIsCappedByFileSize)
{
	// nbytes 24 MiB but file_size 10 MiB: the extent is 10 MiB long.
	const Fmap f = facts_fmap(10 * MiB);
	EXPECT_EQ(resolve_native(f, 10 * MiB - 1, kMax), ok(0, strip_at(0) + 4 * MiB - 1, 1));
	EXPECT_EQ(resolve_native(f, 10 * MiB, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverInterleaved, PartialLastChunkMapsToChunkEndNotFileSize)
{
	// file_size 5 MiB ends inside chunk 2; V10 does not clip the length.
	const Fmap f = facts_fmap(5 * MiB);
	EXPECT_EQ(resolve_native(f, 4 * MiB, kMax), ok(0, strip_at(2), 2 * MiB));
}

InterleavedExtent two_strips(uint64_t nbytes, uint64_t base, uint32_t dev = 0)
{
	// 2 strips, 2 MiB chunks, strips long enough for 8 MiB of data.
	InterleavedExtent ie{.chunk_size = 2 * MiB, .nbytes = nbytes};
	ie.strips = {ext(dev, base, 4 * MiB), ext(dev, base + 64 * MiB, 4 * MiB)};
	return ie;
}

TEST(NativeResolverInterleaved, SecondExtentStartsAfterFirstExtentSize)
{
	const Fmap f = interleaved_fmap({two_strips(8 * MiB, 0), two_strips(8 * MiB, GiB)}, 16 * MiB);
	EXPECT_EQ(resolve_native(f, 8 * MiB - 1, kMax), ok(0, 64 * MiB + 4 * MiB - 1, 1));
	EXPECT_EQ(resolve_native(f, 8 * MiB, kMax), ok(0, GiB, 2 * MiB));
	EXPECT_EQ(resolve_native(f, 10 * MiB, kMax), ok(0, GiB + 64 * MiB, 2 * MiB));
	EXPECT_EQ(resolve_native(f, 16 * MiB, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverInterleaved, EveryExtentIsCappedByTheWholeFileSizeNotTheRest)
{
	// V10 quirk: ext_size = min(nbytes, file_size) for every extent.  With
	// file_size 6 MiB both extents are 6 MiB long, so 6 MiB is extent 1's
	// byte 0 (a "remaining size" reading would say past the end).
	const Fmap f = interleaved_fmap({two_strips(8 * MiB, 0), two_strips(8 * MiB, GiB)}, 6 * MiB);
	EXPECT_EQ(resolve_native(f, 6 * MiB - 1, kMax), ok(0, 4 * MiB - 1, 1)); // chunk 2: strip 0, stripe 1
	EXPECT_EQ(resolve_native(f, 6 * MiB, kMax), ok(0, GiB, 2 * MiB));
	EXPECT_EQ(resolve_native(f, 11 * MiB, kMax), ok(0, GiB + 2 * MiB + 1 * MiB, 1 * MiB));
	EXPECT_EQ(resolve_native(f, 12 * MiB, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverInterleaved, FileSizeBetweenExtentsStillMapsEachExtentUpToIt)
{
	// file_size 10 MiB >= each nbytes: both extents keep 8 MiB, 16 MiB mapped.
	const Fmap f = interleaved_fmap({two_strips(8 * MiB, 0), two_strips(8 * MiB, GiB)}, 10 * MiB);
	EXPECT_EQ(resolve_native(f, 12 * MiB, kMax), ok(0, GiB + 2 * MiB, 2 * MiB));
	EXPECT_EQ(resolve_native(f, 16 * MiB, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverInterleaved, ZeroFileSizeIsPastEnd)
{
	EXPECT_EQ(resolve_native(facts_fmap(0), 0, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverInterleaved, ZeroNbytesStopsTheWalk)
{
	// V10 bails out at an empty extent even though a later one has data.
	const Fmap f = interleaved_fmap({two_strips(0, 0), two_strips(8 * MiB, GiB)}, 8 * MiB);
	EXPECT_EQ(resolve_native(f, 0, 1), err(DAXFMAP_E_PAST_END));
	const Fmap g = interleaved_fmap({two_strips(8 * MiB, 0), two_strips(0, GiB),
					 two_strips(8 * MiB, 2 * GiB)}, 16 * MiB);
	EXPECT_EQ(resolve_native(g, 8 * MiB - 1, 1), ok(0, 64 * MiB + 4 * MiB - 1, 1));
	EXPECT_EQ(resolve_native(g, 8 * MiB, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverInterleaved, EmptyExtentListIsPastEnd)
{
	EXPECT_EQ(resolve_native(interleaved_fmap({}, 8 * MiB), 0, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverInterleaved, StripDeviceIsReported)
{
	InterleavedExtent ie{.chunk_size = 4 * MiB, .nbytes = 24 * MiB};
	ie.strips = {ext(3, 0, 8 * MiB), ext(1, 2 * GiB, 8 * MiB), ext(7, 6 * GiB, 8 * MiB)};
	const Fmap f = interleaved_fmap({ie}, 24 * MiB);
	EXPECT_EQ(resolve_native(f, 0, kMax), ok(3, 0, 4 * MiB));
	EXPECT_EQ(resolve_native(f, 5 * MiB, kMax), ok(1, 2 * GiB + 1 * MiB, 3 * MiB));
	EXPECT_EQ(resolve_native(f, 23 * MiB, 2 * MiB), ok(7, 6 * GiB + 7 * MiB, 1 * MiB));
}

TEST(NativeResolverInterleaved, ChunkSizeNeedNotBeAPowerOfTwo)
{
	// 6 MiB chunks over 3 strips: 20 MiB is chunk 3 (stripe 1, strip 0), +2 MiB.
	InterleavedExtent ie{.chunk_size = 6 * MiB, .nbytes = 36 * MiB};
	ie.strips = {ext(0, 0, 12 * MiB), ext(0, GiB, 12 * MiB), ext(0, 2 * GiB, 12 * MiB)};
	const Fmap f = interleaved_fmap({ie}, 36 * MiB);
	EXPECT_EQ(resolve_native(f, 20 * MiB, kMax), ok(0, 6 * MiB + 2 * MiB, 4 * MiB));
	EXPECT_EQ(resolve_native(f, 35 * MiB, kMax), ok(0, 2 * GiB + 11 * MiB, 1 * MiB));
}

TEST(NativeResolverInterleaved, ZeroChunkSizeIsBadFmap)
{
	Fmap f = facts_fmap();
	f.interleaved()[0].chunk_size = 0;
	EXPECT_EQ(resolve_native(f, 0, 1), err(DAXFMAP_E_BAD_FMAP));
}

TEST(NativeResolverInterleaved, NoStripsIsBadFmap)
{
	Fmap f = facts_fmap();
	f.interleaved()[0].strips.clear();
	EXPECT_EQ(resolve_native(f, 0, 1), err(DAXFMAP_E_BAD_FMAP));
}

TEST(NativeResolverInterleaved, BadFmapOnlyForQueriesThatReachTheBadExtent)
{
	InterleavedExtent bad = two_strips(8 * MiB, GiB);
	bad.chunk_size = 0;
	const Fmap f = interleaved_fmap({two_strips(8 * MiB, 0), bad}, 16 * MiB);
	EXPECT_EQ(resolve_native(f, 0, 1), ok(0, 0, 1));
	EXPECT_EQ(resolve_native(f, 8 * MiB, 1), err(DAXFMAP_E_BAD_FMAP));
	// The walk sizes the bad extent before dividing: past it is past the end.
	EXPECT_EQ(resolve_native(f, 16 * MiB, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverInterleaved, ShortStripIsOutOfExtent)
{
	// Strip 3 holds only its first chunk; V10 would map past it.
	Fmap f = facts_fmap();
	f.interleaved()[0].strips[3].length = 2 * MiB;
	EXPECT_EQ(resolve_native(f, 6 * MiB, kMax), ok(0, strip_at(3), 2 * MiB));
	EXPECT_EQ(resolve_native(f, 15 * MiB, 1), err(DAXFMAP_E_OUT_OF_EXTENT));
	EXPECT_EQ(resolve_native(f, 14 * MiB, 1), err(DAXFMAP_E_OUT_OF_EXTENT));
}

TEST(NativeResolverInterleaved, RangeEndingExactlyAtStripEndIsInside)
{
	// Strip 0 is 3 MiB: chunk 0 fits, chunk 4 (stripe 1) has 1 MiB of room.
	Fmap f = facts_fmap();
	f.interleaved()[0].strips[0].length = 3 * MiB;
	EXPECT_EQ(resolve_native(f, 8 * MiB, 1 * MiB), ok(0, strip_at(0) + 2 * MiB, 1 * MiB));
	EXPECT_EQ(resolve_native(f, 8 * MiB, 1 * MiB + 1), err(DAXFMAP_E_OUT_OF_EXTENT));
	EXPECT_EQ(resolve_native(f, 9 * MiB - 1, 1), ok(0, strip_at(0) + 3 * MiB - 1, 1));
	EXPECT_EQ(resolve_native(f, 9 * MiB, 1), err(DAXFMAP_E_OUT_OF_EXTENT));
}

// ---------------------------------------------------------------------------
// Simple hand vectors
// ---------------------------------------------------------------------------

Fmap three_extents()
{
	// 4 MiB on dev 0, 2 MiB on dev 1, 8 MiB on dev 0: 14 MiB.
	return simple_fmap({ext(0, 64 * MiB, 4 * MiB), ext(1, 0, 2 * MiB), ext(0, 2 * GiB, 8 * MiB)},
			   14 * MiB);
}

TEST(NativeResolverSimple, WalkFindsEachExtentAtItsFirstByte)
{
	const Fmap f = three_extents();
	EXPECT_EQ(resolve_native(f, 0, kMax), ok(0, 64 * MiB, 4 * MiB));
	EXPECT_EQ(resolve_native(f, 4 * MiB, kMax), ok(1, 0, 2 * MiB));
	EXPECT_EQ(resolve_native(f, 6 * MiB, kMax), ok(0, 2 * GiB, 8 * MiB));
}

TEST(NativeResolverSimple, LastByteOfEachExtentGetsOneByte)
{
	const Fmap f = three_extents();
	EXPECT_EQ(resolve_native(f, 4 * MiB - 1, kMax), ok(0, 68 * MiB - 1, 1));
	EXPECT_EQ(resolve_native(f, 6 * MiB - 1, kMax), ok(1, 2 * MiB - 1, 1));
	EXPECT_EQ(resolve_native(f, 14 * MiB - 1, kMax), ok(0, 2 * GiB + 8 * MiB - 1, 1));
}

TEST(NativeResolverSimple, LengthIsClippedAtExtentEnd)
{
	const Fmap f = three_extents();
	EXPECT_EQ(resolve_native(f, 3 * MiB, 4 * MiB), ok(0, 67 * MiB, 1 * MiB));
	EXPECT_EQ(resolve_native(f, 5 * MiB, 2 * MiB), ok(1, 1 * MiB, 1 * MiB));
}

TEST(NativeResolverSimple, ShorterRequestIsKept)
{
	const Fmap f = three_extents();
	EXPECT_EQ(resolve_native(f, 7 * MiB + 5, 4096), ok(0, 2 * GiB + 1 * MiB + 5, 4096));
	EXPECT_EQ(resolve_native(f, 1, 1), ok(0, 64 * MiB + 1, 1));
}

TEST(NativeResolverSimple, OffsetAtSumIsPastEnd)
{
	const Fmap f = three_extents();
	EXPECT_EQ(resolve_native(f, 14 * MiB, 1), err(DAXFMAP_E_PAST_END));
	EXPECT_EQ(resolve_native(f, kMax, kMax), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverSimple, NoClipAtFileSize)
{
	// file_size 3 MiB inside a 4 MiB extent: the whole extent still maps.
	const Fmap f = simple_fmap({ext(0, 0, 4 * MiB), ext(0, 8 * MiB, 2 * MiB)}, 3 * MiB);
	EXPECT_EQ(resolve_native(f, 2 * MiB, kMax), ok(0, 2 * MiB, 2 * MiB));
	EXPECT_EQ(resolve_native(f, 5 * MiB, kMax), ok(0, 9 * MiB, 1 * MiB));
	EXPECT_EQ(resolve_native(f, 6 * MiB, 1), err(DAXFMAP_E_PAST_END));
}

TEST(NativeResolverSimple, ZeroLengthExtentIsSkipped)
{
	const Fmap f = simple_fmap({ext(0, 0, 2 * MiB), ext(5, 8 * MiB, 0), ext(1, 4 * MiB, 2 * MiB)},
				   4 * MiB);
	EXPECT_EQ(resolve_native(f, 2 * MiB, kMax), ok(1, 4 * MiB, 2 * MiB));
}

TEST(NativeResolverSimple, EmptyExtentListIsPastEnd)
{
	EXPECT_EQ(resolve_native(simple_fmap({}, 0), 0, 1), err(DAXFMAP_E_PAST_END));
}

// ---------------------------------------------------------------------------
// Statuses, device checks, overflow, order of checks
// ---------------------------------------------------------------------------

TEST(NativeResolverErrors, ZeroLengthRequestIsBadLengthBeforeAnythingElse)
{
	EXPECT_EQ(resolve_native(three_extents(), 0, 0), err(DAXFMAP_E_BAD_LENGTH));
	EXPECT_EQ(resolve_native(three_extents(), kMax, 0), err(DAXFMAP_E_BAD_LENGTH));
	Fmap bad = facts_fmap();
	bad.interleaved()[0].chunk_size = 0;
	EXPECT_EQ(resolve_native(bad, 0, 0), err(DAXFMAP_E_BAD_LENGTH));
}

TEST(NativeResolverErrors, DeviceIndexBeyondTableIsNoDevice)
{
	const std::vector<uint64_t> sizes{4 * GiB};
	EXPECT_EQ(resolve_native(three_extents(), 0, 1, sizes), ok(0, 64 * MiB, 1));
	EXPECT_EQ(resolve_native(three_extents(), 4 * MiB, 1, sizes), err(DAXFMAP_E_NO_DEVICE));
}

TEST(NativeResolverErrors, ZeroSizedDeviceIsNoDevice)
{
	const std::vector<uint64_t> sizes{4 * GiB, 0};
	EXPECT_EQ(resolve_native(three_extents(), 4 * MiB, 1, sizes), err(DAXFMAP_E_NO_DEVICE));
}

TEST(NativeResolverErrors, RangePastDeviceEndIsOutOfDevice)
{
	// Device 0 ends 1 MiB into the third extent.
	const std::vector<uint64_t> sizes{2 * GiB + 1 * MiB, 2 * MiB};
	const Fmap f = three_extents();
	EXPECT_EQ(resolve_native(f, 6 * MiB, 1 * MiB, sizes), ok(0, 2 * GiB, 1 * MiB));
	EXPECT_EQ(resolve_native(f, 6 * MiB, 1 * MiB + 1, sizes), err(DAXFMAP_E_OUT_OF_DEVICE));
	EXPECT_EQ(resolve_native(f, 7 * MiB, 1, sizes), err(DAXFMAP_E_OUT_OF_DEVICE));
	// Device 1 fits its extent exactly.
	EXPECT_EQ(resolve_native(f, 4 * MiB, kMax, sizes), ok(1, 0, 2 * MiB));
}

TEST(NativeResolverErrors, ExtentStartingPastDeviceEndIsOutOfDevice)
{
	const std::vector<uint64_t> sizes{1 * GiB, 2 * MiB};
	EXPECT_EQ(resolve_native(three_extents(), 6 * MiB, 1, sizes), err(DAXFMAP_E_OUT_OF_DEVICE));
}

TEST(NativeResolverErrors, NoDeviceIsCheckedBeforeOutOfDevice)
{
	const std::vector<uint64_t> sizes{1, 0};
	EXPECT_EQ(resolve_native(three_extents(), 4 * MiB, kMax, sizes), err(DAXFMAP_E_NO_DEVICE));
}

TEST(NativeResolverErrors, OutOfExtentIsCheckedBeforeDeviceChecks)
{
	Fmap f = facts_fmap();
	f.interleaved()[0].strips[3].length = 2 * MiB;
	f.interleaved()[0].strips[3].device = 9;
	const std::vector<uint64_t> sizes{4 * GiB};
	EXPECT_EQ(resolve_native(f, 15 * MiB, 1, sizes), err(DAXFMAP_E_OUT_OF_EXTENT));
	EXPECT_EQ(resolve_native(f, 6 * MiB, 1, sizes), err(DAXFMAP_E_NO_DEVICE));
}

TEST(NativeResolverErrors, BadFmapIsCheckedBeforeDeviceChecks)
{
	Fmap f = facts_fmap();
	f.interleaved()[0].chunk_size = 0;
	const std::vector<uint64_t> sizes{0};
	EXPECT_EQ(resolve_native(f, 0, 1, sizes), err(DAXFMAP_E_BAD_FMAP));
}

TEST(NativeResolverErrors, PastEndIsCheckedBeforeDeviceChecks)
{
	const std::vector<uint64_t> sizes{0};
	EXPECT_EQ(resolve_native(three_extents(), 14 * MiB, 1, sizes), err(DAXFMAP_E_PAST_END));
}

// An extent whose end is past 2^64: [2^64 - 2 MiB, 2^64 + 2 MiB).
Fmap overflowing_extent()
{
	return simple_fmap({ext(0, kMax - 2 * MiB + 1, 4 * MiB)}, 4 * MiB);
}

TEST(NativeResolverErrors, RangeEndingBelowTwoToThe64IsOkEvenIfItsExtentOverflows)
{
	EXPECT_EQ(resolve_native(overflowing_extent(), 0, 2 * MiB - 1),
		  ok(0, kMax - 2 * MiB + 1, 2 * MiB - 1));
}

TEST(NativeResolverErrors, RangeEndOverflowingU64WithoutSizesIsOutOfExtent)
{
	// Ending exactly at 2^64 does not fit either.
	EXPECT_EQ(resolve_native(overflowing_extent(), 0, 2 * MiB), err(DAXFMAP_E_OUT_OF_EXTENT));
	// The start itself overflows.
	EXPECT_EQ(resolve_native(overflowing_extent(), 3 * MiB, 1), err(DAXFMAP_E_OUT_OF_EXTENT));
}

TEST(NativeResolverErrors, RangeEndOverflowingU64WithSizesIsOutOfDevice)
{
	const std::vector<uint64_t> sizes{kMax};
	EXPECT_EQ(resolve_native(overflowing_extent(), 0, 2 * MiB - 1, sizes),
		  ok(0, kMax - 2 * MiB + 1, 2 * MiB - 1));
	EXPECT_EQ(resolve_native(overflowing_extent(), 0, 2 * MiB, sizes), err(DAXFMAP_E_OUT_OF_DEVICE));
	EXPECT_EQ(resolve_native(overflowing_extent(), 3 * MiB, 1, sizes), err(DAXFMAP_E_OUT_OF_DEVICE));
}

TEST(NativeResolverErrors, InterleavedStripNearTopOverflowsTheSameWay)
{
	Fmap f = facts_fmap();
	f.interleaved()[0].strips[1].offset = kMax - 4 * MiB + 1; // ends 2 MiB past 2^64
	EXPECT_EQ(resolve_native(f, 2 * MiB, kMax), ok(0, kMax - 4 * MiB + 1, 2 * MiB));
	EXPECT_EQ(resolve_native(f, 10 * MiB, 2 * MiB - 1), ok(0, kMax - 2 * MiB + 1, 2 * MiB - 1));
	EXPECT_EQ(resolve_native(f, 10 * MiB, kMax), err(DAXFMAP_E_OUT_OF_EXTENT));
	const std::vector<uint64_t> sizes{kMax};
	EXPECT_EQ(resolve_native(f, 10 * MiB, kMax, sizes), err(DAXFMAP_E_OUT_OF_DEVICE));
}

TEST(NativeResolverErrors, EveryFailureZeroesDeviceOffsetAndLength)
{
	Fmap f = facts_fmap();
	f.interleaved()[0].strips[3].length = 0;
	f.interleaved()[0].strips[3].device = 5;
	for (const Resolution &r : {resolve_native(f, 6 * MiB, 1), resolve_native(f, 24 * MiB, 1),
				    resolve_native(f, 0, 0), resolve_native(f, 2 * MiB, 1, std::vector<uint64_t>{1})}) {
		EXPECT_FALSE(r.ok());
		EXPECT_EQ(r.device, 0u);
		EXPECT_EQ(r.device_offset, 0u);
		EXPECT_EQ(r.length, 0u);
	}
}

TEST(NativeResolverStatus, ErrnoOfEachStatus)
{
	EXPECT_EQ(status_errno(DAXFMAP_OK), 0);
	EXPECT_EQ(status_errno(DAXFMAP_E_PAST_END), EIO);
	EXPECT_EQ(status_errno(DAXFMAP_E_NO_DEVICE), EIO);
	EXPECT_EQ(status_errno(DAXFMAP_E_OUT_OF_DEVICE), EIO);
	EXPECT_EQ(status_errno(DAXFMAP_E_OUT_OF_EXTENT), EIO);
	EXPECT_EQ(status_errno(DAXFMAP_E_BAD_FMAP), EIO);
	EXPECT_EQ(status_errno(DAXFMAP_E_BAD_LENGTH), EINVAL);
	EXPECT_EQ(status_errno(DAXFMAP_E_NO_FILE), ENOENT);
	EXPECT_EQ(status_errno(DAXFMAP_E_STALE), EAGAIN);
	EXPECT_EQ(status_errno(DAXFMAP_E_LIMIT), E2BIG);
	EXPECT_EQ(status_errno(DAXFMAP_STATUS_MAX), EIO);
}

TEST(NativeResolverStatus, NamesAreDistinctShortKebabCase)
{
	EXPECT_EQ(status_name(DAXFMAP_OK), "ok");
	EXPECT_EQ(status_name(DAXFMAP_E_PAST_END), "past-end");
	EXPECT_EQ(status_name(DAXFMAP_E_BAD_LENGTH), "bad-length");
	EXPECT_EQ(status_name(DAXFMAP_E_NO_DEVICE), "no-device");
	EXPECT_EQ(status_name(DAXFMAP_E_OUT_OF_DEVICE), "out-of-device");
	EXPECT_EQ(status_name(DAXFMAP_E_OUT_OF_EXTENT), "out-of-extent");
	EXPECT_EQ(status_name(DAXFMAP_E_BAD_FMAP), "bad-fmap");
	EXPECT_EQ(status_name(DAXFMAP_E_NO_FILE), "no-file");
	EXPECT_EQ(status_name(DAXFMAP_E_STALE), "stale");
	EXPECT_EQ(status_name(DAXFMAP_E_LIMIT), "limit");
	EXPECT_EQ(status_name(DAXFMAP_STATUS_MAX), "unknown");
	std::set<std::string_view> seen;
	const std::regex kebab("[a-z]+(-[a-z]+)*");
	for (int s = 0; s < DAXFMAP_STATUS_MAX; s++) {
		const std::string_view n = status_name(static_cast<daxfmap_status>(s));
		EXPECT_TRUE(std::regex_match(std::string(n), kebab)) << n;
		EXPECT_NE(n, "unknown") << s;
		EXPECT_TRUE(seen.insert(n).second) << n;
	}
}

TEST(NativeResolverStatus, ResolutionPrintsStatusAndRange)
{
	std::ostringstream os;
	os << ok(1, 2 * MiB, 4096) << "; " << err(DAXFMAP_E_PAST_END);
	EXPECT_EQ(os.str(), "ok dev 1 +0x200000 len 0x1000; past-end");
}

// ---------------------------------------------------------------------------
// The oracle: the fmap expanded into pieces, then a binary search.
//
// Built differently from the resolver on purpose: chunks are placed by
// walking the extent with a per-strip cursor (no division), device arithmetic
// is 128-bit (an overflow is simply a value above 2^64 - 1), and a query is a
// search over absolute file offsets instead of a walk.
// ---------------------------------------------------------------------------

using u128 = unsigned __int128;
constexpr u128 kU64Top = u128{kMax};

struct Piece {
	u128 file_start;   // first file offset the piece answers for
	u128 file_end;     // one past the last
	bool bad = false;  // the extent has nothing to divide by
	uint32_t device = 0;
	u128 dev_start = 0; // device offset of file_start
	u128 map_end = 0;   // where a mapping from this piece stops (chunk or extent end)
	u128 limit = 0;     // the strip (extent) end it must not pass
};

class Oracle {
public:
	explicit Oracle(const Fmap &f)
	{
		u128 pos = 0;
		if (f.is_simple()) {
			for (const auto &e : f.simple()) {
				if (e.length == 0)
					continue;
				const u128 end = u128{e.offset} + e.length;
				pieces_.push_back(Piece{pos, pos + e.length, false, e.device, e.offset, end, end});
				pos += e.length;
			}
			return;
		}
		for (const auto &ie : f.interleaved()) {
			const uint64_t size = std::min(ie.nbytes, f.file_size);
			if (size == 0)
				return; // nothing past here resolves
			if (ie.chunk_size == 0 || ie.strips.empty()) {
				pieces_.push_back(Piece{pos, pos + size, true});
				pos += size;
				continue;
			}
			std::vector<u128> cursor(ie.strips.size(), 0); // bytes used on each strip
			size_t s = 0;
			for (u128 done = 0; done < size; done += ie.chunk_size) {
				const SimpleExtent &strip = ie.strips[s];
				const u128 at = u128{strip.offset} + cursor[s];
				const u128 end = std::min<u128>(done + ie.chunk_size, size);
				pieces_.push_back(Piece{pos + done, pos + end, false, strip.device, at,
							at + ie.chunk_size, u128{strip.offset} + strip.length});
				cursor[s] += ie.chunk_size;
				s = s + 1 == ie.strips.size() ? 0 : s + 1;
			}
			pos += size;
		}
	}

	Resolution resolve(uint64_t offset, uint64_t length, DeviceSizes sizes) const
	{
		if (length == 0)
			return err(DAXFMAP_E_BAD_LENGTH);
		auto it = std::upper_bound(pieces_.begin(), pieces_.end(), u128{offset},
					   [](u128 v, const Piece &p) { return v < p.file_start; });
		if (it == pieces_.begin() || u128{offset} >= std::prev(it)->file_end)
			return err(DAXFMAP_E_PAST_END);
		const Piece &p = *std::prev(it);
		if (p.bad)
			return err(DAXFMAP_E_BAD_FMAP);
		const u128 start = p.dev_start + (offset - p.file_start);
		const u128 end = start + std::min<u128>(length, p.map_end - start);
		if (end > p.limit)
			return err(DAXFMAP_E_OUT_OF_EXTENT);
		if (!sizes.empty()) {
			if (p.device >= sizes.size() || sizes[p.device] == 0)
				return err(DAXFMAP_E_NO_DEVICE);
			if (end > sizes[p.device])
				return err(DAXFMAP_E_OUT_OF_DEVICE);
		} else if (end > kU64Top) {
			return err(DAXFMAP_E_OUT_OF_EXTENT);
		}
		return ok(p.device, static_cast<uint64_t>(start), static_cast<uint64_t>(end - start));
	}

private:
	std::vector<Piece> pieces_;
};

TEST(NativeResolverOracle, AgreesWithHandVectors)
{
	// The oracle is only worth something if it is right where we know.
	const Oracle o(facts_fmap());
	EXPECT_EQ(o.resolve(15 * MiB, kMax, {}), ok(0, strip_at(3) + 3 * MiB, 1 * MiB));
	EXPECT_EQ(o.resolve(24 * MiB, 1, {}), err(DAXFMAP_E_PAST_END));
	const Oracle q(overflowing_extent());
	EXPECT_EQ(q.resolve(0, 2 * MiB, {}), err(DAXFMAP_E_OUT_OF_EXTENT));
}

// ---------------------------------------------------------------------------
// Randomized properties
// ---------------------------------------------------------------------------

// Varied generator options: both profiles, every length and size mode.
gen::FmapOptions random_options(gen::Rng &rng, uint32_t max_extents = 24)
{
	auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
	gen::FmapOptions o;
	o.profile = pick(4) == 0 ? Profile::V10 : Profile::Extended;
	o.max_extents = static_cast<uint32_t>(1 + pick(max_extents));
	o.max_strips = static_cast<uint32_t>(1 + pick(pick(3) == 0 ? 32 : 8));
	o.devices = static_cast<uint32_t>(1 + pick(6));
	o.max_chunk_units = static_cast<uint32_t>(1 + pick(16));
	o.max_len_units = static_cast<uint32_t>(1 + pick(64));
	o.max_stripes = static_cast<uint32_t>(1 + pick(4));
	o.gaps = pick(2) == 0;
	o.high_offsets = pick(8) == 0;
	return o;
}

// Break a valid fmap in one of the ways a resolver must survive.
void mutate(Fmap &f, gen::Rng &rng)
{
	auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
	if (f.is_simple()) {
		auto &e = f.simple()[pick(f.simple().size())];
		switch (pick(3)) {
		case 0: e.length = pick(2) ? 0 : pick(e.length) + 1; break;  // empty or unaligned
		case 1: e.offset = kMax - pick(e.length + 1); break;         // runs past 2^64
		default: e.device = static_cast<uint32_t>(pick(40)); break;  // maybe no such device
		}
		return;
	}
	auto &ie = f.interleaved()[pick(f.interleaved().size())];
	switch (pick(7)) {
	case 0: ie.chunk_size = 0; break;
	case 1: ie.strips.clear(); break;
	case 2: ie.nbytes = 0; break;
	case 3: f.file_size = pick(2) ? 0 : pick(f.file_size + 1); break;
	case 4: ie.nbytes = pick(ie.nbytes) + 1; break; // unaligned, maybe partial chunks
	default: {
		auto &s = ie.strips[pick(ie.strips.size())];
		if (pick(2))
			s.length = pick(s.length + 1);       // shorter than its share
		else
			s.offset = kMax - pick(s.length + 1); // runs past 2^64
		break;
	}
	}
}

// Device tables: none, exact, slack, or one that misses or shrinks a device.
std::vector<uint64_t> random_sizes(const Fmap &f, gen::Rng &rng)
{
	auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
	switch (pick(5)) {
	case 0: return {};
	case 1: return gen::device_sizes(f, gen::Fit::Exact, rng);
	case 2: return gen::device_sizes(f, gen::Fit::Slack, rng);
	default: {
		std::vector<uint64_t> s = gen::device_sizes(f, gen::Fit::Exact, rng);
		if (s.empty())
			return s;
		const size_t d = pick(s.size());
		switch (pick(3)) {
		case 0: s.pop_back(); break;
		case 1: s[d] = 0; break;
		default: s[d] = s[d] > 0 ? pick(s[d]) + 1 : 0; break;
		}
		return s;
	}
	}
}

TEST(NativeResolverRandom, AgreesWithPieceOracleOnValidAndBrokenFmaps)
{
	constexpr int kFmaps = 4000;
	constexpr int kQueries = 40;
	std::map<daxfmap_status, int> seen;
	int mismatches = 0;
	for (int seed = 0; seed < kFmaps; seed++) {
		gen::Rng rng(0x5eed0000u + seed);
		Fmap f = gen::random_fmap(rng, random_options(rng));
		if (seed % 3 == 0)
			mutate(f, rng);
		const std::vector<uint64_t> sizes = random_sizes(f, rng);
		const Oracle oracle(f);
		gen::QueryGen qg(f, rng());
		for (int i = 0; i < kQueries; i++) {
			gen::Query q = qg.next();
			if (i == 0)
				q.length = 0;
			const Resolution got = resolve_native(f, q.offset, q.length, sizes);
			const Resolution want = oracle.resolve(q.offset, q.length, sizes);
			seen[got.status]++;
			if (got != want && ++mismatches <= 5)
				ADD_FAILURE() << "seed " << seed << " query " << hex(q.offset) << "+"
					      << hex(q.length) << ": got " << got << ", oracle " << want;
		}
	}
	EXPECT_EQ(mismatches, 0);
	// Every status a resolver can give was exercised, and mostly OK.
	for (daxfmap_status s : {DAXFMAP_OK, DAXFMAP_E_PAST_END, DAXFMAP_E_BAD_LENGTH,
				 DAXFMAP_E_NO_DEVICE, DAXFMAP_E_OUT_OF_DEVICE,
				 DAXFMAP_E_OUT_OF_EXTENT, DAXFMAP_E_BAD_FMAP})
		EXPECT_GT(seen[s], 20) << status_name(s);
	EXPECT_GT(seen[DAXFMAP_OK], kFmaps * kQueries / 3);
}

// File offset where each walked extent starts, and the end, as V10 walks.
std::vector<uint64_t> extent_starts(const Fmap &f)
{
	std::vector<uint64_t> starts{0};
	if (f.is_simple()) {
		for (const auto &e : f.simple())
			starts.push_back(starts.back() + e.length);
	} else {
		for (const auto &ie : f.interleaved()) {
			const uint64_t size = std::min(ie.nbytes, f.file_size);
			if (size == 0)
				break;
			starts.push_back(starts.back() + size);
		}
	}
	return starts;
}

// The device range lies inside one range of the fmap on that device.
bool inside_some_range(const Fmap &f, const Resolution &r)
{
	auto holds = [&](const SimpleExtent &e) {
		return e.device == r.device && r.device_offset >= e.offset &&
		       r.device_offset - e.offset <= e.length &&
		       r.length <= e.length - (r.device_offset - e.offset);
	};
	if (f.is_simple())
		return std::any_of(f.simple().begin(), f.simple().end(), holds);
	return std::any_of(f.interleaved().begin(), f.interleaved().end(), [&](const auto &ie) {
		return std::any_of(ie.strips.begin(), ie.strips.end(), holds);
	});
}

TEST(NativeResolverRandom, OkResultsStayInsideExtentChunkAndDevice)
{
	constexpr int kFmaps = 1500;
	constexpr int kQueries = 40;
	int checked = 0;
	for (int seed = 0; seed < kFmaps; seed++) {
		gen::Rng rng(0xbead0000u + seed);
		const Fmap f = gen::random_fmap(rng, random_options(rng));
		const std::vector<uint64_t> sizes =
			gen::device_sizes(f, seed % 2 ? gen::Fit::Exact : gen::Fit::Slack, rng);
		const std::vector<uint64_t> starts = extent_starts(f);
		gen::QueryGen qg(f, rng());
		for (int i = 0; i < kQueries; i++) {
			const gen::Query q = qg.next();
			const Resolution r = resolve_native(f, q.offset, q.length, sizes);
			SCOPED_TRACE(testing::Message() << "seed " << seed << " query " << hex(q.offset)
							<< "+" << hex(q.length) << " -> " << r);
			// A generated fmap only fails past its end.
			const bool past = q.offset >= starts.back();
			ASSERT_EQ(r.status, past ? DAXFMAP_E_PAST_END : DAXFMAP_OK);
			if (past)
				continue;
			checked++;
			ASSERT_GE(r.length, 1u);
			ASSERT_LE(r.length, q.length);
			ASSERT_TRUE(inside_some_range(f, r));
			ASSERT_LT(r.device, sizes.size());
			ASSERT_LE(r.length, sizes[r.device]);
			ASSERT_LE(r.device_offset, sizes[r.device] - r.length);
			// Never across an extent (simple) or chunk (interleaved) boundary.
			const size_t i_ext = std::upper_bound(starts.begin(), starts.end(), q.offset) -
					     starts.begin() - 1;
			const uint64_t local = q.offset - starts[i_ext];
			if (f.is_simple()) {
				ASSERT_LE(r.length, starts[i_ext + 1] - q.offset);
			} else {
				const uint64_t chunk = f.interleaved()[i_ext].chunk_size;
				ASSERT_LE(local % chunk + r.length, chunk);
			}
		}
	}
	EXPECT_GT(checked, kFmaps * kQueries / 2);
}

TEST(NativeResolverRandom, ResolvingFromZeroTilesTheFile)
{
	constexpr int kFmaps = 600;
	for (int seed = 0; seed < kFmaps; seed++) {
		gen::Rng rng(0x711e0000u + seed);
		gen::FmapOptions o = random_options(rng, 16);
		o.max_strips = std::min<uint32_t>(o.max_strips, 8);
		const Fmap f = gen::random_fmap(rng, o);
		const std::vector<uint64_t> starts = extent_starts(f);
		SCOPED_TRACE(testing::Message() << "seed " << seed);

		std::vector<Resolution> tiles;
		uint64_t off = 0;
		uint64_t total = 0;
		size_t ext = 0;
		for (;;) {
			const Resolution r = resolve_native(f, off, kMax);
			if (r.status == DAXFMAP_E_PAST_END)
				break;
			ASSERT_TRUE(r.ok()) << hex(off) << " -> " << r;
			// Valid fmaps keep device ranges and lengths 2 MiB aligned.
			ASSERT_EQ(r.device_offset % kAlign, 0u) << hex(off);
			ASSERT_EQ(r.length % kAlign, 0u) << hex(off);
			while (off >= starts[ext + 1])
				ext++;
			// V10 lets the last chunk of an interleaved extent run past the
			// extent's size (up to the chunk end); the next extent still
			// starts at the size, so the walk continues there.
			uint64_t step = r.length;
			if (off + step > starts[ext + 1]) {
				ASSERT_FALSE(f.is_simple());
				ASSERT_LT(starts[ext + 1] - off, uint64_t{f.interleaved()[ext].chunk_size});
				step = starts[ext + 1] - off;
			}
			tiles.push_back(r);
			total += step;
			off += step;
		}
		EXPECT_EQ(off, starts.back());
		EXPECT_EQ(total, gen::mapped_size(f));
		if (f.is_simple()) {
			// One tile per extent, exactly the extent's device range.
			ASSERT_EQ(tiles.size(), f.simple().size());
			for (size_t i = 0; i < tiles.size(); i++) {
				const SimpleExtent &e = f.simple()[i];
				EXPECT_EQ(tiles[i], ok(e.device, e.offset, e.length)) << "extent " << i;
			}
		} else {
			// One tile per chunk the extent sizes reach.
			size_t chunks = 0;
			for (size_t i = 0; i + 1 < starts.size(); i++) {
				const uint64_t c = f.interleaved()[i].chunk_size;
				chunks += (starts[i + 1] - starts[i] + c - 1) / c;
			}
			EXPECT_EQ(tiles.size(), chunks);
		}
	}
}

// ---------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------

// The rules every generated fmap keeps, checked without the validator.
::testing::AssertionResult well_formed(const Fmap &f, Profile profile)
{
	const Limits &lim = limits_for(profile);
	auto fail = [&](const std::string &why) { return ::testing::AssertionFailure() << why; };
	if (f.extent_count() < 1 || f.extent_count() > lim.max_extents)
		return fail("extent count " + std::to_string(f.extent_count()));
	if (f.wire_size() > lim.max_reply_bytes)
		return fail("wire size " + std::to_string(f.wire_size()));
	std::map<uint32_t, std::vector<std::pair<uint64_t, uint64_t>>> per_device;
	auto range_ok = [&](const SimpleExtent &e) {
		if (e.device >= lim.max_devices || e.offset % kAlign || e.length % kAlign ||
		    e.length == 0 || e.offset > kMax - e.length)
			return false;
		per_device[e.device].emplace_back(e.offset, e.offset + e.length);
		return true;
	};
	u128 sum = 0;
	if (f.is_simple()) {
		for (const auto &e : f.simple()) {
			if (!range_ok(e))
				return fail("bad simple extent at " + hex(e.offset));
			sum += e.length;
		}
	} else {
		for (const auto &ie : f.interleaved()) {
			const uint64_t c = ie.chunk_size;
			if (c == 0 || c % kAlign || ie.nbytes == 0 || ie.strips.empty() ||
			    ie.strips.size() > std::min<uint32_t>(lim.max_strips, 32))
				return fail("bad interleaved header");
			const uint64_t stripes = ((ie.nbytes + c - 1) / c + ie.strips.size() - 1) /
						 ie.strips.size();
			for (const auto &s : ie.strips) {
				if (!range_ok(s))
					return fail("bad strip at " + hex(s.offset));
				if (s.length < stripes * c)
					return fail("strip shorter than its share at " + hex(s.offset));
			}
			sum += ie.nbytes;
		}
	}
	if (sum < f.file_size || f.file_size == 0)
		return fail("file_size " + hex(f.file_size));
	for (auto &[dev, ranges] : per_device) {
		std::sort(ranges.begin(), ranges.end());
		for (size_t i = 1; i < ranges.size(); i++)
			if (ranges[i].first < ranges[i - 1].second)
				return fail("overlap on device " + std::to_string(dev));
	}
	return ::testing::AssertionSuccess();
}

TEST(FmapGen, SameSeedGivesSameFmapQueriesAndSizes)
{
	for (uint64_t seed : {1u, 2u, 99u}) {
		EXPECT_EQ(gen::random_fmap(seed), gen::random_fmap(seed));
		const Fmap f = gen::random_fmap(seed);
		gen::QueryGen a(f, seed), b(f, seed);
		EXPECT_EQ(a.batch(100), b.batch(100));
		EXPECT_EQ(gen::device_sizes(f, gen::Fit::Slack, seed),
			  gen::device_sizes(f, gen::Fit::Slack, seed));
	}
	EXPECT_NE(gen::random_fmap(1), gen::random_fmap(2));
}

TEST(FmapGen, ExtendedFmapsAreWellFormed)
{
	for (int seed = 0; seed < 2000; seed++) {
		gen::Rng rng(0xe0000u + seed);
		gen::FmapOptions o = random_options(rng);
		o.profile = Profile::Extended;
		const Fmap f = gen::random_fmap(rng, o);
		ASSERT_TRUE(well_formed(f, Profile::Extended)) << "seed " << seed;
		ASSERT_LE(f.extent_count(), o.max_extents);
	}
}

TEST(FmapGen, V10FmapsUseDevice0AndFitOnePage)
{
	for (int seed = 0; seed < 2000; seed++) {
		gen::Rng rng(0x10000u + seed);
		gen::FmapOptions o = random_options(rng, 64);
		o.profile = Profile::V10;
		o.max_strips = 32;
		o.devices = 8; // clamped to 1
		const Fmap f = gen::random_fmap(rng, o);
		ASSERT_TRUE(well_formed(f, Profile::V10)) << "seed " << seed;
		ASSERT_LE(f.wire_size(), uint64_t{FUSE_DAX_FMAP_MAX_REPLY});
		ASSERT_LE(f.extent_count(), 32u);
	}
}

::testing::AssertionResult passes_validator(const Fmap &f, Profile p)
{
	const ValidationReport r = validate(f, limits_for(p));
	if (r.ok() && r.warnings.empty())
		return ::testing::AssertionSuccess();
	auto out = ::testing::AssertionFailure();
	for (const Error &e : r.errors)
		out << "error: " << e.message() << "\n";
	for (const Error &e : r.warnings)
		out << "warning: " << e.message() << "\n";
	return out;
}

TEST(FmapGen, GeneratedFmapsPassTheValidatorWithoutWarnings)
{
	for (int seed = 0; seed < 2000; seed++) {
		gen::Rng rng(0xa1000u + seed);
		const gen::FmapOptions o = random_options(rng, 64);
		const Fmap f = gen::random_fmap(rng, o);
		ASSERT_TRUE(passes_validator(f, o.profile))
			<< "seed " << seed << " profile " << limits_for(o.profile).name;
		if (o.profile == Profile::V10) {
			ASSERT_TRUE(passes_validator(f, Profile::Extended)) << "seed " << seed;
		}
	}
}

TEST(FmapGen, ManyStripsAndExtentsStillFitTheV10Page)
{
	gen::FmapOptions o{.layout = gen::Layout::Interleaved, .profile = Profile::V10,
			   .min_extents = 32, .max_extents = 32, .min_strips = 1, .max_strips = 32};
	for (uint64_t seed = 0; seed < 200; seed++) {
		const Fmap f = gen::random_fmap(seed, o);
		ASSERT_TRUE(well_formed(f, Profile::V10)) << "seed " << seed;
		ASSERT_TRUE(passes_validator(f, Profile::V10)) << "seed " << seed;
	}
}

TEST(FmapGen, MillionSimpleExtentsAreGeneratedAndResolve)
{
	const gen::FmapOptions o{.layout = gen::Layout::Simple,
				 .min_extents = kExtendedMaxExtents,
				 .max_extents = kExtendedMaxExtents,
				 .devices = 24};
	const Fmap f = gen::random_fmap(7, o);
	ASSERT_EQ(f.extent_count(), kExtendedMaxExtents);
	ASSERT_TRUE(well_formed(f, Profile::Extended));
	ASSERT_TRUE(passes_validator(f, Profile::Extended));
	const SimpleExtent &last = f.simple().back();
	const uint64_t end = gen::mapped_size(f);
	EXPECT_EQ(resolve_native(f, end - 1, kMax), ok(last.device, last.offset + last.length - 1, 1));
	EXPECT_EQ(resolve_native(f, end, 1), err(DAXFMAP_E_PAST_END));
}

TEST(FmapGen, ManyInterleavedExtentsAreClampedToTheReplyLimit)
{
	const gen::FmapOptions o{.layout = gen::Layout::Interleaved,
				 .min_extents = kExtendedMaxExtents,
				 .max_extents = kExtendedMaxExtents,
				 .max_strips = 1};
	const Fmap f = gen::random_fmap(8, o);
	EXPECT_TRUE(well_formed(f, Profile::Extended));
	EXPECT_TRUE(passes_validator(f, Profile::Extended));
	EXPECT_GT(f.extent_count(), 100000u);
}

TEST(FmapGen, UniformLengthsAreOnePowerOfTwo)
{
	for (uint64_t seed = 0; seed < 200; seed++) {
		const Fmap f = gen::random_fmap(seed, {.layout = gen::Layout::Simple,
						       .max_extents = 40,
						       .lengths = gen::Lengths::UniformPow2});
		const uint64_t len = f.simple().front().length;
		ASSERT_TRUE(std::has_single_bit(len));
		for (const auto &e : f.simple())
			ASSERT_EQ(e.length, len);
	}
}

TEST(FmapGen, ShortLastKeepsAllButTheLastUniform)
{
	int shorter = 0;
	for (uint64_t seed = 0; seed < 200; seed++) {
		const Fmap f = gen::random_fmap(seed, {.layout = gen::Layout::Simple,
						       .min_extents = 2,
						       .max_extents = 40,
						       .lengths = gen::Lengths::UniformPow2ShortLast});
		const auto &x = f.simple();
		const uint64_t len = x.front().length;
		ASSERT_TRUE(std::has_single_bit(len));
		for (size_t i = 0; i + 1 < x.size(); i++)
			ASSERT_EQ(x[i].length, len);
		ASSERT_LE(x.back().length, len);
		shorter += x.back().length < len;
	}
	EXPECT_GT(shorter, 150);
}

TEST(FmapGen, FileSizeModesPlaceTheEndAsAsked)
{
	for (uint64_t seed = 0; seed < 300; seed++) {
		gen::FmapOptions o{.layout = seed % 2 ? gen::Layout::Simple : gen::Layout::Interleaved};
		o.file_size = gen::FileSize::ExactSum;
		Fmap f = gen::random_fmap(seed, o);
		const auto sum_of = [](const Fmap &m) {
			uint64_t s = 0;
			if (m.is_simple())
				for (const auto &e : m.simple())
					s += e.length;
			else
				for (const auto &ie : m.interleaved())
					s += ie.nbytes;
			return s;
		};
		EXPECT_EQ(f.file_size, sum_of(f));
		o.file_size = gen::FileSize::InLastExtent;
		f = gen::random_fmap(seed, o);
		const uint64_t last = f.is_simple() ? f.simple().back().length : f.interleaved().back().nbytes;
		EXPECT_LT(f.file_size, sum_of(f));
		EXPECT_GT(f.file_size, sum_of(f) - last);
	}
}

TEST(FmapGen, ChunkSizesArePowersOfTwoOrOtherMultiples)
{
	std::set<uint64_t> odd;
	for (uint64_t seed = 0; seed < 200; seed++) {
		const Fmap p = gen::random_fmap(seed, {.layout = gen::Layout::Interleaved,
						       .chunks = gen::Chunks::Pow2});
		for (const auto &ie : p.interleaved())
			ASSERT_TRUE(std::has_single_bit(uint64_t{ie.chunk_size}));
		const Fmap m = gen::random_fmap(seed, {.layout = gen::Layout::Interleaved,
						       .chunks = gen::Chunks::Multiple});
		for (const auto &ie : m.interleaved())
			if (!std::has_single_bit(uint64_t{ie.chunk_size}))
				odd.insert(ie.chunk_size);
	}
	EXPECT_GE(odd.size(), 5u);
}

TEST(FmapGen, HighOffsetsEndJustBelowTwoToThe64)
{
	for (uint64_t seed = 0; seed < 50; seed++) {
		const Fmap f = gen::random_fmap(seed, {.high_offsets = true});
		ASSERT_TRUE(well_formed(f, Profile::Extended));
		ASSERT_TRUE(passes_validator(f, Profile::Extended));
		const std::vector<uint64_t> sizes = gen::device_sizes(f, gen::Fit::Exact, seed);
		const uint64_t top = *std::max_element(sizes.begin(), sizes.end());
		EXPECT_GT(top, kMax - kAlign);
	}
}

TEST(FmapGen, ExactDeviceSizesEndAtTheLastRange)
{
	for (uint64_t seed = 0; seed < 300; seed++) {
		const Fmap f = gen::random_fmap(seed, {.devices = 6});
		const std::vector<uint64_t> exact = gen::device_sizes(f, gen::Fit::Exact, seed);
		const std::vector<uint64_t> slack = gen::device_sizes(f, gen::Fit::Slack, seed);
		ASSERT_EQ(exact.size(), slack.size());
		std::vector<uint64_t> ends(exact.size(), 0);
		auto note = [&](const SimpleExtent &e) {
			ASSERT_LT(e.device, ends.size());
			ends[e.device] = std::max(ends[e.device], e.offset + e.length);
		};
		if (f.is_simple())
			std::for_each(f.simple().begin(), f.simple().end(), note);
		else
			for (const auto &ie : f.interleaved())
				std::for_each(ie.strips.begin(), ie.strips.end(), note);
		EXPECT_EQ(exact, ends);
		for (size_t d = 0; d < exact.size(); d++)
			EXPECT_TRUE(exact[d] == 0 ? slack[d] == 0 : slack[d] > exact[d]);
	}
}

TEST(FmapGen, QueriesConcentrateOnBoundariesAndNeverHaveZeroLength)
{
	const Fmap f = gen::random_fmap(5, {.layout = gen::Layout::Simple, .min_extents = 8,
					    .max_extents = 8});
	const std::vector<uint64_t> starts = extent_starts(f);
	gen::QueryGen qg(f, 5);
	int near_start = 0, past = 0, last_byte = 0, one_byte = 0, huge = 0;
	constexpr int kN = 10000;
	for (const gen::Query &q : qg.batch(kN)) {
		ASSERT_GT(q.length, 0u);
		for (uint64_t s : starts)
			if (q.offset + 1 >= s && q.offset <= s + 1) {
				near_start++;
				break;
			}
		past += q.offset >= starts.back();
		last_byte += q.offset == starts.back() - 1;
		one_byte += q.length == 1;
		huge += q.length == kMax;
	}
	EXPECT_GT(near_start, kN / 5);
	EXPECT_GT(past, kN / 20);
	EXPECT_GT(last_byte, kN / 100);
	EXPECT_GT(one_byte, kN / 20);
	EXPECT_GT(huge, kN / 20);
	EXPECT_EQ(qg.mapped_size(), starts.back());
}

} // namespace
} // namespace daxfmap

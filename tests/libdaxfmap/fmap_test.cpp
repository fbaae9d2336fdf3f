// SPDX-License-Identifier: GPL-2.0-only
// The model (fmap.cpp), errors (result.cpp) and profiles (limits.cpp).
#include <cerrno>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/result.hpp"

namespace daxfmap {
namespace {

constexpr uint64_t MiB = 1ull << 20;

InterleavedExtent ie_with(size_t nstrips)
{
	InterleavedExtent ie;
	ie.chunk_size = 2 * MiB;
	ie.nbytes = 2 * MiB;
	ie.strips.resize(nstrips, SimpleExtent{0, 0, 2 * MiB});
	return ie;
}

// ---- the model ----

TEST(FmapModel, DefaultIsAnEmptySimpleRegularFileOfVersionOne)
{
	Fmap f;
	EXPECT_TRUE(f.is_simple());
	EXPECT_EQ(f.ext_type(), ExtentType::Simple);
	EXPECT_EQ(f.file_type, FUSE_DAX_FILE_REG);
	EXPECT_EQ(f.version, 1);
	EXPECT_EQ(f.extent_count(), 0u);
	EXPECT_EQ(f.range_count(), 0u);
	EXPECT_EQ(f.wire_size(), 32u);
}

TEST(FmapModel, WireSizeOfSimpleFmapIsHeaderPlus24PerExtent)
{
	Fmap f;
	f.extents = SimpleExtents(3);
	EXPECT_EQ(f.wire_size(), 32u + 3 * 24);
	f.extents = SimpleExtents(32);
	EXPECT_EQ(f.wire_size(), 800u);
}

TEST(FmapModel, WireSizeOfInterleavedFmapCountsHeadersAndStrips)
{
	Fmap f;
	f.extents = InterleavedExtents{ie_with(4), ie_with(2), ie_with(0)};
	EXPECT_EQ(f.ext_type(), ExtentType::Interleaved);
	EXPECT_EQ(f.wire_size(), 32u + 3 * 24 + 6 * 24);
	EXPECT_EQ(f.extent_count(), 3u);
	EXPECT_EQ(f.range_count(), 6u);
}

TEST(FmapModel, RangeCountOfSimpleFmapIsItsExtentCount)
{
	Fmap f;
	f.extents = SimpleExtents(7);
	EXPECT_EQ(f.range_count(), 7u);
	EXPECT_EQ(f.extent_count(), 7u);
}

TEST(FmapModel, EqualityComparesEveryFieldIncludingReserved)
{
	Fmap a;
	a.extents = InterleavedExtents{ie_with(2)};
	Fmap b = a;
	EXPECT_EQ(a, b);
	b.interleaved()[0].strips[1].reserved = 1;
	EXPECT_NE(a, b);
	b = a;
	b.reserved1 = 1;
	EXPECT_NE(a, b);
	b = a;
	b.extents = SimpleExtents{};
	EXPECT_NE(a, b);
}

// ---- hex and format_size ----

TEST(FmapFormat, HexIsLowercaseWithPrefix)
{
	EXPECT_EQ(hex(0), "0x0");
	EXPECT_EQ(hex(0x200000), "0x200000");
	EXPECT_EQ(hex(0xABCDEF), "0xabcdef");
	EXPECT_EQ(hex(~0ull), "0xffffffffffffffff");
}

TEST(FmapFormat, FormatSizeUsesTheLargestExactBinaryUnit)
{
	EXPECT_EQ(format_size(0), "0");
	EXPECT_EQ(format_size(1), "1");
	EXPECT_EQ(format_size(4096), "4 KiB");
	EXPECT_EQ(format_size(2 * MiB), "2 MiB");
	EXPECT_EQ(format_size(3ull << 30), "3 GiB");
	EXPECT_EQ(format_size(5ull << 40), "5 TiB");
	EXPECT_EQ(format_size(1ull << 50), "1 PiB");
	EXPECT_EQ(format_size(8ull << 60), "8 EiB");
}

TEST(FmapFormat, FormatSizeNeverRounds)
{
	EXPECT_EQ(format_size(1536), "1536");
	EXPECT_EQ(format_size(1025), "1025");
	EXPECT_EQ(format_size(3 * MiB + 1024), "3073 KiB");
	EXPECT_EQ(format_size(24 * MiB + 1), "25165825");
	EXPECT_EQ(format_size(~0ull), "18446744073709551615");
	EXPECT_EQ(format_size(~0ull - 1023), "18014398509481983 KiB");
}

// ---- errors ----

TEST(FmapError, MessageNamesFieldExpectedFoundAndErrno)
{
	Error e{EINVAL, "extents[3].offset", "a multiple of 2 MiB", "0x201000", 3u};
	EXPECT_EQ(e.message(), "extents[3].offset: expected a multiple of 2 MiB, found 0x201000 (EINVAL)");
}

TEST(FmapError, MessageWithoutExpectedShowsWhatWasFound)
{
	Error e{ENAMETOOLONG, "name", "", "300 bytes"};
	EXPECT_EQ(e.message(), "name: 300 bytes (ENAMETOOLONG)");
}

TEST(FmapError, MessageWithoutFieldSaysError)
{
	Error e{ERANGE, "", "1..32", "33"};
	EXPECT_EQ(e.message(), "error: expected 1..32, found 33 (ERANGE)");
	Error only_expected{EIO, "x", "y", ""};
	EXPECT_EQ(only_expected.message(), "x: expected y (EIO)");
}

TEST(FmapError, ErrnoNamesKnownValuesAndNumbersUnknownOnes)
{
	EXPECT_EQ(errno_name(EINVAL), "EINVAL");
	EXPECT_EQ(errno_name(ERANGE), "ERANGE");
	EXPECT_EQ(errno_name(EFBIG), "EFBIG");
	EXPECT_EQ(errno_name(EOVERFLOW), "EOVERFLOW");
	EXPECT_EQ(errno_name(ENAMETOOLONG), "ENAMETOOLONG");
	EXPECT_EQ(errno_name(12345), "errno 12345");
}

TEST(FmapError, ResultHoldsAValueOrAnError)
{
	Result<int> ok = 5;
	ASSERT_TRUE(ok.ok());
	EXPECT_EQ(*ok, 5);
	Result<int> bad = Error{EIO, "f"};
	ASSERT_FALSE(bad.ok());
	EXPECT_EQ(bad.error().errnum, EIO);
	Result<void> v;
	EXPECT_TRUE(v.ok());
	Result<void> w = Error{EPERM};
	EXPECT_FALSE(static_cast<bool>(w));
	EXPECT_EQ(w.error().errnum, EPERM);
}

// ---- profiles ----

TEST(FmapLimits, ParseProfileKnowsV10AndExtendedOnly)
{
	EXPECT_EQ(parse_profile("v10"), Profile::V10);
	EXPECT_EQ(parse_profile("extended"), Profile::Extended);
	EXPECT_EQ(parse_profile("V10"), std::nullopt);
	EXPECT_EQ(parse_profile(""), std::nullopt);
	EXPECT_EQ(parse_profile("extended "), std::nullopt);
	EXPECT_EQ(parse_profile("v11"), std::nullopt);
}

TEST(FmapLimits, V10LimitsAreTheKernels)
{
	const Limits &l = limits_for(Profile::V10);
	EXPECT_EQ(l.profile, Profile::V10);
	EXPECT_EQ(l.name, "v10");
	EXPECT_EQ(l.max_extents, 32u);
	EXPECT_EQ(l.max_strips, 32u);
	EXPECT_EQ(l.max_devices, 1u);
	EXPECT_EQ(l.max_reply_bytes, 4096u);
	EXPECT_EQ(l.oversize_errno, EINVAL);
	EXPECT_FALSE(l.strict);
}

TEST(FmapLimits, ExtendedLimitsAreLargerAndStrict)
{
	const Limits &l = limits_for(Profile::Extended);
	EXPECT_EQ(l.profile, Profile::Extended);
	EXPECT_EQ(l.name, "extended");
	EXPECT_EQ(l.max_extents, 1048576u);
	EXPECT_EQ(l.max_strips, 256u);
	EXPECT_EQ(l.max_devices, 24u);
	EXPECT_EQ(l.max_reply_bytes, 32ull << 20);
	EXPECT_EQ(l.oversize_errno, EFBIG);
	EXPECT_TRUE(l.strict);
	// The largest fmap the limits allow must fit the reply limit.
	EXPECT_LE(32 + uint64_t(l.max_extents) * 24, l.max_reply_bytes);
}

} // namespace
} // namespace daxfmap

// SPDX-License-Identifier: GPL-2.0-only
// validate(): the V10 kernel's rules, errno and order on the model, and the
// extended profile's limits and extra checks.
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "libdaxfmap/validate.hpp"

namespace daxfmap {
namespace {

constexpr uint64_t MiB = 1ull << 20;
constexpr uint64_t kTop = ~0ull; // UINT64_MAX

const Limits &v10() { return limits_for(Profile::V10); }
const Limits &ext() { return limits_for(Profile::Extended); }

SimpleExtent se(uint64_t offset, uint64_t length, uint32_t device = 0)
{
	SimpleExtent e;
	e.device = device;
	e.offset = offset;
	e.length = length;
	return e;
}

Fmap simple_fmap(uint64_t file_size, SimpleExtents extents)
{
	Fmap f;
	f.file_size = file_size;
	f.extents = std::move(extents);
	return f;
}

InterleavedExtent ie(uint32_t chunk, uint64_t nbytes, std::vector<SimpleExtent> strips)
{
	InterleavedExtent x;
	x.chunk_size = chunk;
	x.nbytes = nbytes;
	x.strips = std::move(strips);
	return x;
}

// n strips of strip_len bytes, packed on device 0 from `base`.
std::vector<SimpleExtent> strips(uint32_t n, uint64_t strip_len, uint64_t base = 0)
{
	std::vector<SimpleExtent> v;
	for (uint32_t k = 0; k < n; k++)
		v.push_back(se(base + k * strip_len, strip_len));
	return v;
}

Fmap striped_fmap(uint64_t file_size, InterleavedExtents extents)
{
	Fmap f;
	f.file_size = file_size;
	f.extents = std::move(extents);
	return f;
}

// The FACTS.md vector: 4 strips, 2 MiB chunks, 24 MiB.
Fmap facts_vector()
{
	return striped_fmap(24 * MiB, {ie(2 * MiB, 24 * MiB, strips(4, 6 * MiB))});
}

std::vector<std::string> fields(const std::vector<Error> &v)
{
	std::vector<std::string> out;
	for (const auto &e : v)
		out.push_back(e.field);
	return out;
}

const Error *find(const std::vector<Error> &v, const std::string &field)
{
	for (const auto &e : v)
		if (e.field == field)
			return &e;
	return nullptr;
}

// ---- valid fmaps ----

TEST(ValidateV10, AcceptsOneAlignedSimpleExtentWithoutWarnings)
{
	auto r = validate(simple_fmap(4 * MiB, {se(2 * MiB, 4 * MiB)}), v10());
	EXPECT_TRUE(r.ok());
	EXPECT_EQ(r.errnum(), 0);
	EXPECT_TRUE(r.warnings.empty());
	EXPECT_TRUE(check(simple_fmap(4 * MiB, {se(2 * MiB, 4 * MiB)}), v10()).ok());
}

TEST(ValidateV10, AcceptsFactsTestVector)
{
	auto r = validate(facts_vector(), v10());
	EXPECT_TRUE(r.ok()) << r.errors.front().message();
	EXPECT_TRUE(r.warnings.empty());
}

TEST(ValidateV10, AcceptsUnalignedFileSizeAndNbytes)
{
	// Only offsets, lengths and chunk sizes must be aligned.
	EXPECT_TRUE(validate(simple_fmap(3 * MiB + 7, {se(0, 4 * MiB)}), v10()).ok());
	EXPECT_TRUE(validate(striped_fmap(5 * MiB + 1, {ie(2 * MiB, 5 * MiB + 1, strips(2, 4 * MiB))}),
			     v10()).ok());
}

TEST(ValidateV10, AcceptsZeroFileSize)
{
	EXPECT_TRUE(validate(simple_fmap(0, {se(0, 2 * MiB)}), v10()).ok());
}

TEST(ValidateV10, AcceptsZeroLengthExtent)
{
	// 0 is a multiple of 2 MiB and V10 has no minimum length.
	EXPECT_TRUE(validate(simple_fmap(2 * MiB, {se(0, 0), se(0, 2 * MiB)}), v10()).ok());
}

// ---- reply size (the FUSE layer, before everything else) ----

// 13 interleaved extents of 12 strips: 32 + 169 * 24 = 4088 bytes, the
// largest encoding <= 4096 (every record is 24 bytes).
Fmap near_page_fmap(uint32_t extra_strips)
{
	InterleavedExtents v;
	for (uint32_t k = 0; k < 13; k++)
		v.push_back(ie(2 * MiB, 24 * MiB, strips(12, 2 * MiB, k * 64 * MiB)));
	for (uint32_t k = 0; k < extra_strips; k++)
		v.back().strips.push_back(se(2048 * MiB + k * 2 * MiB, 2 * MiB));
	return striped_fmap(13 * 24 * MiB, std::move(v));
}

TEST(ValidateV10, AcceptsReplyOf4088BytesTheLargestUnderOnePage)
{
	Fmap f = near_page_fmap(0);
	ASSERT_EQ(f.wire_size(), 4088u);
	auto r = validate(f, v10());
	EXPECT_TRUE(r.ok()) << r.errors.front().message();
}

TEST(ValidateV10, RejectsReplyOver4096BytesWithEinval)
{
	Fmap f = near_page_fmap(1);
	ASSERT_EQ(f.wire_size(), 4112u);
	auto r = validate(f, v10());
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().field, "reply");
	EXPECT_NE(r.errors.front().expected.find("0x1000 (4096)"), std::string::npos);
	EXPECT_EQ(r.errors.front().found, "0x1010 (4112) bytes");
	// The extended profile takes it: the limit is its own.
	EXPECT_TRUE(validate(f, ext()).ok());
}

TEST(ValidateV10, OversizeReplyIsReportedBeforeErange)
{
	// 40 simple extents fit in a page (992 bytes): ERANGE alone.
	SimpleExtents few(40, se(0, 2 * MiB));
	auto r1 = validate(simple_fmap(0, few), v10());
	EXPECT_EQ(fields(r1.errors), std::vector<std::string>{"nextents"});
	EXPECT_EQ(r1.errnum(), ERANGE);
	// 200 do not (4832 bytes): the FUSE layer's EINVAL comes first.
	SimpleExtents many(200, se(0, 2 * MiB));
	auto r2 = validate(simple_fmap(0, many), v10());
	EXPECT_EQ(fields(r2.errors), (std::vector<std::string>{"reply", "nextents"}));
	EXPECT_EQ(r2.errnum(), EINVAL);
	EXPECT_EQ(r2.errors[1].errnum, ERANGE);
}

// ---- nextents ----

TEST(ValidateV10, RejectsZeroExtentsWithErange)
{
	auto r = validate(simple_fmap(0, {}), v10());
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.errnum(), ERANGE);
	EXPECT_EQ(r.errors.front().field, "nextents");
	EXPECT_EQ(r.errors.front().expected, "1..32");
	EXPECT_EQ(r.errors.front().found, "0");
	EXPECT_EQ(r.errors.front().message(), "nextents: expected 1..32, found 0 (ERANGE)");
	auto ri = validate(striped_fmap(0, {}), v10());
	EXPECT_EQ(ri.errnum(), ERANGE);
}

TEST(ValidateV10, Accepts32SimpleExtents)
{
	SimpleExtents v;
	for (uint64_t k = 0; k < 32; k++)
		v.push_back(se(k * 2 * MiB, 2 * MiB));
	EXPECT_TRUE(validate(simple_fmap(64 * MiB, v), v10()).ok());
}

TEST(ValidateV10, Rejects33SimpleExtentsWithErange)
{
	SimpleExtents v;
	for (uint64_t k = 0; k < 33; k++)
		v.push_back(se(k * 2 * MiB, 2 * MiB));
	auto r = validate(simple_fmap(66 * MiB, v), v10());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), ERANGE);
	EXPECT_EQ(r.errors.front().found, "33");
	EXPECT_FALSE(check(simple_fmap(66 * MiB, v), v10()).ok());
	EXPECT_EQ(check(simple_fmap(66 * MiB, v), v10()).error().errnum, ERANGE);
}

TEST(ValidateV10, Accepts32InterleavedExtentsAndRejects33WithErange)
{
	InterleavedExtents v;
	for (uint64_t k = 0; k < 32; k++)
		v.push_back(ie(2 * MiB, 2 * MiB, {se(k * 2 * MiB, 2 * MiB)}));
	EXPECT_TRUE(validate(striped_fmap(2 * MiB, v), v10()).ok());
	v.push_back(ie(2 * MiB, 2 * MiB, {se(64 * MiB, 2 * MiB)}));
	auto r = validate(striped_fmap(2 * MiB, v), v10());
	EXPECT_EQ(r.errnum(), ERANGE);
	EXPECT_EQ(fields(r.errors), std::vector<std::string>{"nextents"});
}

// ---- simple extents ----

TEST(ValidateV10, RejectsNonzeroDevindexWithEinval)
{
	auto r = validate(simple_fmap(4 * MiB, {se(0, 2 * MiB), se(0, 2 * MiB, 1)}), v10());
	ASSERT_EQ(r.errors.size(), 1u);
	const Error &e = r.errors.front();
	EXPECT_EQ(e.errnum, EINVAL);
	EXPECT_EQ(e.field, "extents[1].devindex");
	EXPECT_EQ(e.expected, "0 (v10 supports one device)");
	EXPECT_EQ(e.found, "1");
	EXPECT_EQ(e.extent, 1u);
	EXPECT_FALSE(e.strip.has_value());
}

TEST(ValidateV10, RejectsUnalignedOffsetWithEinval)
{
	auto r = validate(simple_fmap(2 * MiB, {se(0x201000, 2 * MiB)}), v10());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().message(),
		  "extents[0].offset: expected a multiple of 2 MiB (0x200000), found 0x201000 (EINVAL)");
	EXPECT_EQ(r.errors.front().extent, 0u);
}

TEST(ValidateV10, RejectsUnalignedLengthWithEinval)
{
	auto r = validate(simple_fmap(MiB, {se(0, MiB)}), v10());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().field, "extents[0].length");
	EXPECT_EQ(r.errors.front().found, "0x100000");
}

TEST(ValidateV10, RejectsLengthSumBelowFileSizeWithEinval)
{
	auto r = validate(simple_fmap(24 * MiB, {se(0, 20 * MiB), se(64 * MiB, 2 * MiB)}), v10());
	ASSERT_EQ(r.errors.size(), 1u);
	const Error &e = r.errors.front();
	EXPECT_EQ(e.errnum, EINVAL);
	EXPECT_EQ(e.field, "sum(extents[].length)");
	EXPECT_EQ(e.expected, ">= file_size 0x1800000");
	EXPECT_EQ(e.found, "0x1600000");
	// One byte less file and it fits.
	EXPECT_TRUE(validate(simple_fmap(22 * MiB, {se(0, 20 * MiB), se(64 * MiB, 2 * MiB)}), v10()).ok());
}

TEST(ValidateV10, ReportsEveryDeferredErrorInWalkOrderThenTheSum)
{
	auto r = validate(simple_fmap(64 * MiB, {se(MiB, 2 * MiB), se(0, 2 * MiB),
						 se(0, 3 * MiB, 5)}), v10());
	EXPECT_EQ(fields(r.errors),
		  (std::vector<std::string>{"extents[0].offset", "extents[2].devindex",
					    "extents[2].length", "sum(extents[].length)"}));
	for (const auto &e : r.errors)
		EXPECT_EQ(e.errnum, EINVAL);
}

TEST(ValidateV10, AcceptsWrappedLengthSumWithAWarning)
{
	// (2^64 - 2 MiB) + 4 MiB wraps to 2 MiB >= file_size: V10 accepts.
	Fmap f = simple_fmap(2 * MiB, {se(0, kTop - 2 * MiB + 1), se(0, 4 * MiB)});
	auto r = validate(f, v10());
	EXPECT_TRUE(r.ok()) << r.errors.front().message();
	const Error *w = find(r.warnings, "sum(extents[].length)");
	ASSERT_NE(w, nullptr);
	EXPECT_EQ(w->errnum, EOVERFLOW);
	EXPECT_NE(w->found.find("extents[1]"), std::string::npos);
	EXPECT_EQ(w->extent, 1u);
}

TEST(ValidateV10, RejectsWrappedLengthSumBelowFileSize)
{
	Fmap f = simple_fmap(4 * MiB, {se(0, kTop - 2 * MiB + 1), se(0, 4 * MiB)});
	auto r = validate(f, v10());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().found, "0x200000 (wrapped)");
}

TEST(ValidateExtended, RejectsWrappedLengthSumWithEoverflow)
{
	Fmap f = simple_fmap(2 * MiB, {se(0, kTop - 2 * MiB + 1), se(0, 4 * MiB)});
	auto r = validate(f, ext());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), EOVERFLOW);
	EXPECT_EQ(r.errors.front().field, "sum(extents[].length)");
}

TEST(ValidateV10, WarnsWhenOffsetPlusLengthWrapsAndExtendedRejectsWithEoverflow)
{
	Fmap f = simple_fmap(4 * MiB, {se(kTop - 2 * MiB + 1, 4 * MiB)});
	auto r = validate(f, v10());
	EXPECT_TRUE(r.ok());
	const Error *w = find(r.warnings, "extents[0].length");
	ASSERT_NE(w, nullptr);
	EXPECT_EQ(w->errnum, EOVERFLOW);
	auto x = validate(f, ext());
	ASSERT_EQ(x.errors.size(), 1u);
	EXPECT_EQ(x.errnum(), EOVERFLOW);
	EXPECT_EQ(x.errors.front().field, "extents[0].length");
	// A range ending at 2^64 has an end no u64 holds; one 2 MiB lower is fine.
	EXPECT_EQ(validate(simple_fmap(2 * MiB, {se(kTop - 2 * MiB + 1, 2 * MiB)}), ext()).errnum(),
		  EOVERFLOW);
	EXPECT_TRUE(validate(simple_fmap(2 * MiB, {se(kTop - 4 * MiB + 1, 2 * MiB)}), ext()).ok());
	// Ending at UINT64_MAX itself fits (misaligned, but no overflow).
	auto m = validate(simple_fmap(0, {se(MiB, kTop - MiB)}), ext());
	EXPECT_EQ(fields(m.errors), (std::vector<std::string>{"extents[0].offset", "extents[0].length"}));
	EXPECT_EQ(m.errors[1].errnum, EINVAL);
}

// ---- header fields V10 does not check ----

TEST(ValidateV10, WarnsButAcceptsUnknownVersionFileTypeAndReservedFields)
{
	Fmap f = simple_fmap(2 * MiB, {se(0, 2 * MiB)});
	f.version = 2;
	f.file_type = 9;
	f.reserved = 1;
	f.reserved0 = 0x10;
	f.reserved1 = 0x20;
	f.simple()[0].reserved = 0x30;
	for (const Limits *l : {&v10(), &ext()}) {
		auto r = validate(f, *l);
		EXPECT_TRUE(r.ok()) << l->name;
		EXPECT_EQ(fields(r.warnings),
			  (std::vector<std::string>{"file_type", "fmap_version", "reserved", "reserved0",
						    "reserved1", "extents[0].reserved"}))
			<< l->name;
	}
	const auto r = validate(f, v10());
	EXPECT_EQ(r.warnings[1].expected, "1");
	EXPECT_EQ(r.warnings[1].found, "2");
	EXPECT_EQ(r.warnings[5].found, "0x30");
}

TEST(ValidateV10, KnownFileTypesDoNotWarn)
{
	for (uint8_t t : {FUSE_DAX_FILE_REG, FUSE_DAX_FILE_SUPERBLOCK, FUSE_DAX_FILE_LOG}) {
		Fmap f = simple_fmap(2 * MiB, {se(0, 2 * MiB)});
		f.file_type = t;
		EXPECT_TRUE(validate(f, v10()).warnings.empty());
	}
}

// ---- interleaved extents ----

TEST(ValidateV10, RejectsUnalignedChunkSizeWithEinval)
{
	auto r = validate(striped_fmap(8 * MiB, {ie(MiB, 8 * MiB, strips(2, 4 * MiB))}), v10());
	ASSERT_EQ(r.errors.size(), 1u);
	const Error &e = r.errors.front();
	EXPECT_EQ(e.errnum, EINVAL);
	EXPECT_EQ(e.field, "interleaved[0].chunk_size");
	EXPECT_EQ(e.expected, "a multiple of 2 MiB (0x200000)");
	EXPECT_EQ(e.found, "0x100000");
	EXPECT_EQ(e.extent, 0u);
	EXPECT_FALSE(e.strip.has_value());
}

TEST(ValidateV10, AcceptsZeroChunkSizeWithAWarning)
{
	Fmap f = striped_fmap(8 * MiB, {ie(0, 8 * MiB, strips(2, 4 * MiB))});
	auto r = validate(f, v10());
	EXPECT_TRUE(r.ok());
	const Error *w = find(r.warnings, "interleaved[0].chunk_size");
	ASSERT_NE(w, nullptr);
	EXPECT_NE(w->expected.find("non-zero"), std::string::npos);
	EXPECT_EQ(w->found, "0x0");
}

TEST(ValidateExtended, RejectsZeroChunkSizeWithEinval)
{
	auto r = validate(striped_fmap(8 * MiB, {ie(0, 8 * MiB, strips(2, 4 * MiB))}), ext());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().field, "interleaved[0].chunk_size");
	EXPECT_EQ(r.errors.front().found, "0x0");
}

TEST(ValidateV10, RejectsZeroNbytesWithEinval)
{
	auto r = validate(striped_fmap(0, {ie(2 * MiB, 0, strips(2, 4 * MiB))}), v10());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().message(), "interleaved[0].nbytes: expected non-zero, found 0x0 (EINVAL)");
}

TEST(ValidateV10, RejectsZeroStripsWithEinval)
{
	auto r = validate(striped_fmap(0, {ie(2 * MiB, 2 * MiB, {})}), v10());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().field, "interleaved[0].nstrips");
	EXPECT_EQ(r.errors.front().expected, "1..32");
	EXPECT_EQ(r.errors.front().found, "0");
}

TEST(ValidateV10, Accepts32StripsAndRejects33WithEinval)
{
	EXPECT_TRUE(validate(striped_fmap(64 * MiB, {ie(2 * MiB, 64 * MiB, strips(32, 2 * MiB))}),
			     v10()).ok());
	auto r = validate(striped_fmap(64 * MiB, {ie(2 * MiB, 64 * MiB, strips(33, 2 * MiB))}), v10());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().field, "interleaved[0].nstrips");
	EXPECT_EQ(r.errors.front().found, "33");
}

TEST(ValidateV10, NstripsErrorIsDeferredBehindAnImmediateError)
{
	// V10 only counts a bad nstrips and goes on; the zero nbytes of the next
	// extent is where it returns.
	Fmap f = striped_fmap(2 * MiB, {ie(2 * MiB, 2 * MiB, {}),
					ie(2 * MiB, 0, strips(1, 2 * MiB))});
	auto r = validate(f, v10());
	EXPECT_EQ(fields(r.errors),
		  (std::vector<std::string>{"interleaved[1].nbytes", "interleaved[0].nstrips"}));
}

TEST(ValidateV10, OrdersImmediateThenRemainderThenDeferredErrors)
{
	// interleaved[0].strips[1] is misaligned (deferred), interleaved[1] has
	// a bad chunk_size (immediate) and the strips sum to less than file_size
	// (remainder, checked after the walk, before the deferred count).
	Fmap f = striped_fmap(64 * MiB,
			      {ie(2 * MiB, 4 * MiB, {se(0, 2 * MiB), se(3 * MiB, 2 * MiB)}),
			       ie(3 * MiB, 4 * MiB, strips(2, 2 * MiB, 64 * MiB))});
	auto r = validate(f, v10());
	EXPECT_EQ(fields(r.errors),
		  (std::vector<std::string>{"interleaved[1].chunk_size",
					    "sum(interleaved[].strips[].length)",
					    "interleaved[0].strips[1].offset"}));
	const Error &strip_err = r.errors[2];
	EXPECT_EQ(strip_err.extent, 0u);
	EXPECT_EQ(strip_err.strip, 1u);
	EXPECT_EQ(strip_err.found, "0x300000");
	EXPECT_EQ(r.errors[1].expected, ">= file_size 0x4000000");
	EXPECT_EQ(r.errors[1].found, "0x800000");
}

TEST(ValidateV10, RejectsStripErrorsWithFieldAndIndices)
{
	Fmap f = striped_fmap(16 * MiB, {ie(2 * MiB, 4 * MiB, strips(2, 2 * MiB)),
					 ie(2 * MiB, 12 * MiB, {se(0, 4 * MiB), se(0, 4 * MiB, 2),
								se(0x4100000, 4 * MiB)})});
	auto r = validate(f, v10());
	EXPECT_EQ(fields(r.errors),
		  (std::vector<std::string>{"interleaved[1].strips[1].devindex",
					    "interleaved[1].strips[2].offset"}));
	EXPECT_EQ(r.errors[1].message(),
		  "interleaved[1].strips[2].offset: expected a multiple of 2 MiB (0x200000), "
		  "found 0x4100000 (EINVAL)");
	EXPECT_EQ(r.errors[1].extent, 1u);
	EXPECT_EQ(r.errors[1].strip, 2u);
	EXPECT_EQ(r.errors[0].found, "2");
}

TEST(ValidateV10, RejectsStripSumBelowFileSizeWithEinvalOnce)
{
	auto r = validate(striped_fmap(24 * MiB, {ie(2 * MiB, 24 * MiB, strips(4, 4 * MiB))}), v10());
	ASSERT_EQ(r.errors.size(), 1u) << r.errors.back().message();
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().field, "sum(interleaved[].strips[].length)");
	EXPECT_EQ(r.errors.front().found, "0x1000000");
}

TEST(ValidateV10, RejectsStripSumOverFileSizeByMoreThan2Pow63LikeV10)
{
	// V10 keeps file_size - sum in a signed 64-bit: 2 MiB - (2^63 + 4 MiB)
	// wraps to a positive remainder, so the reply is refused although the
	// strips hold the file.  Both profiles follow V10 here.
	Fmap f = striped_fmap(2 * MiB, {ie(2 * MiB, 2 * MiB, {se(0, (1ull << 63) + 4 * MiB)})});
	for (const Limits *l : {&v10(), &ext()}) {
		auto r = validate(f, *l);
		ASSERT_EQ(r.errors.size(), 1u) << l->name;
		EXPECT_EQ(r.errnum(), EINVAL);
		EXPECT_EQ(r.errors.front().field, "sum(interleaved[].strips[].length)");
		EXPECT_NE(r.errors.front().expected.find("signed"), std::string::npos);
	}
	// Exactly 2^63 over reads as INT64_MIN, not positive: accepted.
	Fmap g = striped_fmap(2 * MiB, {ie(2 * MiB, 2 * MiB, {se(0, (1ull << 63) + 2 * MiB)})});
	EXPECT_TRUE(validate(g, v10()).ok());
}

TEST(ValidateV10, AcceptsWrappedStripSumAndExtendedRejectsWithEoverflow)
{
	Fmap f = striped_fmap(2 * MiB, {ie(2 * MiB, 2 * MiB, {se(0, kTop - 2 * MiB + 1), se(0, 4 * MiB)})});
	auto r = validate(f, v10());
	EXPECT_TRUE(r.ok()) << r.errors.front().message();
	const Error *w = find(r.warnings, "sum(interleaved[].strips[].length)");
	ASSERT_NE(w, nullptr);
	EXPECT_EQ(w->strip, 1u);
	auto x = validate(f, ext());
	ASSERT_EQ(x.errors.size(), 1u);
	EXPECT_EQ(x.errnum(), EOVERFLOW);
	EXPECT_EQ(x.errors.front().extent, 0u);
	EXPECT_EQ(x.errors.front().strip, 1u);
}

TEST(ValidateV10, WarnsAboutAStripShorterThanItsShareAndExtendedRejects)
{
	// 8 MiB over 2 strips of 2 MiB chunks: 4 MiB each.  Strip 1 has 2 MiB,
	// strip 0 makes up the sum, so V10 accepts; its resolver would map
	// strip 1's second chunk past the strip.
	Fmap f = striped_fmap(8 * MiB, {ie(2 * MiB, 8 * MiB, {se(0, 6 * MiB), se(64 * MiB, 2 * MiB)})});
	auto r = validate(f, v10());
	EXPECT_TRUE(r.ok());
	ASSERT_EQ(r.warnings.size(), 1u);
	EXPECT_EQ(r.warnings[0].field, "interleaved[0].strips[1].length");
	EXPECT_EQ(r.warnings[0].expected,
		  ">= 0x400000, its share of min(nbytes, file_size) 0x800000");
	EXPECT_EQ(r.warnings[0].found, "0x200000");
	auto x = validate(f, ext());
	ASSERT_EQ(x.errors.size(), 1u);
	EXPECT_EQ(x.errnum(), EINVAL);
	EXPECT_EQ(x.errors.front().field, "interleaved[0].strips[1].length");
}

TEST(ValidateV10, StripShareUsesTheSmallerOfNbytesAndFileSize)
{
	// nbytes 24 MiB but the file is 6 MiB: 3 chunks, strips 0..2 hold one
	// chunk each and strip 3 none.
	Fmap f = striped_fmap(6 * MiB, {ie(2 * MiB, 24 * MiB, {se(0, 2 * MiB), se(8 * MiB, 2 * MiB),
							       se(16 * MiB, 2 * MiB), se(24 * MiB, 0)})});
	EXPECT_TRUE(validate(f, ext()).ok());
	// A partial last chunk needs only its bytes: 5 MiB over 2 MiB chunks
	// on 2 strips is 3 MiB on strip 0, 2 MiB on strip 1.
	Fmap g = striped_fmap(5 * MiB, {ie(2 * MiB, 5 * MiB, {se(0, 4 * MiB), se(8 * MiB, 2 * MiB)})});
	EXPECT_TRUE(validate(g, ext()).ok());
	// Swap the lengths: the sum still holds the file, strip 0 does not
	// hold its 3 MiB.
	g.interleaved()[0].strips[0].length = 2 * MiB;
	g.interleaved()[0].strips[1].length = 4 * MiB;
	auto r = validate(g, ext());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errors.front().field, "interleaved[0].strips[0].length");
	EXPECT_EQ(r.errors.front().expected, ">= 0x300000, its share of min(nbytes, file_size) 0x500000");
	// With file_size 4 MiB only 2 chunks are data: 2 MiB is strip 0's share.
	g.file_size = 4 * MiB;
	EXPECT_TRUE(validate(g, ext()).ok());
}

TEST(ValidateV10, WarnsWhenNbytesDoNotCoverTheFile)
{
	// The strips hold 4 MiB, but nbytes says the extent holds 2 MiB: the
	// resolver finds nothing for file bytes 2..4 MiB.
	Fmap f = striped_fmap(4 * MiB, {ie(2 * MiB, 2 * MiB, strips(2, 2 * MiB))});
	auto r = validate(f, v10());
	EXPECT_TRUE(r.ok());
	const Error *w = find(r.warnings, "sum(interleaved[].nbytes)");
	ASSERT_NE(w, nullptr);
	EXPECT_EQ(w->found, "0x200000");
}

TEST(ValidateExtended, RejectsNbytesThatDoNotCoverTheFileBecauseFilesHaveNoHoles)
{
	Fmap f = striped_fmap(4 * MiB, {ie(2 * MiB, 2 * MiB, strips(2, 2 * MiB))});
	auto r = validate(f, ext());
	ASSERT_FALSE(r.ok());
	const Error *e = find(r.errors, "sum(interleaved[].nbytes)");
	ASSERT_NE(e, nullptr);
	EXPECT_EQ(e->errnum, EINVAL);
	EXPECT_EQ(e->found, "0x200000");
	EXPECT_EQ(e->expected, ">= file_size 0x400000 (bytes past it do not resolve)");
}

TEST(ValidateV10, WarnsAboutInterleavedReservedFields)
{
	Fmap f = facts_vector();
	f.interleaved()[0].reserved = 5;
	f.interleaved()[0].strips[3].reserved = 6;
	auto r = validate(f, v10());
	EXPECT_TRUE(r.ok());
	EXPECT_EQ(fields(r.warnings), (std::vector<std::string>{"interleaved[0].reserved",
								"interleaved[0].strips[3].reserved"}));
}

// ---- the extended profile ----

TEST(ValidateExtended, AcceptsAllTwentyFourDevices)
{
	SimpleExtents v;
	for (uint32_t d = 0; d < 24; d++)
		v.push_back(se(0, 2 * MiB, d));
	EXPECT_TRUE(validate(simple_fmap(48 * MiB, v), ext()).ok());
	auto r = validate(simple_fmap(48 * MiB, v), v10());
	EXPECT_EQ(r.errors.size(), 23u); // devices 1..23
}

TEST(ValidateExtended, RejectsDeviceIndex24WithEinval)
{
	auto r = validate(simple_fmap(2 * MiB, {se(0, 2 * MiB, 24)}), ext());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errnum(), EINVAL);
	EXPECT_EQ(r.errors.front().field, "extents[0].devindex");
	EXPECT_EQ(r.errors.front().expected, "0..23");
	EXPECT_EQ(r.errors.front().found, "24");
}

TEST(ValidateExtended, AcceptsStripsOnSeveralDevices)
{
	std::vector<SimpleExtent> s;
	for (uint32_t d = 0; d < 4; d++)
		s.push_back(se(0, 6 * MiB, d));
	Fmap f = striped_fmap(24 * MiB, {ie(2 * MiB, 24 * MiB, s)});
	EXPECT_TRUE(validate(f, ext()).ok());
	EXPECT_EQ(validate(f, v10()).errors.size(), 3u);
}

TEST(ValidateExtended, Accepts256StripsAndRejects257)
{
	EXPECT_TRUE(validate(striped_fmap(512 * MiB, {ie(2 * MiB, 512 * MiB, strips(256, 2 * MiB))}),
			     ext()).ok());
	auto r = validate(striped_fmap(512 * MiB, {ie(2 * MiB, 512 * MiB, strips(257, 2 * MiB))}), ext());
	ASSERT_EQ(r.errors.size(), 1u);
	EXPECT_EQ(r.errors.front().expected, "1..256");
}

TEST(ValidateExtended, AcceptsOneMebiExtentsAndRejectsOneMore)
{
	SimpleExtents v(kExtendedMaxExtents);
	for (uint64_t k = 0; k < v.size(); k++)
		v[k] = se(k * 2 * MiB, 2 * MiB, static_cast<uint32_t>(k % 24));
	Fmap f = simple_fmap(uint64_t(kExtendedMaxExtents) * 2 * MiB, std::move(v));
	ASSERT_EQ(f.extent_count(), 1048576u);
	auto r = validate(f, ext());
	EXPECT_TRUE(r.ok()) << r.errors.front().message();
	EXPECT_TRUE(r.warnings.empty());

	f.simple().push_back(se(0, 2 * MiB));
	auto x = validate(f, ext());
	ASSERT_EQ(x.errors.size(), 1u);
	EXPECT_EQ(x.errnum(), ERANGE);
	EXPECT_EQ(x.errors.front().expected, "1..1048576");
	EXPECT_EQ(x.errors.front().found, "1048577");
}

TEST(ValidateExtended, RejectsReplyOver32MiBWithEfbigFirst)
{
	// 32 + 1,398,100 * 24 is exactly 32 MiB: over the count, not the size.
	SimpleExtents v(1'398'100, se(0, 2 * MiB));
	Fmap f = simple_fmap(0, std::move(v));
	ASSERT_EQ(f.wire_size(), 32ull << 20);
	auto at = validate(f, ext());
	EXPECT_EQ(fields(at.errors), std::vector<std::string>{"nextents"});
	// One more extent and the reply is too big, reported first.
	f.simple().push_back(se(0, 2 * MiB));
	auto r = validate(f, ext());
	ASSERT_EQ(r.errors.size(), 2u);
	EXPECT_EQ(r.errnum(), EFBIG);
	EXPECT_EQ(r.errors[0].field, "reply");
	EXPECT_EQ(r.errors[0].found, "0x2000018 (33554456) bytes");
	EXPECT_EQ(r.errors[1].errnum, ERANGE);
}

TEST(ValidateExtended, CapsTheListOfAMillionErrorsAndCountsTheRest)
{
	SimpleExtents v(kExtendedMaxExtents, se(MiB, 2 * MiB));
	auto r = validate(simple_fmap(0, std::move(v)), ext());
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.errors.size(), ValidationReport::kMaxListed);
	EXPECT_EQ(r.errors_omitted, kExtendedMaxExtents - ValidationReport::kMaxListed);
	EXPECT_EQ(r.errors.front().field, "extents[0].offset");
	EXPECT_EQ(r.errors.back().field, "extents[4095].offset");
}

TEST(ValidateExtended, RejectsEverythingV10RejectsExceptLimits)
{
	const std::vector<Fmap> broken = {
		simple_fmap(2 * MiB, {se(MiB, 2 * MiB)}),
		simple_fmap(2 * MiB, {se(0, MiB)}),
		simple_fmap(8 * MiB, {se(0, 2 * MiB)}),
		striped_fmap(8 * MiB, {ie(MiB, 8 * MiB, strips(2, 4 * MiB))}),
		striped_fmap(8 * MiB, {ie(2 * MiB, 0, strips(2, 4 * MiB))}),
		striped_fmap(8 * MiB, {ie(2 * MiB, 8 * MiB, {})}),
		striped_fmap(8 * MiB, {ie(2 * MiB, 8 * MiB, strips(2, 2 * MiB))}),
		simple_fmap(0, {}),
	};
	for (size_t k = 0; k < broken.size(); k++) {
		auto a = validate(broken[k], v10());
		auto b = validate(broken[k], ext());
		EXPECT_FALSE(a.ok()) << k;
		EXPECT_FALSE(b.ok()) << k;
		EXPECT_EQ(a.errnum(), b.errnum()) << k;
	}
}

TEST(ValidateReport, CheckReturnsTheFirstError)
{
	auto r = check(simple_fmap(64 * MiB, {se(MiB, 2 * MiB), se(0, 3 * MiB)}), v10());
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().field, "extents[0].offset");
	EXPECT_TRUE(check(facts_vector(), ext()).ok());
}

TEST(ValidateReport, CheckGivesTheFullReportsFirstErrorWhicheverGroupItIsIn)
{
	// Errors of several groups, listed out of walk order: the deferred
	// offset of extent 0 comes after extent 1's immediate chunk_size.
	const std::vector<Fmap> fmaps = {
		striped_fmap(64 * MiB, {ie(2 * MiB, 8 * MiB, {se(MiB, 4 * MiB), se(0, 4 * MiB)}),
					ie(MiB, 8 * MiB, strips(2, 4 * MiB))}),
		simple_fmap(64 * MiB, {se(MiB, 2 * MiB), se(0, 3 * MiB)}),
		simple_fmap(0, {}),
		facts_vector(),
	};
	for (size_t k = 0; k < fmaps.size(); k++)
		for (const Limits *l : {&v10(), &ext()}) {
			const ValidationReport full = validate(fmaps[k], *l);
			const Result<void> first = check(fmaps[k], *l);
			ASSERT_EQ(first.ok(), full.ok()) << k;
			if (!full.ok())
				EXPECT_EQ(first.error().message(), full.errors.front().message()) << k;
		}
}

TEST(ValidateReport, AShortListIsTheFullListsBeginningAndCountsTheRest)
{
	const Fmap f = striped_fmap(64 * MiB, {ie(2 * MiB, 8 * MiB, {se(MiB, 4 * MiB), se(0, 4 * MiB)}),
					       ie(MiB, 8 * MiB, strips(2, 4 * MiB))});
	const ValidationReport full = validate(f, v10());
	ASSERT_GE(full.errors.size(), 3u);
	const ValidationReport two = validate(f, v10(), 2);
	ASSERT_EQ(two.errors.size(), 2u);
	EXPECT_EQ(fields(two.errors),
		  (std::vector<std::string>{full.errors[0].field, full.errors[1].field}));
	EXPECT_EQ(two.errors_omitted, full.errors.size() - 2);
	EXPECT_EQ(full.errors[0].field, "interleaved[1].chunk_size");
}

} // namespace
} // namespace daxfmap

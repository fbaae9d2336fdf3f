// SPDX-License-Identifier: GPL-2.0-only
// The GET_FMAP / GET_DAXDEV wire codec: V10's parse order and errno, exact
// encodings, round trips, and random replies and mutations.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "libdaxfmap/validate.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap {
namespace {

constexpr uint64_t MiB = 1ull << 20;

const Limits &v10() { return limits_for(Profile::V10); }
const Limits &ext() { return limits_for(Profile::Extended); }

// Replies assembled byte by byte, independently of the codec.
class Wire {
public:
	Wire &u8(uint8_t v) { b_.push_back(v); return *this; }
	Wire &u16(uint16_t v) { return le(v, 2); }
	Wire &u32(uint32_t v) { return le(v, 4); }
	Wire &u64(uint64_t v) { return le(v, 8); }
	Wire &zeros(size_t n) { b_.resize(b_.size() + n, 0); return *this; }

	Wire &header(uint32_t ext_type, uint32_t nextents, uint64_t file_size)
	{
		return u8(0).u8(0).u16(1).u32(ext_type).u32(nextents).u32(0).u64(file_size).u64(0);
	}
	Wire &simple(uint64_t offset, uint64_t len, uint32_t dev = 0)
	{
		return u32(dev).u32(0).u64(offset).u64(len);
	}
	Wire &inter(uint32_t nstrips, uint32_t chunk, uint64_t nbytes)
	{
		return u32(nstrips).u32(chunk).u64(nbytes).u64(0);
	}
	Bytes bytes() const { return b_; }
	size_t size() const { return b_.size(); }

private:
	Wire &le(uint64_t v, int n)
	{
		for (int i = 0; i < n; i++)
			b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
		return *this;
	}
	Bytes b_;
};

uint64_t rd(const Bytes &b, size_t off, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= uint64_t(b[off + i]) << (8 * i);
	return v;
}

// V10's verdict on a reply, walked over the bytes the way the kernel walks
// them (FACTS.md and the rules in validate.hpp), as a differential oracle
// for decode_and_validate(): returns the errno, 0 if accepted.
int v10_verdict(const Bytes &b)
{
	constexpr uint64_t mask = 2 * MiB - 1;
	const uint64_t size = b.size();
	if (size > 4096 || size < 32)
		return EINVAL;
	const uint64_t ext_type = rd(b, 4, 4), n = rd(b, 8, 4), file_size = rd(b, 16, 8);
	if (n < 1 || n > 32)
		return ERANGE;
	uint64_t total = 0, off = 32;
	int errs = 0;
	auto strip = [&](uint64_t at) {
		errs += rd(b, at, 4) != 0;
		errs += (rd(b, at + 8, 8) & mask) != 0;
		errs += (rd(b, at + 16, 8) & mask) != 0;
		total += rd(b, at + 16, 8);
		return rd(b, at + 16, 8);
	};
	if (ext_type == 0) {
		if (size < 32 + n * 24)
			return EINVAL;
		for (uint64_t i = 0; i < n; i++)
			strip(32 + i * 24);
	} else if (ext_type == 1) {
		int64_t remainder = static_cast<int64_t>(file_size);
		for (uint64_t i = 0; i < n; i++) {
			if (off + 24 > size)
				return EINVAL;
			const uint64_t ns = rd(b, off, 4), chunk = rd(b, off + 4, 4);
			const uint64_t nbytes = rd(b, off + 8, 8);
			off += 24;
			if (chunk & mask)
				return EINVAL;
			if (nbytes == 0)
				return EINVAL;
			if (off + ns * 24 > size)
				return EINVAL;
			errs += ns < 1 || ns > 32;
			for (uint64_t j = 0; j < ns; j++, off += 24)
				remainder = static_cast<int64_t>(static_cast<uint64_t>(remainder) - strip(off));
		}
		if (remainder > 0)
			return EINVAL;
	} else {
		return EINVAL;
	}
	if (errs)
		return EINVAL;
	if (total < file_size)
		return EINVAL;
	return 0;
}

int verdict(const Bytes &b, const Limits &l)
{
	auto r = decode_and_validate(b, l);
	return r.ok() ? 0 : r.error().errnum;
}

std::string describe(const Bytes &b, const Limits &l)
{
	auto r = decode_and_validate(b, l);
	return r.ok() ? "accepted" : r.error().message();
}

Bytes facts_reply()
{
	Wire w;
	w.header(1, 1, 24 * MiB).inter(4, 2 * MiB, 24 * MiB);
	for (uint64_t k = 0; k < 4; k++)
		w.simple(k * 6 * MiB, 6 * MiB);
	return w.bytes();
}

// ---- the V10 parse: each rule, accept and reject, with its errno ----

TEST(WireCodecDecodeV10, DecodesASimpleReplyFieldByField)
{
	Wire w;
	w.u8(2).u8(0x11).u16(7).u32(0).u32(2).u32(0x22).u64(5 * MiB).u64(0x33);
	w.u32(0).u32(0x44).u64(2 * MiB).u64(4 * MiB);
	w.u32(0).u32(0).u64(10 * MiB).u64(2 * MiB);
	auto d = decode_fmap(w.bytes(), v10());
	ASSERT_TRUE(d.ok()) << d.error().message();
	const Fmap &f = d->fmap;
	EXPECT_EQ(d->consumed, 80u);
	EXPECT_EQ(f.file_type, 2);
	EXPECT_EQ(f.reserved, 0x11);
	EXPECT_EQ(f.version, 7);
	EXPECT_EQ(f.reserved0, 0x22u);
	EXPECT_EQ(f.reserved1, 0x33u);
	EXPECT_EQ(f.file_size, 5 * MiB);
	ASSERT_TRUE(f.is_simple());
	ASSERT_EQ(f.simple().size(), 2u);
	EXPECT_EQ(f.simple()[0].reserved, 0x44u);
	EXPECT_EQ(f.simple()[0].offset, 2 * MiB);
	EXPECT_EQ(f.simple()[0].length, 4 * MiB);
	EXPECT_EQ(f.simple()[1].offset, 10 * MiB);
	// Version, file type and reserved fields are not V10's business.
	EXPECT_TRUE(decode_and_validate(w.bytes(), v10()).ok());
}

TEST(WireCodecDecodeV10, DecodesAnInterleavedReply)
{
	auto d = decode_and_validate(facts_reply(), v10());
	ASSERT_TRUE(d.ok()) << d.error().message();
	ASSERT_FALSE(d->fmap.is_simple());
	const auto &ie = d->fmap.interleaved().at(0);
	EXPECT_EQ(ie.chunk_size, 2 * MiB);
	EXPECT_EQ(ie.nbytes, 24 * MiB);
	ASSERT_EQ(ie.strips.size(), 4u);
	EXPECT_EQ(ie.strips[3].offset, 18 * MiB);
	EXPECT_EQ(d->consumed, 152u);
}

TEST(WireCodecDecodeV10, Accepts4096ByteReplyAndIgnoresTrailingBytes)
{
	Wire w;
	w.header(0, 1, 2 * MiB).simple(0, 2 * MiB);
	w.zeros(4096 - w.size());
	Bytes b = w.bytes();
	b[100] = 0xee; // trailing garbage is not looked at
	auto d = decode_and_validate(b, v10());
	ASSERT_TRUE(d.ok()) << d.error().message();
	EXPECT_EQ(d->consumed, 56u);
}

TEST(WireCodecDecodeV10, RejectsReplyOf4097BytesWithEinvalBeforeAnythingElse)
{
	// The header alone would be ERANGE (nextents 0): size is checked first.
	Bytes b(4097, 0);
	auto d = decode_fmap(b, v10());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().field, "reply");
	EXPECT_EQ(d.error().found, "0x1001 (4097) bytes");
	EXPECT_NE(d.error().expected.find("at most 0x1000 (4096) bytes"), std::string::npos);
	EXPECT_EQ(verdict(b, v10()), EINVAL);
	// The same bytes cut to a page: now the header speaks.
	b.resize(4096);
	EXPECT_EQ(verdict(b, v10()), ERANGE);
}

TEST(WireCodecDecodeV10, RejectsBufferShorterThanHeaderWithEinval)
{
	Wire w;
	w.header(0, 1, 0);
	Bytes b = w.bytes();
	b.resize(31);
	auto d = decode_fmap(b, v10());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().field, "header");
	EXPECT_EQ(d.error().found, "0x1f (31) bytes");
	EXPECT_EQ(verdict({}, v10()), EINVAL);
}

TEST(WireCodecDecodeV10, RejectsNextentsZeroAndThirtyThreeWithErange)
{
	for (uint32_t n : {0u, 33u, 0xffffffffu}) {
		Wire w;
		w.header(0, n, 0);
		for (uint32_t k = 0; k < std::min(n, 40u); k++)
			w.simple(0, 2 * MiB);
		auto d = decode_fmap(w.bytes(), v10());
		ASSERT_FALSE(d.ok()) << n;
		EXPECT_EQ(d.error().errnum, ERANGE) << n;
		EXPECT_EQ(d.error().field, "nextents");
		EXPECT_EQ(d.error().expected, "1..32");
		EXPECT_EQ(d.error().found, std::to_string(n));
	}
}

TEST(WireCodecDecodeV10, Accepts32SimpleExtents)
{
	Wire w;
	w.header(0, 32, 64 * MiB);
	for (uint64_t k = 0; k < 32; k++)
		w.simple(k * 2 * MiB, 2 * MiB);
	auto d = decode_and_validate(w.bytes(), v10());
	ASSERT_TRUE(d.ok()) << d.error().message();
	EXPECT_EQ(d->fmap.extent_count(), 32u);
}

TEST(WireCodecDecodeV10, ErangeComesBeforeUnknownExtType)
{
	Wire w;
	w.header(7, 0, 0);
	EXPECT_EQ(verdict(w.bytes(), v10()), ERANGE);
	Wire x;
	x.header(7, 1, 0).simple(0, 2 * MiB);
	auto d = decode_fmap(x.bytes(), v10());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().message(), "ext_type: expected 0 (simple) or 1 (interleave), found 7 (EINVAL)");
}

TEST(WireCodecDecodeV10, ErangeComesBeforeTheExtentListLength)
{
	Wire w;
	w.header(0, 33, 0); // no extents at all
	EXPECT_EQ(verdict(w.bytes(), v10()), ERANGE);
}

TEST(WireCodecDecodeV10, RejectsTruncatedSimpleExtentListWithEinval)
{
	Wire w;
	w.header(0, 3, 6 * MiB).simple(0, 2 * MiB).simple(2 * MiB, 2 * MiB).simple(4 * MiB, 2 * MiB);
	EXPECT_EQ(verdict(w.bytes(), v10()), 0);
	Bytes b = w.bytes();
	b.pop_back();
	auto d = decode_fmap(b, v10());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().field, "extents");
	EXPECT_NE(d.error().expected.find("3 extents of 24 bytes: 0x48 (72) bytes"), std::string::npos);
	EXPECT_EQ(d.error().found, "0x47 (71) bytes");
	// A header with nothing after it.
	Wire h;
	h.header(0, 1, 0);
	EXPECT_EQ(verdict(h.bytes(), v10()), EINVAL);
}

TEST(WireCodecDecodeV10, RejectsTruncatedInterleavedHeaderWithEinval)
{
	Wire w;
	w.header(1, 2, 2 * MiB).inter(1, 2 * MiB, 2 * MiB).simple(0, 2 * MiB).inter(1, 2 * MiB, 2 * MiB);
	Bytes b = w.bytes();
	b.resize(b.size() - 1);
	auto d = decode_fmap(b, v10());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().field, "interleaved[1]");
	EXPECT_EQ(d.error().extent, 1u);
	EXPECT_EQ(d.error().found, "0x17 (23) bytes");
}

TEST(WireCodecDecodeV10, RejectsTruncatedStripListWithEinval)
{
	Bytes b = facts_reply();
	b.resize(b.size() - 24);
	auto d = decode_fmap(b, v10());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().field, "interleaved[0].strips");
	EXPECT_NE(d.error().expected.find("4 strips of 24 bytes: 0x60 (96) bytes at offset 0x38"),
		  std::string::npos);
	EXPECT_EQ(d.error().found, "0x48 (72) bytes");
}

TEST(WireCodecDecodeV10, RejectsHugeNstripsAsShortWithoutAllocating)
{
	// 0xffffffff strips of 24 bytes is ~96 GiB: the length check must be
	// done in 64 bits and before any allocation.
	for (const Limits *l : {&v10(), &ext()}) {
		Wire w;
		w.header(1, 1, 2 * MiB).inter(0xffffffffu, 2 * MiB, 2 * MiB).simple(0, 2 * MiB);
		auto d = decode_fmap(w.bytes(), *l);
		ASSERT_FALSE(d.ok());
		EXPECT_EQ(d.error().errnum, EINVAL);
		EXPECT_EQ(d.error().field, "interleaved[0].strips");
	}
}

TEST(WireCodecDecodeExtended, RejectsHugeNextentsInATinyReplyWithEinval)
{
	Wire w;
	w.header(1, 1u << 20, 0).inter(1, 2 * MiB, 2 * MiB).simple(0, 2 * MiB);
	auto d = decode_fmap(w.bytes(), ext());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().field, "interleaved[1]");
	Wire s;
	s.header(0, 1u << 20, 0).simple(0, 2 * MiB);
	EXPECT_EQ(verdict(s.bytes(), ext()), EINVAL);
}

TEST(WireCodecDecodeV10, RejectsUnalignedChunkSizeBeforeTheStripListLength)
{
	// The strips are missing too, but V10 fails on chunk_size first.
	Wire w;
	w.header(1, 1, 2 * MiB).inter(4, 3 * MiB, 2 * MiB);
	auto d = decode_and_validate(w.bytes(), v10());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().field, "interleaved[0].chunk_size");
	EXPECT_EQ(d.error().found, "0x300000");
	// Plain decoding is structural: it reports the short strip list.
	EXPECT_EQ(decode_fmap(w.bytes(), v10()).error().field, "interleaved[0].strips");
}

TEST(WireCodecDecodeV10, RejectsZeroNbytesBeforeTheStripListLength)
{
	Wire w;
	w.header(1, 1, 2 * MiB).inter(4, 2 * MiB, 0);
	auto d = decode_and_validate(w.bytes(), v10());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().field, "interleaved[0].nbytes");
	EXPECT_EQ(d.error().errnum, EINVAL);
}

TEST(WireCodecDecodeV10, AcceptsZeroChunkSize)
{
	Wire w;
	w.header(1, 1, 2 * MiB).inter(1, 0, 2 * MiB).simple(0, 2 * MiB);
	EXPECT_EQ(verdict(w.bytes(), v10()), 0);
	EXPECT_EQ(verdict(w.bytes(), ext()), EINVAL);
	EXPECT_EQ(decode_and_validate(w.bytes(), ext()).error().field, "interleaved[0].chunk_size");
}

TEST(WireCodecDecodeV10, NstripsOutOfRangeIsADeferredEinval)
{
	// nstrips 0: nothing to read, the walk goes on to the next extent.
	Wire w;
	w.header(1, 2, 2 * MiB).inter(0, 2 * MiB, 2 * MiB).inter(1, 2 * MiB, 2 * MiB).simple(0, 2 * MiB);
	auto d = decode_fmap(w.bytes(), v10());
	ASSERT_TRUE(d.ok()) << d.error().message();
	EXPECT_EQ(d->consumed, w.size());
	auto v = decode_and_validate(w.bytes(), v10());
	ASSERT_FALSE(v.ok());
	EXPECT_EQ(v.error().errnum, EINVAL);
	EXPECT_EQ(v.error().field, "interleaved[0].nstrips");

	// 33 strips, all present: read, then refused.
	Wire x;
	x.header(1, 1, 66 * MiB).inter(33, 2 * MiB, 66 * MiB);
	for (uint64_t k = 0; k < 33; k++)
		x.simple(k * 2 * MiB, 2 * MiB);
	EXPECT_EQ(decode_fmap(x.bytes(), v10())->consumed, x.size());
	EXPECT_EQ(decode_and_validate(x.bytes(), v10()).error().field, "interleaved[0].nstrips");
	EXPECT_EQ(verdict(x.bytes(), ext()), 0);

	// A bad nstrips in extent 0 does not hide the zero nbytes in extent 1:
	// V10 returns on the latter.
	Wire y;
	y.header(1, 2, 2 * MiB).inter(0, 2 * MiB, 2 * MiB).inter(1, 2 * MiB, 0).simple(0, 2 * MiB);
	EXPECT_EQ(decode_and_validate(y.bytes(), v10()).error().field, "interleaved[1].nbytes");
}

TEST(WireCodecDecodeV10, Accepts32Strips)
{
	Wire w;
	w.header(1, 1, 64 * MiB).inter(32, 2 * MiB, 64 * MiB);
	for (uint64_t k = 0; k < 32; k++)
		w.simple(k * 2 * MiB, 2 * MiB);
	EXPECT_EQ(verdict(w.bytes(), v10()), 0);
}

TEST(WireCodecDecodeV10, RejectsStripRuleViolationsWithEinval)
{
	struct Case {
		uint32_t dev;
		uint64_t offset, len;
		const char *field;
	};
	for (const Case &c : {Case{1, 0, 6 * MiB, "interleaved[0].strips[2].devindex"},
			      Case{0, 0x1000, 6 * MiB, "interleaved[0].strips[2].offset"},
			      Case{0, 0, 6 * MiB + 4096, "interleaved[0].strips[2].length"}}) {
		Wire w;
		w.header(1, 1, 24 * MiB).inter(4, 2 * MiB, 24 * MiB);
		for (uint32_t k = 0; k < 4; k++)
			if (k == 2)
				w.simple(c.offset, c.len, c.dev);
			else
				w.simple(k * 6 * MiB, 6 * MiB);
		auto d = decode_and_validate(w.bytes(), v10());
		ASSERT_FALSE(d.ok()) << c.field;
		EXPECT_EQ(d.error().errnum, EINVAL);
		EXPECT_EQ(d.error().field, c.field);
		EXPECT_EQ(d.error().strip, 2u);
		EXPECT_EQ(v10_verdict(w.bytes()), EINVAL);
	}
}

TEST(WireCodecDecodeV10, RejectsSimpleRuleViolationsWithEinval)
{
	struct Case {
		uint32_t dev;
		uint64_t offset, len, file_size;
		const char *field;
	};
	for (const Case &c : {Case{3, 0, 2 * MiB, 2 * MiB, "extents[0].devindex"},
			      Case{0, MiB, 2 * MiB, 2 * MiB, "extents[0].offset"},
			      Case{0, 0, 3 * MiB, 3 * MiB, "extents[0].length"},
			      Case{0, 0, 2 * MiB, 2 * MiB + 1, "sum(extents[].length)"}}) {
		Wire w;
		w.header(0, 1, c.file_size).simple(c.offset, c.len, c.dev);
		auto d = decode_and_validate(w.bytes(), v10());
		ASSERT_FALSE(d.ok()) << c.field;
		EXPECT_EQ(d.error().errnum, EINVAL);
		EXPECT_EQ(d.error().field, c.field);
	}
}

TEST(WireCodecDecodeV10, RejectsStripsShorterThanFileSizeWithEinval)
{
	Wire w;
	w.header(1, 1, 24 * MiB + 1).inter(4, 2 * MiB, 24 * MiB);
	for (uint64_t k = 0; k < 4; k++)
		w.simple(k * 6 * MiB, 6 * MiB);
	auto d = decode_and_validate(w.bytes(), v10());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().field, "sum(interleaved[].strips[].length)");
}

TEST(WireCodecDecodeExtended, RejectsReplyOver32MiBWithEfbigAndAcceptsExactly32MiB)
{
	Wire w;
	w.header(0, 1, 2 * MiB).simple(0, 2 * MiB);
	Bytes b = w.bytes();
	b.resize(32 * MiB);
	EXPECT_EQ(verdict(b, ext()), 0);
	b.push_back(0);
	auto d = decode_fmap(b, ext());
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EFBIG);
	EXPECT_EQ(d.error().field, "reply");
}

TEST(WireCodecDecodeExtended, AcceptsOneMebiSimpleExtentsOnManyDevices)
{
	const uint32_t n = kExtendedMaxExtents;
	Wire w;
	w.header(0, n, uint64_t(n) * 2 * MiB);
	for (uint64_t k = 0; k < n; k++)
		w.simple(k / 24 * 2 * MiB, 2 * MiB, static_cast<uint32_t>(k % 24));
	auto d = decode_and_validate(w.bytes(), ext());
	ASSERT_TRUE(d.ok()) << d.error().message();
	EXPECT_EQ(d->fmap.extent_count(), n);
	EXPECT_EQ(d->fmap.simple().back().device, (n - 1) % 24);
	EXPECT_EQ(encode_fmap(d->fmap), w.bytes());
	EXPECT_EQ(verdict(w.bytes(), v10()), EINVAL); // far over a page
}

// ---- encoding ----

TEST(WireCodecEncode, FactsVectorEncodesToTheExpectedBytes)
{
	Fmap f;
	f.file_size = 24 * MiB;
	InterleavedExtent ie;
	ie.chunk_size = 2 * MiB;
	ie.nbytes = 24 * MiB;
	for (uint64_t k = 0; k < 4; k++)
		ie.strips.push_back({0, k * 6 * MiB, 6 * MiB});
	f.extents = InterleavedExtents{ie};
	const Bytes b = encode_fmap(f);
	ASSERT_EQ(b.size(), 152u);
	EXPECT_EQ(rd(b, 0, 1), 0u);           // file_type
	EXPECT_EQ(rd(b, 2, 2), 1u);           // fmap_version
	EXPECT_EQ(rd(b, 4, 4), 1u);           // ext_type: interleave
	EXPECT_EQ(rd(b, 8, 4), 1u);           // nextents
	EXPECT_EQ(rd(b, 16, 8), 0x1800000u);  // file_size
	EXPECT_EQ(rd(b, 32, 4), 4u);          // nstrips
	EXPECT_EQ(rd(b, 36, 4), 0x200000u);   // chunk_size
	EXPECT_EQ(rd(b, 40, 8), 0x1800000u);  // nbytes
	for (size_t k = 0; k < 4; k++) {
		const size_t at = 56 + 24 * k;
		EXPECT_EQ(rd(b, at, 4), 0u) << k;
		EXPECT_EQ(rd(b, at + 8, 8), k * 0x600000) << k;
		EXPECT_EQ(rd(b, at + 16, 8), 0x600000u) << k;
	}
	// Little-endian byte by byte: file_size 0x01800000 at 16..23.
	EXPECT_EQ((Bytes{b.begin() + 16, b.begin() + 24}), (Bytes{0, 0, 0x80, 0x01, 0, 0, 0, 0}));
	EXPECT_EQ(b, facts_reply());
}

TEST(WireCodecEncode, WritesReservedFieldsFaithfully)
{
	Fmap f;
	f.file_type = 0xab;
	f.reserved = 0xcd;
	f.version = 0x1234;
	f.reserved0 = 0x89abcdef;
	f.reserved1 = 0x0102030405060708;
	f.file_size = 2 * MiB;
	InterleavedExtent ie;
	ie.chunk_size = 2 * MiB;
	ie.nbytes = 2 * MiB;
	ie.reserved = 0x1122334455667788;
	ie.strips.push_back({0, 0, 2 * MiB, 0xdeadbeef});
	f.extents = InterleavedExtents{ie};
	const Bytes b = encode_fmap(f);
	EXPECT_EQ(b[0], 0xab);
	EXPECT_EQ(b[1], 0xcd);
	EXPECT_EQ(rd(b, 2, 2), 0x1234u);
	EXPECT_EQ(rd(b, 12, 4), 0x89abcdefu);
	EXPECT_EQ(rd(b, 24, 8), 0x0102030405060708u);
	EXPECT_EQ(rd(b, 48, 8), 0x1122334455667788u);
	EXPECT_EQ(rd(b, 60, 4), 0xdeadbeefu);
	auto d = decode_fmap(b, v10());
	ASSERT_TRUE(d.ok());
	EXPECT_EQ(d->fmap, f);
}

TEST(WireCodecEncode, EncodesEmptyAndOutOfRangeModelsToo)
{
	// encode never judges: an fmap validate() refuses still encodes.
	Fmap f;
	EXPECT_EQ(encode_fmap(f).size(), 32u);
	EXPECT_EQ(rd(encode_fmap(f), 8, 4), 0u);
	f.extents = SimpleExtents(40, SimpleExtent{0, 0, 2 * MiB});
	EXPECT_EQ(encode_fmap(f).size(), 32u + 40 * 24);
	EXPECT_EQ(decode_fmap(encode_fmap(f), v10()).error().errnum, ERANGE);
}

// ---- round trips ----

TEST(WireCodecRoundTrip, HandMadeRepliesRoundTrip)
{
	std::vector<Bytes> vectors;
	vectors.push_back(facts_reply());
	Wire a;
	a.header(0, 2, 3 * MiB).simple(0, 2 * MiB).simple(64 * MiB, 2 * MiB);
	vectors.push_back(a.bytes());
	Wire b;
	b.u8(1).u8(9).u16(3).u32(1).u32(2).u32(5).u64(8 * MiB).u64(6);
	b.inter(1, 2 * MiB, 2 * MiB).simple(0, 2 * MiB);
	b.u32(3).u32(4 * MiB).u64(6 * MiB).u64(0xff).simple(0, 4 * MiB).simple(4 * MiB, 2 * MiB).simple(8 * MiB, 2 * MiB);
	vectors.push_back(b.bytes());
	for (const Bytes &x : vectors) {
		auto d = decode_and_validate(x, v10());
		ASSERT_TRUE(d.ok()) << d.error().message();
		EXPECT_EQ(d->consumed, x.size());
		EXPECT_EQ(encode_fmap(d->fmap), x);
	}
}

TEST(WireCodecRoundTrip, DecodedPrefixReEncodesWhenTrailingBytesFollow)
{
	Bytes x = facts_reply();
	const size_t n = x.size();
	x.insert(x.end(), {1, 2, 3, 4, 5});
	auto d = decode_fmap(x, v10());
	ASSERT_TRUE(d.ok());
	EXPECT_EQ(d->consumed, n);
	EXPECT_EQ(encode_fmap(d->fmap), Bytes(x.begin(), x.begin() + n));
}

using Rng = std::mt19937_64;

uint64_t pick(Rng &rng, uint64_t lo, uint64_t hi)
{
	return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

// A random fmap valid under `p` (and with no warnings but the header ones):
// strips hold ceil(nbytes / stripe) full chunks, so each holds its share.
Fmap random_valid(Rng &rng, Profile p)
{
	const bool v = p == Profile::V10;
	const uint32_t devices = v ? 1 : 24;
	Fmap f;
	if (pick(rng, 0, 7) == 0) {
		f.file_type = static_cast<uint8_t>(pick(rng, 0, 255));
		f.version = static_cast<uint16_t>(pick(rng, 0, 3));
		f.reserved = static_cast<uint8_t>(pick(rng, 0, 255));
		f.reserved0 = static_cast<uint32_t>(pick(rng, 0, ~0u));
		f.reserved1 = pick(rng, 0, ~0ull);
	}
	uint64_t total = 0;
	if (pick(rng, 0, 1)) {
		SimpleExtents ext(pick(rng, 1, v ? 32 : 200));
		for (auto &e : ext) {
			e.device = static_cast<uint32_t>(pick(rng, 0, devices - 1));
			e.offset = pick(rng, 0, 1u << 20) * 2 * MiB;
			e.length = pick(rng, 0, 64) * 2 * MiB;
			e.reserved = pick(rng, 0, 9) == 0 ? static_cast<uint32_t>(pick(rng, 1, 99)) : 0;
			total += e.length;
		}
		f.extents = std::move(ext);
		f.file_size = pick(rng, 0, total);
		return f;
	}
	InterleavedExtents ies;
	uint64_t wire = 32, covered = 0;
	const uint64_t n = pick(rng, 1, v ? 32 : 16);
	for (uint64_t i = 0; i < n; i++) {
		const uint64_t ns = pick(rng, 1, v ? 32 : 256);
		if (v && wire + 24 * (1 + ns) > 4096)
			break;
		wire += 24 * (1 + ns);
		InterleavedExtent ie;
		ie.chunk_size = static_cast<uint32_t>(pick(rng, 1, 8) * 2 * MiB);
		ie.nbytes = pick(rng, 1, ns * ie.chunk_size * 3);
		ie.reserved = pick(rng, 0, 9) == 0 ? pick(rng, 1, 99) : 0;
		const uint64_t stripe = ns * ie.chunk_size;
		const uint64_t strip_len = (ie.nbytes + stripe - 1) / stripe * ie.chunk_size;
		for (uint64_t j = 0; j < ns; j++) {
			SimpleExtent s;
			s.device = static_cast<uint32_t>(pick(rng, 0, devices - 1));
			s.offset = pick(rng, 0, 1u << 20) * 2 * MiB;
			s.length = strip_len + pick(rng, 0, 2) * 2 * MiB;
			ie.strips.push_back(s);
			total += s.length;
		}
		covered += ie.nbytes;
		ies.push_back(std::move(ie));
	}
	f.extents = std::move(ies);
	// Within what nbytes covers and what the strips hold.
	f.file_size = pick(rng, 0, std::min(total, covered));
	return f;
}

TEST(WireCodecRoundTrip, ThousandsOfRandomValidFmapsRoundTripAndValidate)
{
	Rng rng(20260416);
	for (int k = 0; k < 4000; k++) {
		const Profile p = k % 2 ? Profile::V10 : Profile::Extended;
		const Limits &l = limits_for(p);
		const Fmap f = random_valid(rng, p);
		const ValidationReport r = validate(f, l);
		ASSERT_TRUE(r.ok()) << k << ": " << r.errors.front().message();
		for (const auto &w : r.warnings)
			ASSERT_TRUE(w.field == "file_type" || w.field == "fmap_version" ||
				    w.field.find("reserved") != std::string::npos)
				<< k << ": " << w.message();
		const Bytes b = encode_fmap(f);
		ASSERT_EQ(b.size(), f.wire_size());
		auto d = decode_and_validate(b, l);
		ASSERT_TRUE(d.ok()) << k << ": " << d.error().message();
		ASSERT_EQ(d->consumed, b.size());
		ASSERT_EQ(d->fmap, f) << k;
		ASSERT_EQ(encode_fmap(d->fmap), b) << k;
		if (p == Profile::V10) {
			ASSERT_EQ(v10_verdict(b), 0) << k;
		}
	}
}

// Mutations aimed at the fields the rules look at, plus blind ones.
Bytes mutate(Rng &rng, Bytes b)
{
	const int kind = static_cast<int>(pick(rng, 0, 9));
	auto put = [&](size_t at, uint64_t v, int n) {
		for (int i = 0; i < n && at + i < b.size(); i++)
			b[at + i] = static_cast<uint8_t>(v >> (8 * i));
	};
	// A 24-byte record boundary after the header, where fields line up.
	const size_t rec = b.size() > 32 ? 32 + 24 * pick(rng, 0, (b.size() - 32) / 24) : 0;
	static constexpr uint64_t interesting[] = {0,       1,          2 * MiB - 1, 2 * MiB,
						   4 * MiB, 0x7fffffff, 0xffffffff,  1ull << 63,
						   ~0ull,   ~0ull - 2 * MiB + 1,         33,
						   32,      256,        257};
	const uint64_t val = interesting[pick(rng, 0, std::size(interesting) - 1)];
	switch (kind) {
	case 0: // flip a bit
		if (!b.empty())
			b[pick(rng, 0, b.size() - 1)] ^= static_cast<uint8_t>(1u << pick(rng, 0, 7));
		break;
	case 1: // truncate
		b.resize(pick(rng, 0, b.size()));
		break;
	case 2: // append
		b.resize(b.size() + pick(rng, 1, 64), static_cast<uint8_t>(pick(rng, 0, 255)));
		break;
	case 3: // header: ext_type or nextents
		put(pick(rng, 0, 1) ? 4 : 8, val, 4);
		break;
	case 4: // header: file_size
		put(16, val, 8);
		break;
	case 5: // a record's first u32 (devindex or nstrips)
		put(rec, val, 4);
		break;
	case 6: // a record's second u32 (chunk_size)
		put(rec + 4, val, 4);
		break;
	case 7: // a record's offset / nbytes
		put(rec + 8, val, 8);
		break;
	case 8: // a record's length
		put(rec + 16, val, 8);
		break;
	default: // random byte
		if (!b.empty())
			b[pick(rng, 0, b.size() - 1)] = static_cast<uint8_t>(pick(rng, 0, 255));
		break;
	}
	return b;
}

TEST(WireCodecRoundTrip, RandomMutationsNeverCrashAndAgreeWithTheV10Walk)
{
	Rng rng(4096);
	int accepted = 0, rejected = 0;
	for (int k = 0; k < 3000; k++) {
		const Profile p = k % 3 ? Profile::V10 : Profile::Extended;
		Bytes b = encode_fmap(random_valid(rng, p));
		const int rounds = static_cast<int>(pick(rng, 1, 3));
		for (int m = 0; m < rounds; m++)
			b = mutate(rng, std::move(b));
		for (const Limits *l : {&v10(), &ext()}) {
			auto d = decode_fmap(b, *l);
			if (d.ok()) {
				ASSERT_LE(d->consumed, b.size());
				ASSERT_EQ(encode_fmap(d->fmap), Bytes(b.begin(), b.begin() + d->consumed)) << k;
				(void)validate(d->fmap, *l);
			}
			auto dv = decode_and_validate(b, *l);
			// decode_and_validate accepts exactly what decode + validate do.
			const bool both = d.ok() && validate(d->fmap, *l).ok();
			ASSERT_EQ(dv.ok(), both) << k;
			if (!d.ok()) {
				ASSERT_EQ(dv.error().errnum, d.error().errnum) << k;
			}
		}
		const int want = v10_verdict(b);
		ASSERT_EQ(verdict(b, v10()), want) << k << ": " << describe(b, v10());
		(want ? rejected : accepted)++;
	}
	// The mutations must reach both sides of the rules.
	EXPECT_GT(accepted, 200);
	EXPECT_GT(rejected, 200);
}

TEST(WireCodecRoundTrip, RandomBytesNeverCrashAndRoundTripTheirPrefix)
{
	Rng rng(7);
	for (int k = 0; k < 20000; k++) {
		Bytes b(pick(rng, 0, 300));
		for (auto &c : b)
			c = static_cast<uint8_t>(pick(rng, 0, 255));
		if (b.size() >= 32 && pick(rng, 0, 1)) {
			// Steer the header towards parsable values.
			b[4] = static_cast<uint8_t>(pick(rng, 0, 1));
			b[5] = b[6] = b[7] = 0;
			b[8] = static_cast<uint8_t>(pick(rng, 0, 8));
			b[9] = b[10] = b[11] = 0;
		}
		auto d = decode_fmap(b, ext());
		if (d.ok()) {
			ASSERT_EQ(encode_fmap(d->fmap), Bytes(b.begin(), b.begin() + d->consumed));
		}
		ASSERT_EQ(verdict(b, v10()), v10_verdict(b)) << k << ": " << describe(b, v10());
	}
}

// ---- GET_DAXDEV ----

TEST(WireCodecDaxdev, RoundTripsAReply)
{
	DaxdevReply r;
	r.index = 0x0203;
	r.name = "/dev/dax0.0";
	r.reserved = 0x0405;
	r.reserved2 = 0x06070809;
	r.reserved3 = 0x1011121314151617;
	r.reserved4 = 0x2021222324252627;
	auto b = encode_daxdev(r);
	ASSERT_TRUE(b.ok());
	ASSERT_EQ(b->size(), 280u);
	EXPECT_EQ(rd(*b, 0, 2), 0x0203u);
	EXPECT_EQ(rd(*b, 2, 2), 0x0405u);
	EXPECT_EQ(rd(*b, 4, 4), 0x06070809u);
	EXPECT_EQ(rd(*b, 8, 8), 0x1011121314151617u);
	EXPECT_EQ(rd(*b, 16, 8), 0x2021222324252627u);
	EXPECT_EQ(std::string(b->begin() + 24, b->begin() + 35), "/dev/dax0.0");
	EXPECT_TRUE(std::all_of(b->begin() + 35, b->end(), [](uint8_t c) { return c == 0; }));
	auto d = decode_daxdev(*b);
	ASSERT_TRUE(d.ok()) << d.error().message();
	EXPECT_EQ(*d, r);
}

TEST(WireCodecDaxdev, RejectsAnyOtherSizeThan280WithEinval)
{
	for (size_t n : {0u, 279u, 281u, 4096u}) {
		auto d = decode_daxdev(Bytes(n, 0));
		ASSERT_FALSE(d.ok()) << n;
		EXPECT_EQ(d.error().errnum, EINVAL);
		EXPECT_EQ(d.error().field, "reply");
		EXPECT_NE(d.error().expected.find("280"), std::string::npos);
		EXPECT_NE(d.error().found.find("(" + std::to_string(n) + ") bytes"), std::string::npos);
	}
	auto ok = decode_daxdev(Bytes(280, 0));
	ASSERT_TRUE(ok.ok());
	EXPECT_EQ(ok->name, "");
}

TEST(WireCodecDaxdev, RejectsANameWithoutNulWithEinval)
{
	Bytes b(280, 0);
	std::fill(b.begin() + 24, b.end(), 'a');
	auto d = decode_daxdev(b);
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().field, "name");
	EXPECT_EQ(d.error().found, "no NUL");
	// NUL in the last byte: 255 characters, accepted.
	b.back() = 0;
	auto e = decode_daxdev(b);
	ASSERT_TRUE(e.ok());
	EXPECT_EQ(e->name, std::string(255, 'a'));
}

TEST(WireCodecDaxdev, RejectsNonZeroBytesAfterTheNulWithEinval)
{
	DaxdevReply r;
	r.name = "/dev/dax1.0";
	Bytes b = *encode_daxdev(r);
	b[24 + 11 + 1 + 5] = 'x'; // name[17]
	auto d = decode_daxdev(b);
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_EQ(d.error().field, "name[17]");
	EXPECT_EQ(d.error().found, "0x78");
	EXPECT_NE(d.error().expected.find("NUL at name[11]"), std::string::npos);
	// Right after the NUL, and the very last byte.
	for (size_t k : {12u, 255u}) {
		Bytes c = *encode_daxdev(r);
		c[24 + k] = 1;
		auto e = decode_daxdev(c);
		ASSERT_FALSE(e.ok()) << k;
		EXPECT_EQ(e.error().field, "name[" + std::to_string(k) + "]");
	}
}

TEST(WireCodecDaxdev, EncodesA255ByteNameAndRefuses256WithEnametoolong)
{
	DaxdevReply r;
	r.name = std::string(255, 'n');
	auto b = encode_daxdev(r);
	ASSERT_TRUE(b.ok());
	EXPECT_EQ((*b)[279], 0);
	EXPECT_EQ(decode_daxdev(*b)->name, r.name);
	r.name.push_back('n');
	auto e = encode_daxdev(r);
	ASSERT_FALSE(e.ok());
	EXPECT_EQ(e.error().errnum, ENAMETOOLONG);
	EXPECT_EQ(e.error().field, "name");
	EXPECT_EQ(e.error().found, "256 bytes");
}

TEST(WireCodecDaxdev, RefusesANameWithAnEmbeddedNul)
{
	DaxdevReply r;
	r.name = std::string("/dev/dax\0x", 10);
	auto e = encode_daxdev(r);
	ASSERT_FALSE(e.ok());
	EXPECT_EQ(e.error().errnum, EINVAL);
	EXPECT_EQ(e.error().found, "NUL at name[8]");
}

} // namespace
} // namespace daxfmap

// SPDX-License-Identifier: GPL-2.0-only
// The on-media format: CRC32C, struct layouts, entry encode/decode, paths.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "libdaxfmap_fs/media_format.hpp"
#include "libdaxfmap_fs/metadata_log.hpp"

namespace daxfmap::fs {
namespace {

std::span<const uint8_t> bytes_of(std::string_view s)
{
	return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

Fmap striped_fmap()
{
	Fmap f;
	f.file_size = 24 << 20;
	InterleavedExtent ie{.chunk_size = 2 << 20, .nbytes = 24 << 20};
	for (uint64_t s = 0; s < 4; s++)
		ie.strips.push_back({.device = 0, .offset = (10 + 6 * s) << 20, .length = 6 << 20});
	f.extents = InterleavedExtents{ie};
	return f;
}

TEST(Crc32c, MatchesTheStandardCheckValue)
{
	EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
	EXPECT_EQ(crc32c(bytes_of("")), 0u);
}

TEST(Crc32c, ChainsAcrossCalls)
{
	EXPECT_EQ(crc32c(bytes_of("6789"), crc32c(bytes_of("12345"))), crc32c(bytes_of("123456789")));
}

TEST(MediaFormat, StructSizesAreFixed)
{
	EXPECT_EQ(sizeof(Superblock), 256u);
	EXPECT_EQ(sizeof(LogEntryHeader), 32u);
	EXPECT_EQ(sizeof(LogFilePayload), 40u);
	EXPECT_EQ(sizeof(LogMkdirPayload), 24u);
	EXPECT_EQ(sizeof(LogDeletePayload), 16u);
	EXPECT_EQ(kLogOffset, 2u << 20);
	EXPECT_EQ(kDefaultLogSize, 8u << 20);
}

TEST(LogEntryCodec, FileEntryRoundTripsWithItsFmap)
{
	FileRecordEntry f{.path = "dir/file", .mode = 0640, .uid = 7, .gid = 8, .size = 24 << 20,
			  .time_ns = 123, .fmap = striped_fmap()};
	auto bytes = encode_entry(f, 42);
	ASSERT_TRUE(bytes) << bytes.error().message();
	EXPECT_EQ(bytes->size() % kEntryAlign, 0u);
	auto e = decode_entry(*bytes);
	ASSERT_TRUE(e) << e.error().message();
	EXPECT_EQ(e->seq, 42u);
	EXPECT_EQ(e->length, bytes->size());
	EXPECT_EQ(std::get<FileRecordEntry>(e->record), f);
}

TEST(LogEntryCodec, EmptyFileCarriesNoFmap)
{
	FileRecordEntry f{.path = "empty", .size = 0};
	f.fmap.extents = SimpleExtents{};
	auto bytes = encode_entry(f, 1);
	ASSERT_TRUE(bytes) << bytes.error().message();
	auto e = decode_entry(*bytes);
	ASSERT_TRUE(e) << e.error().message();
	EXPECT_EQ(std::get<FileRecordEntry>(e->record), f);
}

TEST(LogEntryCodec, MkdirAndDeleteRoundTrip)
{
	MkdirRecordEntry m{.path = "a/b", .mode = 0700, .uid = 1, .gid = 2, .time_ns = 9};
	DeleteRecordEntry d{.path = "a/b/c", .time_ns = 10};
	auto mb = encode_entry(m, 3);
	auto db = encode_entry(d, 4);
	ASSERT_TRUE(mb && db);
	auto me = decode_entry(*mb);
	auto de = decode_entry(*db);
	ASSERT_TRUE(me && de);
	EXPECT_EQ(std::get<MkdirRecordEntry>(me->record), m);
	EXPECT_EQ(std::get<DeleteRecordEntry>(de->record), d);
}

TEST(LogEntryCodec, EveryFlippedByteIsDetected)
{
	auto bytes = encode_entry(MkdirRecordEntry{.path = "some/dir"}, 5);
	ASSERT_TRUE(bytes);
	const size_t used = sizeof(LogEntryHeader) + sizeof(LogMkdirPayload) + 8;
	for (size_t i = 0; i < used; i++) {
		auto copy = *bytes;
		copy[i] ^= 0x01;
		auto e = decode_entry(copy);
		ASSERT_FALSE(e) << "byte " << i;
		EXPECT_EQ(e.error().errnum, EBADMSG) << "byte " << i;
	}
}

TEST(LogEntryCodec, TruncatedEntryIsRejectedNamingTheLength)
{
	auto bytes = encode_entry(MkdirRecordEntry{.path = "d"}, 1);
	ASSERT_TRUE(bytes);
	auto e = decode_entry(std::span(*bytes).first(40));
	ASSERT_FALSE(e);
	EXPECT_EQ(e.error().errnum, EBADMSG);
	EXPECT_NE(e.error().message().find("payload_len"), std::string::npos) << e.error().message();
}

TEST(LogEntryCodec, FmapSizeMustMatchTheFileSize)
{
	FileRecordEntry f{.path = "f", .size = 4 << 20, .fmap = striped_fmap()};
	auto bytes = encode_entry(f, 1);
	ASSERT_FALSE(bytes);
	EXPECT_EQ(bytes.error().errnum, EINVAL);
}

TEST(CheckPath, AcceptsRelativePaths)
{
	EXPECT_TRUE(check_path("a"));
	EXPECT_TRUE(check_path("a/b/c.txt"));
	EXPECT_TRUE(check_path(std::string(255, 'x')));
}

TEST(CheckPath, RefusesEmptyAbsoluteAndDotComponents)
{
	for (const char *p : {"", "/a", "a/", "a//b", "./a", "a/../b", ".."}) {
		auto r = check_path(p);
		ASSERT_FALSE(r) << p;
		EXPECT_EQ(r.error().errnum, EINVAL) << p;
	}
}

TEST(CheckPath, LongNamesAndPathsAreENAMETOOLONG)
{
	auto r = check_path(std::string(256, 'x'));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENAMETOOLONG);
	std::string deep;
	while (deep.size() <= kMaxPathBytes)
		deep += std::string(100, 'd') + "/";
	deep += "f";
	r = check_path(deep);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENAMETOOLONG);
}

} // namespace
} // namespace daxfmap::fs

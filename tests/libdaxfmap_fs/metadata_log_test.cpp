// SPDX-License-Identifier: GPL-2.0-only
// The metadata log on a device: append and replay, torn appends at many byte
// offsets (never overwritten, later skipped), mid-log corruption, a full log.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "libdaxfmap_fs/metadata_log.hpp"
#include "fs_test_util.hpp"

namespace daxfmap::fs {
namespace {

using testing::MiB;

constexpr uint64_t kLog = 2 * MiB;

std::unique_ptr<Device> memfd(uint64_t size = 8 * MiB)
{
	auto d = Device::open("memfd:" + std::to_string(size));
	EXPECT_TRUE(d) << d.error().message();
	return std::move(*d);
}

MkdirRecordEntry dir(std::string path) { return MkdirRecordEntry{.path = std::move(path)}; }

std::string path_of(const LogEntry &e)
{
	return std::visit([](const auto &r) { return r.path; }, e.record);
}

TEST(MetadataLog, AppendedEntriesReplayInOrder)
{
	auto dev = memfd();
	MetadataLog log(*dev, kUnit, kLog);
	ASSERT_TRUE(log.format());
	for (const char *p : {"a", "a/b", "c"})
		ASSERT_TRUE(log.append(dir(p)));
	MetadataLog again(*dev, kUnit, kLog);
	auto r = again.replay();
	ASSERT_EQ(r.entries.size(), 3u);
	EXPECT_EQ(path_of(r.entries[1]), "a/b");
	EXPECT_EQ(r.entries[2].seq, 3u);
	EXPECT_EQ(r.next_seq, 4u);
	EXPECT_FALSE(r.damage);
	EXPECT_EQ(r.append_offset, log.used());
	EXPECT_EQ(r.append_offset % kEntryAlign, 0u);
}

// An append interrupted after `keep` of its bytes reached the media, in the
// order append() writes them (payload, then header), or as a plain prefix.
enum class Tear { PayloadPart, HeaderPart, Prefix };

void torn_append(const Device &dev, uint64_t at, const std::vector<uint8_t> &entry, Tear how,
		 size_t keep)
{
	uint8_t *p = dev.base() + kUnit + at;
	const size_t h = sizeof(LogEntryHeader);
	switch (how) {
	case Tear::PayloadPart:
		std::memcpy(p + h, entry.data() + h, keep);
		break;
	case Tear::HeaderPart:
		std::memcpy(p + h, entry.data() + h, entry.size() - h);
		std::memcpy(p, entry.data(), keep);
		break;
	case Tear::Prefix:
		std::memcpy(p, entry.data(), keep);
		break;
	}
}

TEST(MetadataLog, TornTailKeepsEarlierEntriesAndIsNeverOverwritten)
{
	auto entry = encode_entry(dir(std::string(100, 'z')), 3);
	ASSERT_TRUE(entry);
	const size_t h = sizeof(LogEntryHeader);
	const size_t payload = sizeof(LogMkdirPayload) + 100;
	struct Case {
		Tear how;
		size_t keep;
	};
	std::vector<Case> cases;
	for (size_t k : {size_t{1}, size_t{8}, size_t{24}, payload - 1})
		cases.push_back({Tear::PayloadPart, k});
	// Past the CRC the header holds only zero bytes: an entry whose first
	// 24 header bytes landed is complete.
	const size_t crc_end = offsetof(LogEntryHeader, crc32c) + sizeof(uint32_t);
	for (size_t k : {size_t{0}, size_t{1}, size_t{4}, size_t{20}, crc_end - 1})
		cases.push_back({Tear::HeaderPart, k});
	for (size_t k : {size_t{1}, size_t{23}, size_t{33}, h + payload - 1})
		cases.push_back({Tear::Prefix, k});

	for (const auto &c : cases) {
		SCOPED_TRACE("tear " + std::to_string(static_cast<int>(c.how)) + " keep " +
			     std::to_string(c.keep));
		auto dev = memfd();
		MetadataLog log(*dev, kUnit, kLog);
		ASSERT_TRUE(log.format());
		ASSERT_TRUE(log.append(dir("one")));
		ASSERT_TRUE(log.append(dir("two")));
		const uint64_t torn_at = log.used();
		torn_append(*dev, torn_at, *entry, c.how, c.keep);
		std::vector<uint8_t> torn(dev->base() + kUnit + torn_at,
					  dev->base() + kUnit + torn_at + entry->size());

		MetadataLog after(*dev, kUnit, kLog);
		auto r = after.replay();
		ASSERT_EQ(r.entries.size(), 2u);
		ASSERT_TRUE(r.damage);
		EXPECT_FALSE(r.damage->followed_by_entries);
		EXPECT_FALSE(r.corrupt());
		EXPECT_EQ(r.damage->offset, torn_at);
		EXPECT_GE(r.append_offset, torn_at + r.damage->length);
		EXPECT_EQ(r.append_offset % kEntryAlign, 0u);

		// New entries go after the damage; the torn bytes stay as they were.
		auto e3 = after.append(dir("three"));
		ASSERT_TRUE(e3) << e3.error().message();
		EXPECT_EQ(e3->seq, 3u);
		EXPECT_GE(e3->offset, torn_at + r.damage->length);
		ASSERT_TRUE(after.append(dir("four")));
		EXPECT_EQ(0, std::memcmp(torn.data(), dev->base() + kUnit + torn_at,
					 std::min<uint64_t>(torn.size(), e3->offset - torn_at)));

		// The next replay skips the torn append: the entry after it has the
		// sequence number the torn one would have had.
		MetadataLog third(*dev, kUnit, kLog);
		auto r3 = third.replay();
		ASSERT_EQ(r3.entries.size(), 4u);
		EXPECT_EQ(path_of(r3.entries[2]), "three");
		EXPECT_FALSE(r3.damage);
		ASSERT_EQ(r3.skipped.size(), 1u);
		EXPECT_EQ(r3.skipped[0].offset, torn_at);
	}
}

TEST(MetadataLog, MidLogCorruptionIsReportedAndFreezesTheLog)
{
	auto dev = memfd();
	MetadataLog log(*dev, kUnit, kLog);
	ASSERT_TRUE(log.format());
	ASSERT_TRUE(log.append(dir("a")));
	auto b = log.append(dir("b"));
	ASSERT_TRUE(b);
	ASSERT_TRUE(log.append(dir("c")));
	ASSERT_TRUE(log.append(dir("d")));
	dev->base()[kUnit + b->offset + sizeof(LogEntryHeader) + 2] ^= 0x40; // in b's payload
	std::vector<uint8_t> before(dev->base() + kUnit, dev->base() + kUnit + kLog);

	MetadataLog after(*dev, kUnit, kLog);
	auto r = after.replay();
	ASSERT_EQ(r.entries.size(), 1u);
	ASSERT_TRUE(r.damage);
	EXPECT_TRUE(r.corrupt());
	EXPECT_EQ(r.damage->offset, b->offset);
	EXPECT_EQ(r.damage->entries_after, 2u);
	EXPECT_NE(r.damage->reason.find("crc32c"), std::string::npos) << r.damage->reason;
	auto e = after.append(dir("e"));
	ASSERT_FALSE(e);
	EXPECT_EQ(e.error().errnum, EROFS);
	EXPECT_EQ(0, std::memcmp(before.data(), dev->base() + kUnit, kLog));
}

TEST(MetadataLog, ZeroedCompletedEntryIsCorruptionNotATornTail)
{
	auto dev = memfd();
	MetadataLog log(*dev, kUnit, kLog);
	ASSERT_TRUE(log.format());
	ASSERT_TRUE(log.append(dir("a")));
	auto b = log.append(dir("b"));
	ASSERT_TRUE(b);
	ASSERT_TRUE(log.append(dir("c")));
	std::memset(dev->base() + kUnit + b->offset, 0, sizeof(LogEntryHeader));
	MetadataLog after(*dev, kUnit, kLog);
	auto r = after.replay();
	EXPECT_EQ(r.entries.size(), 1u);
	EXPECT_TRUE(r.corrupt());
}

TEST(MetadataLog, FullLogIsENOSPCWithAClearMessage)
{
	auto dev = memfd();
	MetadataLog log(*dev, kUnit, kLog);
	ASSERT_TRUE(log.format());
	std::string name(200, 'n');
	int appended = 0;
	Result<LogEntry> e = Error{};
	while ((e = log.append(dir(name + std::to_string(appended)))))
		appended++;
	EXPECT_EQ(e.error().errnum, ENOSPC);
	EXPECT_NE(e.error().message().find("metadata log"), std::string::npos);
	EXPECT_NE(e.error().message().find("full"), std::string::npos) << e.error().message();
	EXPECT_GT(appended, 1000);
	MetadataLog again(*dev, kUnit, kLog);
	auto r = again.replay();
	EXPECT_EQ(r.entries.size(), static_cast<size_t>(appended));
	EXPECT_FALSE(r.damage);
}

} // namespace
} // namespace daxfmap::fs

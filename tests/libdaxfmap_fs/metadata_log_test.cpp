// SPDX-License-Identifier: GPL-2.0-only
// The metadata log on a device: append, commit and replay; a torn append at
// each of its steps (discarded, then overwritten) told apart from damage
// (random bytes, stray bytes, flipped bits in committed entries or in the
// commit word); compaction into the other half; a full log.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "libdaxfmap_fs/metadata_log.hpp"
#include "fs_test_util.hpp"

namespace daxfmap::fs {
namespace {

using testing::MiB;

constexpr uint64_t kLog = 2 * MiB; // two 1 MiB halves
constexpr uint64_t kHalf = kLog / 2;

std::unique_ptr<Device> memfd(uint64_t size = 8 * MiB)
{
	auto d = Device::open("memfd:" + std::to_string(size));
	EXPECT_TRUE(d) << d.error().message();
	return std::move(*d);
}

MetadataLog make_log(const Device &dev) { return MetadataLog(dev, kCommitOffset, kUnit, kLog); }

MkdirRecordEntry dir(std::string path) { return MkdirRecordEntry{.path = std::move(path)}; }

std::vector<std::string> paths(const ReplayResult &r)
{
	std::vector<std::string> out;
	for (const auto &e : r.entries)
		out.push_back(record_path(e.record));
	return out;
}

uint8_t *live_half(const Device &dev, const MetadataLog &log)
{
	return dev.base() + kUnit + (log.commit().epoch & 1u) * kHalf;
}

uint64_t &commit_word(const Device &dev)
{
	return *reinterpret_cast<uint64_t *>(dev.base() + kCommitOffset +
					      offsetof(LogCommitBlock, commit));
}

TEST(CommitWord, PacksAndEveryFlippedBitIsDetected)
{
	const CommitWord w{.count = 123456, .epoch = 7};
	const uint64_t packed = pack_commit(w);
	ASSERT_EQ(unpack_commit(packed), w);
	for (int bit = 0; bit < 64; bit++)
		EXPECT_FALSE(unpack_commit(packed ^ (uint64_t{1} << bit))) << "bit " << bit;
	EXPECT_FALSE(unpack_commit(0)) << "a zeroed commit block is not a valid commit";
}

TEST(MetadataLog, AppendedEntriesAreCommittedAndReplayInOrder)
{
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	for (const char *p : {"a", "a/b", "c"})
		ASSERT_TRUE(log.append(dir(p)));
	EXPECT_EQ(log.commit().count, 3u);
	auto again = make_log(*dev);
	auto r = again.replay();
	EXPECT_EQ(paths(r), (std::vector<std::string>{"a", "a/b", "c"}));
	EXPECT_EQ(r.entries[2].seq, 3u);
	EXPECT_EQ(r.commit.count, 3u);
	EXPECT_FALSE(r.damage);
	EXPECT_EQ(r.used, log.used());
	EXPECT_EQ(again.next_seq(), 4u);
}

// What an append interrupted at one of its steps leaves past the committed
// end: part of the header; the header and part of the payload; the whole
// entry without its commit.
struct Tear {
	const char *what;
	size_t keep; // bytes of the entry that reached the media, from its start
};

TEST(MetadataLog, AppendTornAtAnyStepIsDiscardedAndTheNextAppendOverwritesIt)
{
	auto entry = encode_entry(dir(std::string(200, 'z')), 3, 0);
	ASSERT_TRUE(entry);
	const size_t h = sizeof(LogEntryHeader);
	std::vector<Tear> tears;
	for (size_t k : {size_t{1}, size_t{4}, size_t{8}, size_t{20}, h - 1})
		tears.push_back({"part of the header", k});
	for (size_t k : {h, h + 1, h + 40, entry->size() - 1})
		tears.push_back({"header and part of the payload", k});
	tears.push_back({"the whole entry, not committed", entry->size()});

	for (const auto &t : tears) {
		SCOPED_TRACE(std::string(t.what) + ", " + std::to_string(t.keep) + " bytes");
		auto dev = memfd();
		auto log = make_log(*dev);
		ASSERT_TRUE(log.format());
		ASSERT_TRUE(log.append(dir("one")));
		ASSERT_TRUE(log.append(dir("two")));
		const uint64_t end = log.used();
		std::memcpy(live_half(*dev, log) + end, entry->data(), t.keep);

		auto after = make_log(*dev);
		auto r = after.replay();
		EXPECT_EQ(paths(r), (std::vector<std::string>{"one", "two"}));
		ASSERT_TRUE(r.damage);
		EXPECT_FALSE(r.corrupt()) << r.damage->reason;
		EXPECT_EQ(r.damage->offset, end);
		EXPECT_NE(r.damage->reason.find("uncommitted"), std::string::npos) << r.damage->reason;

		// The torn bytes were never committed: the next entry takes their place.
		auto e3 = after.append(dir("three"));
		ASSERT_TRUE(e3) << e3.error().message();
		EXPECT_EQ(e3->offset, end);
		auto third = make_log(*dev);
		auto r3 = third.replay();
		EXPECT_EQ(paths(r3), (std::vector<std::string>{"one", "two", "three"}));
		EXPECT_FALSE(r3.damage) << r3.damage->reason;
	}
}

TEST(MetadataLog, RandomBytesOrAllOnesInTheLogAreDamageNotATornTail)
{
	for (int fill : {-1, 0xff}) {
		for (int entries : {0, 3}) {
			SCOPED_TRACE((fill < 0 ? std::string("random") : "0xff") + ", " +
				     std::to_string(entries) + " committed entries");
			auto dev = memfd();
			auto log = make_log(*dev);
			ASSERT_TRUE(log.format());
			for (int i = 0; i < entries; i++)
				ASSERT_TRUE(log.append(dir("d" + std::to_string(i))));
			std::mt19937_64 rng(42);
			uint8_t *p = dev->base() + kUnit;
			for (uint64_t i = 0; i < kLog; i++)
				p[i] = fill < 0 ? static_cast<uint8_t>(rng()) : 0xff;

			auto after = make_log(*dev);
			auto r = after.replay();
			ASSERT_TRUE(r.damage);
			EXPECT_TRUE(r.corrupt()) << r.damage->reason;
			EXPECT_TRUE(r.entries.empty());
			auto e = after.append(dir("x"));
			ASSERT_FALSE(e);
			EXPECT_EQ(e.error().errnum, EROFS);
		}
	}
}

TEST(MetadataLog, StrayByteAtTheLogsLastByteIsDamageAndRepairZeroesIt)
{
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	ASSERT_TRUE(log.append(dir("a")));
	live_half(*dev, log)[kHalf - 1] = 0x5a;

	auto after = make_log(*dev);
	auto r = after.replay();
	ASSERT_TRUE(r.damage);
	EXPECT_TRUE(r.corrupt()) << r.damage->reason;
	EXPECT_EQ(paths(r), std::vector<std::string>{"a"}) << "what was committed is all there";
	EXPECT_FALSE(after.append(dir("b")));

	auto fixer = make_log(*dev);
	auto zeroed = fixer.discard_uncommitted();
	ASSERT_TRUE(zeroed) << zeroed.error().message();
	EXPECT_EQ(*zeroed, kHalf - log.used());
	auto fixed = make_log(*dev);
	auto r2 = fixed.replay();
	EXPECT_FALSE(r2.damage);
	EXPECT_TRUE(fixed.append(dir("b")));
}

TEST(MetadataLog, EveryFlippedByteOfTheLastCommittedEntryIsDamageNeverAnUndo)
{
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	ASSERT_TRUE(log.append(dir("a")));
	auto last = log.append(DeleteRecordEntry{.path = "a"});
	ASSERT_TRUE(last);
	uint8_t *p = dev->base() + kUnit + last->offset;
	LogEntryHeader h;
	std::memcpy(&h, p, sizeof(h));
	// Every byte the CRC covers (the padding after it only draws a warning).
	for (uint64_t i = 0; i < sizeof(h) + h.payload_len; i++) {
		SCOPED_TRACE("byte " + std::to_string(i));
		p[i] ^= 0x10;
		auto after = make_log(*dev);
		auto r = after.replay();
		ASSERT_TRUE(r.damage);
		EXPECT_TRUE(r.corrupt()) << r.damage->reason;
		EXPECT_EQ(r.damage->seq, 2u);
		EXPECT_EQ(r.damage->entries_after, 1u);
		EXPECT_NE(r.damage->reason.find("committed entry 2"), std::string::npos) << r.damage->reason;
		p[i] ^= 0x10;
	}
}

TEST(MetadataLog, NonZeroPaddingOfACommittedEntryIsAWarning)
{
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	auto e = log.append(dir("a"));
	ASSERT_TRUE(e);
	dev->base()[kUnit + e->offset + e->length - 1] = 1;
	auto after = make_log(*dev);
	auto r = after.replay();
	EXPECT_FALSE(r.damage);
	ASSERT_EQ(r.entries.size(), 1u);
	ASSERT_EQ(r.entries[0].warnings.size(), 1u);
	EXPECT_NE(r.entries[0].warnings[0].find("padding"), std::string::npos);
}

TEST(MetadataLog, CrcValidEntryPastTheEndWithAnotherSequenceNumberIsDamage)
{
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	ASSERT_TRUE(log.append(dir("a")));
	// A well-formed entry an append could not have written there.
	auto stray = encode_entry(dir(std::string(100, 'q')), 7, 0);
	ASSERT_TRUE(stray);
	std::memcpy(live_half(*dev, log) + log.used(), stray->data(), stray->size());
	auto after = make_log(*dev);
	auto r = after.replay();
	ASSERT_TRUE(r.damage);
	EXPECT_TRUE(r.corrupt()) << r.damage->reason;
}

TEST(MetadataLog, DamagedCommitWordIsDamageAndTheNewestChainIsRecoveredReadOnly)
{
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	ASSERT_TRUE(log.append(dir("old")));
	ASSERT_TRUE(log.compact(std::vector<LogRecord>{dir("a")}));
	ASSERT_TRUE(log.append(dir("a/b")));
	commit_word(*dev) ^= uint64_t{1} << 3;

	auto after = make_log(*dev);
	auto r = after.replay();
	ASSERT_TRUE(r.damage);
	EXPECT_TRUE(r.corrupt());
	EXPECT_TRUE(r.commit_damaged);
	EXPECT_EQ(paths(r), (std::vector<std::string>{"a", "a/b"}));
	EXPECT_FALSE(after.append(dir("c")));
	EXPECT_FALSE(after.discard_uncommitted()) << "repair never guesses at a lost commit";
}

TEST(MetadataLog, ModeBitsBeyondPermissionsAreDamageReservedFieldsAWarning)
{
	auto bytes = encode_entry(FileRecordEntry{.path = "f", .mode = 0644}, 1, 0);
	ASSERT_TRUE(bytes);
	const size_t h = sizeof(LogEntryHeader);
	auto patch = [&](size_t at, uint32_t v) {
		std::vector<uint8_t> b = *bytes;
		std::memcpy(b.data() + at, &v, sizeof(v));
		LogEntryHeader hd;
		std::memcpy(&hd, b.data(), h);
		hd.crc32c = 0;
		std::memcpy(b.data(), &hd, h);
		uint32_t crc = crc32c({b.data(), h + hd.payload_len});
		std::memcpy(b.data() + offsetof(LogEntryHeader, crc32c), &crc, sizeof(crc));
		return b;
	};
	auto bad_mode = decode_entry(patch(h + offsetof(LogFilePayload, mode), 0xffffffffu));
	ASSERT_FALSE(bad_mode);
	EXPECT_EQ(bad_mode.error().errnum, EBADMSG);
	EXPECT_NE(bad_mode.error().message().find("FILE.mode"), std::string::npos);
	auto flags = decode_entry(patch(h + offsetof(LogFilePayload, flags), 1));
	ASSERT_TRUE(flags) << flags.error().message();
	ASSERT_EQ(flags->warnings.size(), 1u);
	EXPECT_NE(flags->warnings[0].find("FILE.flags"), std::string::npos);
	EXPECT_FALSE(encode_entry(MkdirRecordEntry{.path = "d", .mode = 010755}, 1, 0))
		<< "the encoder refuses what the decoder would call damage";
}

TEST(MetadataLog, CompactionKeepsOnlyTheLiveRecordsInTheOtherHalf)
{
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	for (int i = 0; i < 50; i++) {
		ASSERT_TRUE(log.append(dir("gone" + std::to_string(i))));
		ASSERT_TRUE(log.append(DeleteRecordEntry{.path = "gone" + std::to_string(i)}));
	}
	const uint64_t before = log.used();
	std::vector<LogRecord> live{dir("keep"), FileRecordEntry{.path = "keep/f", .mode = 0600}};
	ASSERT_TRUE(log.compact(live));
	EXPECT_EQ(log.commit().epoch, 1u);
	EXPECT_EQ(log.commit().count, 2u);
	EXPECT_LT(log.used(), before);
	EXPECT_EQ(log.checkpoint_bytes(), log.used());
	ASSERT_TRUE(log.append(dir("keep/new")));

	auto after = make_log(*dev);
	auto r = after.replay();
	EXPECT_FALSE(r.damage);
	EXPECT_EQ(paths(r), (std::vector<std::string>{"keep", "keep/f", "keep/new"}));
	EXPECT_EQ(r.entries[0].offset, kHalf) << "epoch 1 lives in the second half";

	// And back into the first half, over the old log.
	ASSERT_TRUE(after.compact(std::vector<LogRecord>{dir("x")}));
	auto again = make_log(*dev);
	auto r2 = again.replay();
	EXPECT_EQ(paths(r2), std::vector<std::string>{"x"});
	EXPECT_EQ(r2.entries[0].offset, 0u);
	EXPECT_FALSE(r2.damage);
}

TEST(MetadataLog, CompactionOfAnEmptyNamespaceLeavesAnEmptyLog)
{
	// Found by media_replay_fuzz (UBSan: memcpy from a null pointer).
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	ASSERT_TRUE(log.append(dir("a")));
	ASSERT_TRUE(log.compact({}));
	EXPECT_EQ(log.used(), 0u);
	auto after = make_log(*dev);
	auto r = after.replay();
	EXPECT_TRUE(r.entries.empty());
	EXPECT_FALSE(r.damage);
	EXPECT_EQ(r.commit.epoch, 1u);
}

TEST(MetadataLog, CompactionThatDoesNotFitIsENOSPCAndChangesNothingLive)
{
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	ASSERT_TRUE(log.append(dir("a")));
	std::vector<LogRecord> huge;
	for (int i = 0; i < 5000; i++)
		huge.push_back(dir(std::string(250, 'h') + std::to_string(i)));
	auto c = log.compact(huge);
	ASSERT_FALSE(c);
	EXPECT_EQ(c.error().errnum, ENOSPC);
	EXPECT_NE(c.error().message().find("metadata log"), std::string::npos) << c.error().message();
	auto after = make_log(*dev);
	EXPECT_EQ(paths(after.replay()), std::vector<std::string>{"a"});
}

TEST(MetadataLog, CrashAtEveryDurableStepLeavesTheOldOrTheNewLog)
{
	// Snapshot the device at each step the log calls a crash point, then
	// replay every snapshot: before the commit store it is the old state,
	// after it the new one, never damage.
	auto dev = memfd();
	std::vector<std::pair<std::string, std::vector<uint8_t>>> snaps;
	MetadataLog log(*dev, kCommitOffset, kUnit, kLog, [&](std::string_view step) {
		snaps.emplace_back(std::string(step),
				   std::vector<uint8_t>(dev->base(), dev->base() + kUnit + kLog));
	});
	ASSERT_TRUE(log.format());
	ASSERT_TRUE(log.append(dir("a")));
	ASSERT_TRUE(log.compact(std::vector<LogRecord>{dir("a"), dir("a/b")}));
	ASSERT_TRUE(log.append(dir("c")));
	ASSERT_EQ(snaps.size(), 3u + 3u + 3u);
	const std::vector<std::vector<std::string>> want = {
		{}, {}, {"a"},                   // append a: header, payload, committed
		{"a"}, {"a"}, {"a", "a/b"},       // compact: zeroed, written, switched
		{"a", "a/b"}, {"a", "a/b"}, {"a", "a/b", "c"},
	};
	for (size_t i = 0; i < snaps.size(); i++) {
		SCOPED_TRACE("crash after step " + std::to_string(i) + " (" + snaps[i].first + ")");
		auto copy = memfd();
		std::memcpy(copy->base(), snaps[i].second.data(), snaps[i].second.size());
		auto replayed = make_log(*copy);
		auto r = replayed.replay();
		EXPECT_FALSE(r.corrupt()) << r.damage->reason;
		EXPECT_EQ(paths(r), want[i]);
		EXPECT_TRUE(replayed.append(dir("after-crash"))) << "the log stays writable";
	}
}

TEST(MetadataLog, FullLogIsENOSPCNamingTheLogAndKeepFreeIsHonoured)
{
	auto dev = memfd();
	auto log = make_log(*dev);
	ASSERT_TRUE(log.format());
	std::string name(200, 'n');
	int appended = 0;
	Result<LogEntry> e = Error{};
	while ((e = log.append(dir(name + std::to_string(appended)), kHalf / 16)))
		appended++;
	EXPECT_EQ(e.error().errnum, ENOSPC);
	EXPECT_NE(e.error().message().find("metadata log"), std::string::npos);
	EXPECT_NE(e.error().message().find("kept free"), std::string::npos) << e.error().message();
	EXPECT_GE(kHalf - log.used(), kHalf / 16);
	// Without the reserve the rest can still be used.
	int more = 0;
	while (log.append(dir(name + "r" + std::to_string(more))))
		more++;
	EXPECT_GT(more, 0);
	auto again = make_log(*dev);
	auto r = again.replay();
	EXPECT_EQ(r.entries.size(), static_cast<size_t>(appended + more));
	EXPECT_FALSE(r.damage);
}

} // namespace
} // namespace daxfmap::fs

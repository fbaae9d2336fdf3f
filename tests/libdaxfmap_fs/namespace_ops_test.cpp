// SPDX-License-Identifier: GPL-2.0-only
// rename, chmod/chown, symbolic links, resize and fallocate in the library:
// what POSIX says each does, one log entry each, and the same namespace after
// a remount (replay), after a compaction, and in fsck.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "libdaxfmap_fs/filesystem.hpp"
#include "fs_test_util.hpp"

namespace daxfmap::fs {
namespace {

using testing::MiB;
using testing::TempDevice;

uint64_t extent_count(const Fmap &f) { return f.is_simple() ? f.simple().size() : f.interleaved().size(); }

// Remount and fsck agree with what the live mount showed.
void expect_same_after_remount(const TempDevice &t, std::unique_ptr<FileSystem> &fs,
			       const std::vector<std::string> &paths)
{
	std::vector<Attr> before;
	std::vector<Fmap> fmaps;
	for (const auto &p : paths) {
		auto a = fs->lookup_path(p);
		ASSERT_TRUE(a) << p << ": " << a.error().message();
		before.push_back(*a);
		fmaps.push_back(S_ISREG(a->mode) ? *fs->fmap(a->ino) : Fmap{});
	}
	const uint64_t free_units = fs->statfs().free_units;
	fs.reset();
	auto dev = t.open(true);
	auto report = fsck(*dev);
	ASSERT_TRUE(report);
	EXPECT_TRUE(report->clean()) << (report->problems.empty() ? "" : report->problems[0].message());
	fs = t.mount();
	ASSERT_TRUE(fs);
	EXPECT_EQ(fs->statfs().free_units, free_units);
	for (size_t i = 0; i < paths.size(); i++) {
		auto a = fs->lookup_path(paths[i]);
		ASSERT_TRUE(a) << paths[i] << " after remount: " << a.error().message();
		EXPECT_EQ(a->mode, before[i].mode) << paths[i];
		EXPECT_EQ(a->uid, before[i].uid) << paths[i];
		EXPECT_EQ(a->gid, before[i].gid) << paths[i];
		EXPECT_EQ(a->size, before[i].size) << paths[i];
		EXPECT_EQ(a->allocated, before[i].allocated) << paths[i];
		if (S_ISREG(a->mode)) {
			EXPECT_EQ(*fs->fmap(a->ino), fmaps[i]) << paths[i];
		}
	}
}

TEST(NamespaceOps, RenameMovesAFileAndADirectoryWithWhatItHoldsAndReplaysSo)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto d = fs->mkdir(kRootIno, "d", 0755, 0, 0);
	auto e = fs->mkdir(kRootIno, "e", 0755, 0, 0);
	ASSERT_TRUE(d && e);
	auto f = fs->create_file(d->ino, "f", 0640, 0, 0, 2 * MiB);
	ASSERT_TRUE(f);
	std::vector<uint8_t> bytes(4096, 0x5a);
	ASSERT_TRUE(fs->write(f->ino, 0, bytes));
	ASSERT_TRUE(fs->rename(d->ino, "f", kRootIno, "g"));
	EXPECT_FALSE(fs->lookup(d->ino, "f"));
	auto g = fs->lookup(kRootIno, "g");
	ASSERT_TRUE(g);
	EXPECT_EQ(g->ino, f->ino) << "the same inode, only the name moved";
	ASSERT_TRUE(fs->rename(kRootIno, "d", e->ino, "d2"));
	EXPECT_EQ(fs->getattr(kRootIno)->nlink, 3u) << "root holds e only, and its . and ..";
	EXPECT_EQ(fs->getattr(e->ino)->nlink, 3u);
	ASSERT_TRUE(fs->create_file(d->ino, "inside", 0600, 0, 0, 0));
	EXPECT_EQ(*fs->path_of(d->ino), "e/d2");
	expect_same_after_remount(t, fs, {"g", "e", "e/d2", "e/d2/inside"});
	std::vector<uint8_t> got(4096);
	auto g2 = fs->lookup_path("g");
	ASSERT_TRUE(fs->read(g2->ino, 0, got));
	EXPECT_EQ(got, bytes);
}

TEST(NamespaceOps, RenameOverAnExistingFileFreesItsSpace)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	ASSERT_TRUE(fs->create_file(kRootIno, "a", 0644, 0, 0, 2 * MiB));
	ASSERT_TRUE(fs->create_file(kRootIno, "b", 0644, 0, 0, 6 * MiB));
	const uint64_t free_before = fs->statfs().free_units;
	ASSERT_TRUE(fs->rename(kRootIno, "a", kRootIno, "b"));
	EXPECT_EQ(fs->statfs().free_units, free_before + 3) << "b's three units are free";
	EXPECT_EQ(fs->lookup(kRootIno, "b")->allocated, 2 * MiB);
	EXPECT_FALSE(fs->lookup(kRootIno, "a"));
	expect_same_after_remount(t, fs, {"b"});
}

TEST(NamespaceOps, RenameRefusesWhatPosixRefusesAndChangesNothing)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto d = fs->mkdir(kRootIno, "d", 0755, 0, 0);
	auto full = fs->mkdir(kRootIno, "full", 0755, 0, 0);
	ASSERT_TRUE(d && full);
	auto sub = fs->mkdir(d->ino, "sub", 0755, 0, 0);
	ASSERT_TRUE(sub);
	ASSERT_TRUE(fs->create_file(full->ino, "x", 0644, 0, 0, 0));
	ASSERT_TRUE(fs->create_file(kRootIno, "f", 0644, 0, 0, 0));
	const uint64_t used = fs->statfs().log_used;
	struct Case {
		Ino from_dir;
		std::string from;
		Ino to_dir;
		std::string to;
		uint32_t flags;
		int errnum;
	};
	const std::vector<Case> cases{
		{kRootIno, "missing", kRootIno, "y", 0, ENOENT},
		{kRootIno, "d", sub->ino, "d", 0, EINVAL},      // under itself
		{kRootIno, "d", d->ino, "again", 0, EINVAL},    // into itself
		{kRootIno, "f", kRootIno, "d", 0, EISDIR},      // a file over a directory
		{kRootIno, "d", kRootIno, "f", 0, ENOTDIR},     // a directory over a file
		{kRootIno, "d", kRootIno, "full", 0, ENOTEMPTY},
		{kRootIno, "f", kRootIno, "d", kRenameNoReplace, EEXIST},
		{kRootIno, "f", kRootIno, "nothing", kRenameExchange, ENOENT},
		{kRootIno, "f", kRootIno, "g", kRenameNoReplace | kRenameExchange, EINVAL},
		{kRootIno, "f", kRootIno, "g", 8, EINVAL},
		{kRootIno, "f", kRootIno, std::string(256, 'n'), 0, ENAMETOOLONG},
		{kRootIno, "f", kRootIno, "a/b", 0, EINVAL},
		{kRootIno, "f", 999, "g", 0, ENOENT},
	};
	for (const auto &c : cases) {
		auto r = fs->rename(c.from_dir, c.from, c.to_dir, c.to, c.flags);
		ASSERT_FALSE(r) << c.from << " -> " << c.to.substr(0, 20);
		EXPECT_EQ(r.error().errnum, c.errnum) << c.from << " -> " << c.to.substr(0, 20) << ": "
						      << r.error().message();
	}
	EXPECT_EQ(fs->statfs().log_used, used) << "no refused rename was logged";
	EXPECT_TRUE(fs->rename(kRootIno, "f", kRootIno, std::string(255, 'n'))) << "255 bytes is a name";
	EXPECT_TRUE(fs->rename(kRootIno, "d", kRootIno, "d")) << "onto itself: nothing to do";
}

TEST(NamespaceOps, RenameExchangeSwapsAFileAndADirectory)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto d = fs->mkdir(kRootIno, "d", 0755, 0, 0);
	auto f = fs->create_file(kRootIno, "f", 0644, 0, 0, 2 * MiB);
	ASSERT_TRUE(d && f);
	ASSERT_TRUE(fs->create_file(d->ino, "in", 0644, 0, 0, 0));
	ASSERT_TRUE(fs->rename(kRootIno, "f", kRootIno, "d", kRenameExchange));
	EXPECT_EQ(fs->lookup(kRootIno, "d")->ino, f->ino);
	EXPECT_EQ(fs->lookup(kRootIno, "f")->ino, d->ino);
	EXPECT_TRUE(fs->lookup_path("f/in"));
	expect_same_after_remount(t, fs, {"d", "f", "f/in"});
}

TEST(NamespaceOps, ChmodChownAndSymlinksAreLoggedAndReplayed)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto f = fs->create_file(kRootIno, "f", 0644, 0, 0, 0);
	ASSERT_TRUE(f);
	auto a = fs->set_attr(f->ino, 04711, 1000, 100);
	ASSERT_TRUE(a) << a.error().message();
	EXPECT_EQ(a->mode, S_IFREG | 04711);
	EXPECT_EQ(a->uid, 1000u);
	auto b = fs->set_attr(f->ino, std::nullopt, std::nullopt, 7);
	ASSERT_TRUE(b);
	EXPECT_EQ(b->mode, S_IFREG | 04711) << "unchanged fields keep their values";
	EXPECT_EQ(b->gid, 7u);
	EXPECT_EQ(fs->set_attr(kRootIno, 0700, {}, {}).error().errnum, EPERM);
	EXPECT_EQ(fs->set_attr(f->ino, 010000, {}, {}).error().errnum, EINVAL);

	auto l = fs->symlink(kRootIno, "l", "../somewhere/else", 1000, 1000);
	ASSERT_TRUE(l) << l.error().message();
	EXPECT_TRUE(S_ISLNK(l->mode));
	EXPECT_EQ(l->size, std::string("../somewhere/else").size());
	EXPECT_EQ(*fs->readlink(l->ino), "../somewhere/else");
	EXPECT_EQ(fs->readlink(f->ino).error().errnum, EINVAL);
	EXPECT_EQ(fs->read(l->ino, 0, std::span<uint8_t>()).error().errnum, EINVAL);
	EXPECT_EQ(fs->symlink(kRootIno, "long", std::string(4096, 'x'), 0, 0).error().errnum,
		  ENAMETOOLONG);
	EXPECT_EQ(fs->symlink(kRootIno, "empty", "", 0, 0).error().errnum, EINVAL);
	EXPECT_EQ(fs->symlink(kRootIno, "f", "x", 0, 0).error().errnum, EEXIST);
	ASSERT_TRUE(fs->rename(kRootIno, "l", kRootIno, "l2"));
	expect_same_after_remount(t, fs, {"f", "l2"});
	EXPECT_EQ(*fs->readlink(fs->lookup_path("l2")->ino), "../somewhere/else");
	ASSERT_TRUE(fs->compact());
	expect_same_after_remount(t, fs, {"f", "l2"});
	EXPECT_EQ(*fs->readlink(fs->lookup_path("l2")->ino), "../somewhere/else");
	auto dev = t.open(true);
	fs.reset();
	EXPECT_EQ(fsck(*dev)->symlinks, 1u);
}

TEST(NamespaceOps, ResizeGrowsInPlaceWhenTheNextUnitsAreFreeAndShrinkFreesWholeUnits)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto f = fs->create_file(kRootIno, "f", 0644, 0, 0, 2 * MiB);
	ASSERT_TRUE(f);
	std::vector<uint8_t> bytes(2 * MiB, 0x11);
	ASSERT_TRUE(fs->write(f->ino, 0, bytes));
	const uint64_t free0 = fs->statfs().free_units;
	auto g = fs->resize(f->ino, 5 * MiB + 1);
	ASSERT_TRUE(g) << g.error().message();
	EXPECT_EQ(g->size, 5 * MiB + 1);
	EXPECT_EQ(g->allocated, 6 * MiB);
	EXPECT_EQ(fs->statfs().free_units, free0 - 2);
	EXPECT_EQ(extent_count(*fs->fmap(f->ino)), 1u) << "grown in place: still one extent";
	std::vector<uint8_t> got(2 * MiB);
	ASSERT_TRUE(fs->read(f->ino, 0, got));
	EXPECT_EQ(got, bytes) << "the bytes before the growth stay where they were";
	expect_same_after_remount(t, fs, {"f"});

	auto s = fs->resize(fs->lookup_path("f")->ino, 2 * MiB + 7);
	ASSERT_TRUE(s);
	EXPECT_EQ(s->allocated, 4 * MiB);
	EXPECT_EQ(fs->statfs().free_units, free0 - 1);
	auto z = fs->resize(s->ino, 0);
	ASSERT_TRUE(z);
	EXPECT_EQ(z->allocated, 0u);
	EXPECT_EQ(fs->statfs().free_units, free0 + 1);
	expect_same_after_remount(t, fs, {"f"});
}

TEST(NamespaceOps, GrowthPastAUsedNeighbourTakesAnotherExtentAndMergesNothingWrong)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto a = fs->create_file(kRootIno, "a", 0644, 0, 0, 2 * MiB);
	auto b = fs->create_file(kRootIno, "b", 0644, 0, 0, 2 * MiB); // right after a
	ASSERT_TRUE(a && b);
	auto g = fs->resize(a->ino, 4 * MiB);
	ASSERT_TRUE(g);
	EXPECT_EQ(extent_count(*fs->fmap(a->ino)), 2u);
	expect_same_after_remount(t, fs, {"a", "b"});
}

TEST(NamespaceOps, WritePastTheEndGrowsTheFileAndAFullDeviceLeavesItUnchanged)
{
	TempDevice t(32 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto f = fs->create_file(kRootIno, "f", 0644, 0, 0, 0);
	ASSERT_TRUE(f);
	std::vector<uint8_t> hello{'h', 'i', '\n'};
	auto w = fs->write(f->ino, 0, hello);
	ASSERT_TRUE(w) << w.error().message();
	EXPECT_EQ(fs->getattr(f->ino)->size, 3u);
	std::vector<uint8_t> more(3 * MiB, 0x22);
	ASSERT_TRUE(fs->write(f->ino, 3, more));
	EXPECT_EQ(fs->getattr(f->ino)->size, 3 * MiB + 3);
	EXPECT_EQ(fs->getattr(f->ino)->allocated, 4 * MiB);
	std::vector<uint8_t> got(3);
	ASSERT_TRUE(fs->read(f->ino, 0, got));
	EXPECT_EQ(got, hello);

	const Attr before = *fs->getattr(f->ino);
	const Fmap fmap_before = *fs->fmap(f->ino);
	std::vector<uint8_t> huge(64 * MiB, 0x33);
	auto nospace = fs->write(f->ino, before.size, huge);
	ASSERT_FALSE(nospace);
	EXPECT_EQ(nospace.error().errnum, ENOSPC) << nospace.error().message();
	EXPECT_EQ(fs->getattr(f->ino)->size, before.size) << "unchanged";
	EXPECT_EQ(*fs->fmap(f->ino), fmap_before);
	expect_same_after_remount(t, fs, {"f"});
}

TEST(NamespaceOps, AWriteInsideTheSpaceMovesTheSizeInMemoryUntilSyncWrittenLogsIt)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto f = fs->create_file(kRootIno, "f", 0644, 0, 0, 0);
	ASSERT_TRUE(f);
	std::vector<uint8_t> a(100, 'a'), b(100, 'b');
	ASSERT_TRUE(fs->write(f->ino, 0, a)); // a new unit: logged at once
	const uint64_t used = fs->statfs().log_used;
	ASSERT_TRUE(fs->write(f->ino, 100, b)); // inside it: memory only
	EXPECT_EQ(fs->getattr(f->ino)->size, 200u);
	EXPECT_EQ(fs->fmap(f->ino)->file_size, 200u);
	EXPECT_EQ(fs->statfs().log_used, used) << "no entry per write";
	fs.reset(); // as a crash before close would: the logged size holds
	fs = t.mount();
	ASSERT_TRUE(fs);
	EXPECT_EQ(fs->lookup_path("f")->size, 100u);
	const Ino ino = fs->lookup_path("f")->ino;
	ASSERT_TRUE(fs->write(ino, 100, b));
	ASSERT_TRUE(fs->sync_written(ino));
	EXPECT_GT(fs->statfs().log_used, used);
	ASSERT_TRUE(fs->compact());
	expect_same_after_remount(t, fs, {"f"});
	EXPECT_EQ(fs->lookup_path("f")->size, 200u);
	std::vector<uint8_t> got(200);
	ASSERT_TRUE(fs->read(fs->lookup_path("f")->ino, 0, got));
	EXPECT_TRUE(std::equal(a.begin(), a.end(), got.begin()));
	EXPECT_TRUE(std::equal(b.begin(), b.end(), got.begin() + 100));
}

TEST(NamespaceOps, SpaceAFileGainsReadsAsZerosNotAsTheBytesOfADeletedFile)
{
	TempDevice t(16 * MiB); // 5 data units: reuse is certain
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	const uint64_t units = fs->statfs().free_units;
	auto old = fs->create_file(kRootIno, "old", 0600, 0, 0, units * 2 * MiB);
	ASSERT_TRUE(old);
	const std::vector<uint8_t> secret(units * 2 * MiB, 0xee);
	ASSERT_TRUE(fs->write(old->ino, 0, secret));
	ASSERT_TRUE(fs->unlink(kRootIno, "old"));
	const std::vector<uint8_t> zeros(2 * MiB, 0);
	std::vector<uint8_t> got(2 * MiB);
	// A preallocated create, a truncate up, a write past the end with a gap.
	auto a = fs->create_file(kRootIno, "a", 0600, 1000, 1000, 2 * MiB);
	ASSERT_TRUE(a);
	ASSERT_TRUE(fs->read(a->ino, 0, got));
	EXPECT_EQ(got, zeros) << "create";
	auto b = fs->create_file(kRootIno, "b", 0600, 0, 0, 0);
	ASSERT_TRUE(b);
	ASSERT_TRUE(fs->resize(b->ino, 2 * MiB));
	ASSERT_TRUE(fs->read(b->ino, 0, got));
	EXPECT_EQ(got, zeros) << "truncate";
	ASSERT_TRUE(fs->resize(b->ino, 100));
	std::vector<uint8_t> x(1, 'x');
	ASSERT_TRUE(fs->write(b->ino, 1 * MiB, x));
	std::vector<uint8_t> gap(1 * MiB - 100);
	ASSERT_TRUE(fs->read(b->ino, 100, gap));
	EXPECT_EQ(gap, std::vector<uint8_t>(gap.size(), 0)) << "the gap a write past the end leaves";
	auto c = fs->create_file(kRootIno, "c", 0600, 0, 0, 0);
	ASSERT_TRUE(c);
	ASSERT_TRUE(fs->write(c->ino, 2 * MiB - 1, x)); // a new unit, all but one byte a gap
	ASSERT_TRUE(fs->read(c->ino, 0, std::span<uint8_t>(got.data(), 2 * MiB - 1)));
	EXPECT_TRUE(std::all_of(got.begin(), got.end() - 1, [](uint8_t v) { return v == 0; }));
}

TEST(NamespaceOps, FallocateKeepSizeNamesSpaceButNotSize)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto f = fs->create_file(kRootIno, "f", 0644, 0, 0, 0);
	ASSERT_TRUE(f);
	auto k = fs->fallocate(f->ino, 0, 6 * MiB, true);
	ASSERT_TRUE(k) << k.error().message();
	EXPECT_EQ(k->size, 0u);
	EXPECT_EQ(k->allocated, 6 * MiB);
	expect_same_after_remount(t, fs, {"f"});
	auto g = fs->fallocate(fs->lookup_path("f")->ino, 1 * MiB, 1 * MiB, false);
	ASSERT_TRUE(g);
	EXPECT_EQ(g->size, 2 * MiB);
	EXPECT_EQ(g->allocated, 6 * MiB) << "already there: nothing new";
	EXPECT_EQ(fs->fallocate(g->ino, 0, 0, false).error().errnum, EINVAL);
	expect_same_after_remount(t, fs, {"f"});
}

TEST(NamespaceOps, AStripedFileKeepsItsLayout)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto f = fs->create_file(kRootIno, "s", 0644, 0, 0, 8 * MiB, Layout::striped(2, 2 * MiB));
	ASSERT_TRUE(f);
	auto r = fs->resize(f->ino, 16 * MiB);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, EINVAL);
	EXPECT_NE(r.error().message().find("striped"), std::string::npos) << r.error().message();
	std::vector<uint8_t> one(1);
	EXPECT_EQ(fs->write(f->ino, 8 * MiB, one).error().errnum, EINVAL);
}

TEST(NamespaceOps, GrowthAndShrinkReachTheListenerWithTheWholeNewFmap)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto f = fs->create_file(kRootIno, "f", 0644, 0, 0, 2 * MiB);
	ASSERT_TRUE(f);
	std::vector<Fmap> seen;
	fs->set_listener([&](const ChangeEvent &ev) {
		if (ev.kind == ChangeKind::Resized)
			seen.push_back(ev.fmap);
	});
	ASSERT_TRUE(fs->resize(f->ino, 4 * MiB));
	ASSERT_TRUE(fs->resize(f->ino, 1));
	ASSERT_EQ(seen.size(), 2u);
	EXPECT_EQ(seen[0].file_size, 4 * MiB);
	EXPECT_EQ(seen[1], *fs->fmap(f->ino));
	EXPECT_EQ(seen[1].file_size, 1u);
}

TEST(NamespaceOps, NewEntryKindsRoundTripThroughTheLogCodec)
{
	Fmap fm;
	fm.file_size = 3;
	fm.extents = SimpleExtents{{.device = 0, .offset = 16 * MiB, .length = 2 * MiB}};
	const std::vector<LogRecord> records{
		RenameRecordEntry{.path = "a/b", .to = "c", .flags = 0, .time_ns = 5},
		RenameRecordEntry{.path = "x", .to = "y/z", .flags = kRenameExchange, .time_ns = 6},
		AttrRecordEntry{.path = "a", .mode = 01755, .uid = 3, .gid = 4},
		SymlinkRecordEntry{.path = "l", .target = "/etc/hostname", .uid = 1, .gid = 2, .time_ns = 7},
		ResizeRecordEntry{.path = "f", .size = 3, .time_ns = 8, .fmap = fm},
	};
	for (const auto &rec : records) {
		auto bytes = encode_entry(rec, 9, 2);
		ASSERT_TRUE(bytes) << bytes.error().message();
		auto back = decode_entry(*bytes);
		ASSERT_TRUE(back) << back.error().message();
		EXPECT_EQ(back->record, rec);
		EXPECT_TRUE(back->warnings.empty());
	}
	EXPECT_FALSE(encode_entry(RenameRecordEntry{.path = "a", .to = "b", .flags = 1}, 1));
	EXPECT_FALSE(encode_entry(SymlinkRecordEntry{.path = "l", .target = std::string("a\0b", 3)}, 1));
	Fmap wrong = fm;
	wrong.file_size = 4;
	EXPECT_FALSE(encode_entry(ResizeRecordEntry{.path = "f", .size = 3, .fmap = wrong}, 1));
}

} // namespace
} // namespace daxfmap::fs

// SPDX-License-Identifier: GPL-2.0-only
// The file system over emulated devices: mkfs, mount, replay round trips with
// data, refusals, read-only on corruption, inode numbers, the listener, fsck.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <atomic>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/validate.hpp"
#include "libdaxfmap_fs/filesystem.hpp"
#include "fs_test_util.hpp"

namespace daxfmap::fs {
namespace {

using testing::MiB;
using testing::TempDevice;

std::vector<uint8_t> pattern(size_t n, uint64_t seed)
{
	std::vector<uint8_t> v(n);
	std::mt19937_64 rng(seed);
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = rng();
		std::memcpy(v.data() + i, &x, std::min<size_t>(8, n - i));
	}
	return v;
}

// Reads file bytes straight from the device file at resolve_native's offsets.
std::vector<uint8_t> read_via_device_file(const std::string &dev_path, const Fmap &fmap)
{
	std::vector<uint8_t> out(fmap.file_size);
	int fd = ::open(dev_path.c_str(), O_RDONLY);
	EXPECT_GE(fd, 0);
	for (uint64_t off = 0; off < fmap.file_size;) {
		auto r = resolve_native(fmap, off, fmap.file_size - off);
		EXPECT_TRUE(r.ok()) << r;
		if (!r.ok())
			break;
		EXPECT_EQ(pread(fd, out.data() + off, r.length, static_cast<off_t>(r.device_offset)),
			  static_cast<ssize_t>(r.length));
		off += r.length;
	}
	close(fd);
	return out;
}

struct Sample {
	std::string name;
	uint64_t size;
	Layout layout;
};

const std::vector<Sample> &samples()
{
	static const std::vector<Sample> s = {
		{"small", 4096 + 17, Layout::simple()},
		{"simple", 7 * MiB + 3, Layout::simple()},
		{"striped4x2M", 24 * MiB, Layout::striped(4, 2 * MiB)},
		{"striped3x4M", 13 * MiB + 5, Layout::striped(3, 4 * MiB)},
		{"striped1x8M", 9 * MiB, Layout::striped(1, 8 * MiB)},
	};
	return s;
}

TEST(FileSystem, FilesOfSeveralLayoutsSurviveUnmountAndRemount)
{
	TempDevice t(256 * MiB);
	std::vector<std::pair<Ino, Fmap>> created;
	{
		auto fs = t.mkfs_and_mount();
		ASSERT_TRUE(fs);
		auto d = fs->mkdir(kRootIno, "dir", 0750, 1000, 1000);
		ASSERT_TRUE(d) << d.error().message();
		uint64_t seed = 1;
		for (const auto &s : samples()) {
			auto a = fs->create_file(d->ino, s.name, 0640, 1000, 100, s.size, s.layout);
			ASSERT_TRUE(a) << s.name << ": " << a.error().message();
			EXPECT_EQ(a->size, s.size);
			auto data = pattern(s.size, seed++);
			auto w = fs->write(a->ino, 0, data);
			ASSERT_TRUE(w) << w.error().message();
			EXPECT_EQ(*w, s.size);
			auto f = fs->fmap(a->ino);
			ASSERT_TRUE(f);
			EXPECT_TRUE(check(*f, limits_for(Profile::V10))) << s.name;
			created.emplace_back(a->ino, *f);
			ASSERT_TRUE(fs->fsync(a->ino));
		}
	}
	auto fs = t.mount();
	ASSERT_TRUE(fs);
	EXPECT_FALSE(fs->read_only());
	EXPECT_FALSE(fs->replay_report().damage);
	auto d = fs->lookup(kRootIno, "dir");
	ASSERT_TRUE(d);
	EXPECT_TRUE(d->is_dir());
	EXPECT_EQ(d->mode & 07777, 0750u);
	uint64_t seed = 1;
	for (size_t i = 0; i < samples().size(); i++) {
		const auto &s = samples()[i];
		auto a = fs->lookup(d->ino, s.name);
		ASSERT_TRUE(a) << s.name;
		EXPECT_EQ(a->ino, created[i].first) << "inode numbers are stable across remount";
		EXPECT_EQ(a->size, s.size);
		EXPECT_EQ(a->uid, 1000u);
		EXPECT_EQ(a->gid, 100u);
		EXPECT_EQ(a->mode, static_cast<uint32_t>(S_IFREG | 0640));
		auto f = fs->fmap(a->ino);
		ASSERT_TRUE(f);
		EXPECT_EQ(*f, created[i].second);
		auto expect = pattern(s.size, seed++);
		std::vector<uint8_t> got(s.size + 100);
		auto r = fs->read(a->ino, 0, got);
		ASSERT_TRUE(r);
		EXPECT_EQ(*r, s.size);
		got.resize(s.size);
		EXPECT_EQ(got, expect) << s.name;
		EXPECT_EQ(read_via_device_file(t.path(), *f), expect) << s.name << " on the device";
	}
}

TEST(FileSystem, ReadsAndWritesAtOffsetsAcrossChunkBoundaries)
{
	TempDevice t(128 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto a = fs->create_file(kRootIno, "f", 0644, 0, 0, 20 * MiB, Layout::striped(4, 2 * MiB));
	ASSERT_TRUE(a);
	auto data = pattern(5 * MiB, 9);
	const uint64_t off = 2 * MiB - 1000;
	ASSERT_TRUE(fs->write(a->ino, off, data));
	std::vector<uint8_t> got(5 * MiB);
	auto r = fs->read(a->ino, off, got);
	ASSERT_TRUE(r);
	EXPECT_EQ(got, data);
	std::vector<uint8_t> tail(100);
	r = fs->read(a->ino, 20 * MiB - 10, tail);
	ASSERT_TRUE(r);
	EXPECT_EQ(*r, 10u);
	r = fs->read(a->ino, 20 * MiB, tail);
	ASSERT_TRUE(r);
	EXPECT_EQ(*r, 0u);
}

TEST(FileSystem, AWriteAcrossTheEndGrowsTheFileToItsEnd)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto a = fs->create_file(kRootIno, "f", 0644, 0, 0, 3 * MiB);
	ASSERT_TRUE(a);
	std::vector<uint8_t> buf(4096, 1);
	auto w = fs->write(a->ino, 3 * MiB - 100, buf);
	ASSERT_TRUE(w) << w.error().message();
	EXPECT_EQ(fs->getattr(a->ino)->size, 3 * MiB - 100 + 4096);
	EXPECT_EQ(fs->getattr(a->ino)->allocated, 4 * MiB) << "the last unit already held it";
	std::vector<uint8_t> got(4096);
	ASSERT_TRUE(fs->read(a->ino, 3 * MiB - 100, got));
	EXPECT_EQ(got, buf);
	std::vector<uint8_t> one(1);
	auto wrap = fs->write(a->ino, UINT64_MAX, one);
	ASSERT_FALSE(wrap);
	EXPECT_EQ(wrap.error().errnum, EFBIG);
}

TEST(FileSystem, EmptyFileGetsItsSpaceOnceAndReplays)
{
	TempDevice t(64 * MiB);
	{
		auto fs = t.mkfs_and_mount();
		ASSERT_TRUE(fs);
		auto a = fs->create_file(kRootIno, "e", 0600, 0, 0, 0);
		ASSERT_TRUE(a);
		EXPECT_EQ(a->size, 0u);
		auto f = fs->fmap(a->ino);
		ASSERT_TRUE(f);
		EXPECT_TRUE(f->is_simple() && f->simple().empty());
		auto b = fs->allocate(a->ino, 6 * MiB, Layout::striped(2, 2 * MiB));
		ASSERT_TRUE(b) << b.error().message();
		EXPECT_EQ(b->size, 6 * MiB);
		EXPECT_EQ(b->ino, a->ino);
		auto again = fs->allocate(a->ino, 2 * MiB);
		ASSERT_FALSE(again);
		EXPECT_EQ(again.error().errnum, EINVAL);
		ASSERT_TRUE(fs->write(a->ino, 0, pattern(6 * MiB, 3)));
	}
	auto fs = t.mount();
	ASSERT_TRUE(fs);
	auto a = fs->lookup(kRootIno, "e");
	ASSERT_TRUE(a);
	EXPECT_EQ(a->size, 6 * MiB);
	std::vector<uint8_t> got(6 * MiB);
	ASSERT_TRUE(fs->read(a->ino, 0, got));
	EXPECT_EQ(got, pattern(6 * MiB, 3));
}

TEST(FileSystem, DeleteFreesSpaceAndInodeNumbersAreReusedLowestFirst)
{
	TempDevice t(64 * MiB);
	std::vector<Ino> inos;
	{
		auto fs = t.mkfs_and_mount();
		ASSERT_TRUE(fs);
		const uint64_t free0 = fs->statfs().free_units;
		for (const char *n : {"a", "b", "c", "d"})
			inos.push_back(fs->create_file(kRootIno, n, 0644, 0, 0, 2 * MiB)->ino);
		EXPECT_EQ(inos, (std::vector<Ino>{2, 3, 4, 5}));
		EXPECT_EQ(fs->max_ino(), 5u);
		const uint64_t gen_b = fs->getattr(3)->generation;
		ASSERT_TRUE(fs->unlink(kRootIno, "b"));
		ASSERT_TRUE(fs->unlink(kRootIno, "d"));
		EXPECT_EQ(fs->max_ino(), 4u);
		EXPECT_EQ(fs->statfs().free_units, free0 - 2);
		auto e = fs->create_file(kRootIno, "e", 0644, 0, 0, 2 * MiB);
		ASSERT_TRUE(e);
		EXPECT_EQ(e->ino, 3u);
		EXPECT_NE(e->generation, gen_b);
		auto gone = fs->lookup(kRootIno, "b");
		ASSERT_FALSE(gone);
		EXPECT_EQ(gone.error().errnum, ENOENT);
	}
	auto fs = t.mount();
	ASSERT_TRUE(fs);
	EXPECT_EQ(fs->lookup(kRootIno, "e")->ino, 3u);
	EXPECT_EQ(fs->lookup(kRootIno, "c")->ino, 4u);
	EXPECT_EQ(fs->max_ino(), 4u);
	auto entries = fs->readdir(kRootIno);
	ASSERT_TRUE(entries);
	ASSERT_EQ(entries->size(), 3u);
	EXPECT_EQ((*entries)[0].name, "a");
	EXPECT_EQ((*entries)[2].name, "e");
}

TEST(FileSystem, DirectoriesNestAndOnlyEmptyOnesAreRemoved)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto a = fs->mkdir(kRootIno, "a", 0755, 0, 0);
	auto b = fs->mkdir(a->ino, "b", 0755, 0, 0);
	ASSERT_TRUE(b);
	ASSERT_TRUE(fs->create_file(b->ino, "f", 0644, 0, 0, 2 * MiB));
	EXPECT_EQ(*fs->path_of(fs->lookup_path("a/b/f")->ino), "a/b/f");
	EXPECT_EQ(fs->getattr(kRootIno)->nlink, 3u);
	EXPECT_EQ(fs->getattr(a->ino)->nlink, 3u);
	EXPECT_EQ(fs->getattr(b->ino)->nlink, 2u);
	auto r = fs->rmdir(kRootIno, "a");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENOTEMPTY);
	r = fs->unlink(a->ino, "b");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, EISDIR);
	r = fs->rmdir(b->ino, "f");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENOTDIR);
	auto dup = fs->mkdir(kRootIno, "a", 0755, 0, 0);
	ASSERT_FALSE(dup);
	EXPECT_EQ(dup.error().errnum, EEXIST);
	ASSERT_TRUE(fs->unlink(b->ino, "f"));
	ASSERT_TRUE(fs->rmdir(a->ino, "b"));
	EXPECT_EQ(fs->getattr(a->ino)->nlink, 2u);
	ASSERT_TRUE(fs->rmdir(kRootIno, "a"));
	EXPECT_EQ(fs->getattr(kRootIno)->nlink, 2u);
	EXPECT_TRUE(fs->readdir(kRootIno)->empty());
	EXPECT_EQ(fs->rename(kRootIno, "x", kRootIno, "y").error().errnum, ENOENT);
}

TEST(FileSystem, ListenerSeesCreatesAllocationsAndDeletesInOrder)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	std::vector<std::tuple<ChangeKind, Ino, uint64_t>> seen;
	fs->set_listener([&](const ChangeEvent &e) {
		seen.emplace_back(e.kind, e.ino, e.fmap.file_size);
	});
	auto a = fs->create_file(kRootIno, "a", 0644, 0, 0, 4 * MiB);
	auto e = fs->create_file(kRootIno, "e", 0644, 0, 0, 0);
	ASSERT_TRUE(fs->allocate(e->ino, 2 * MiB));
	ASSERT_TRUE(fs->unlink(kRootIno, "a"));
	using T = std::tuple<ChangeKind, Ino, uint64_t>;
	EXPECT_EQ(seen, (std::vector<T>{T{ChangeKind::Created, a->ino, 4 * MiB},
					T{ChangeKind::Created, e->ino, 0},
					T{ChangeKind::Allocated, e->ino, 2 * MiB},
					T{ChangeKind::Deleted, a->ino, 4 * MiB}}));
}

TEST(FileSystem, ConcurrentReadersAndWritersSeeTheirOwnFiles)
{
	TempDevice t(128 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	std::vector<std::thread> threads;
	std::atomic<int> failures{0};
	for (int i = 0; i < 4; i++) {
		threads.emplace_back([&, i] {
			for (int j = 0; j < 10; j++) {
				std::string name = "t" + std::to_string(i) + "-" + std::to_string(j);
				auto a = fs->create_file(kRootIno, name, 0644, 0, 0, 2 * MiB + 7);
				if (!a) {
					failures++;
					continue;
				}
				auto data = pattern(2 * MiB + 7, i * 100 + j);
				std::vector<uint8_t> got(data.size());
				if (!fs->write(a->ino, 0, data) || !fs->read(a->ino, 0, got) || got != data)
					failures++;
				if (j % 3 == 0 && !fs->unlink(kRootIno, name))
					failures++;
			}
		});
	}
	for (auto &th : threads)
		th.join();
	EXPECT_EQ(failures.load(), 0);
	EXPECT_EQ(fs->readdir(kRootIno)->size(), 4u * 6);
}

TEST(Mkfs, TooSmallDeviceIsRefusedNamingWhatIsNeeded)
{
	TempDevice t(8 * MiB);
	auto d = t.open();
	ASSERT_TRUE(d);
	auto r = FileSystem::mkfs(*d); // 2 MiB sb + 8 MiB log + a unit > 8 MiB
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENOSPC);
	EXPECT_NE(r.error().message().find("too small"), std::string::npos) << r.error().message();
	EXPECT_TRUE(FileSystem::mkfs(*d, MkfsOptions{.log_size = 2 * MiB}));
}

TEST(Mkfs, BadLogSizeIsEINVAL)
{
	TempDevice t(64 * MiB);
	auto d = t.open();
	auto r = FileSystem::mkfs(*d, MkfsOptions{.log_size = 3 * MiB + 4096});
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, EINVAL);
}

TEST(Mkfs, RefusesToOverwriteAFileSystemUnlessForced)
{
	TempDevice t(64 * MiB);
	{
		auto fs = t.mkfs_and_mount();
		ASSERT_TRUE(fs->create_file(kRootIno, "keep", 0644, 0, 0, 2 * MiB));
	}
	auto d = t.open();
	auto r = FileSystem::mkfs(*d);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, EEXIST);
	d.reset();
	auto fs = t.mount();
	ASSERT_TRUE(fs);
	EXPECT_TRUE(fs->lookup(kRootIno, "keep"));
	fs.reset();
	d = t.open();
	ASSERT_TRUE(FileSystem::mkfs(*d, MkfsOptions{.force = true}));
	d.reset();
	fs = t.mount();
	EXPECT_FALSE(fs->lookup(kRootIno, "keep"));
}

TEST(Mount, UnformattedDeviceIsNotADaxfmapFileSystem)
{
	TempDevice t(64 * MiB);
	auto fs = FileSystem::mount(t.open());
	ASSERT_FALSE(fs);
	EXPECT_EQ(fs.error().errnum, EINVAL);
	EXPECT_NE(fs.error().message().find("not a daxfmap file system"), std::string::npos)
		<< fs.error().message();
}

TEST(Mount, CorruptSuperblockIsRefusedAndLeftAlone)
{
	TempDevice t(64 * MiB);
	t.mkfs_and_mount().reset();
	{
		auto d = t.open();
		d->base()[offsetof(Superblock, log_size)] ^= 0x02;
	}
	auto d = t.open();
	std::vector<uint8_t> before(d->base(), d->base() + 12 * MiB);
	auto fs = FileSystem::mount(std::move(d));
	ASSERT_FALSE(fs);
	EXPECT_EQ(fs.error().errnum, EBADMSG);
	EXPECT_NE(fs.error().message().find("crc32c"), std::string::npos) << fs.error().message();
	d = t.open();
	EXPECT_EQ(0, std::memcmp(before.data(), d->base(), before.size()));
	auto rep = fsck(*d);
	ASSERT_TRUE(rep);
	EXPECT_FALSE(rep->superblock_ok);
	EXPECT_FALSE(rep->clean());
}

TEST(Mount, CorruptMidLogEntryMountsReadOnlyWithAReport)
{
	TempDevice t(64 * MiB);
	uint64_t b_offset = 0;
	{
		auto fs = t.mkfs_and_mount();
		ASSERT_TRUE(fs->create_file(kRootIno, "a", 0644, 0, 0, 2 * MiB));
		b_offset = fs->statfs().log_used;
		ASSERT_TRUE(fs->create_file(kRootIno, "b", 0644, 0, 0, 2 * MiB));
		ASSERT_TRUE(fs->create_file(kRootIno, "c", 0644, 0, 0, 2 * MiB));
	}
	{
		auto d = t.open();
		d->base()[kLogOffset + b_offset + sizeof(LogEntryHeader) + 1] ^= 0x10;
	}
	auto fs = t.mount();
	ASSERT_TRUE(fs);
	EXPECT_TRUE(fs->read_only());
	const auto &rep = fs->replay_report();
	ASSERT_TRUE(rep.damage);
	EXPECT_TRUE(rep.damage->corrupt);
	EXPECT_EQ(rep.damage->offset, b_offset);
	EXPECT_EQ(rep.entries, 1u);
	EXPECT_TRUE(fs->lookup(kRootIno, "a"));
	EXPECT_FALSE(fs->lookup(kRootIno, "b"));
	auto c = fs->create_file(kRootIno, "d", 0644, 0, 0, 2 * MiB);
	ASSERT_FALSE(c);
	EXPECT_EQ(c.error().errnum, EROFS);
	EXPECT_NE(c.error().message().find("corrupt"), std::string::npos) << c.error().message();
	auto a = fs->lookup(kRootIno, "a");
	std::vector<uint8_t> one(1);
	EXPECT_EQ(fs->write(a->ino, 0, one).error().errnum, EROFS);
	EXPECT_TRUE(fs->read(a->ino, 0, one));
	auto report = fsck(fs->device());
	ASSERT_TRUE(report);
	EXPECT_FALSE(report->clean());
	EXPECT_TRUE(report->damage && report->damage->corrupt);
}

TEST(Mount, TornTailCreateIsDroppedAndTheFileSystemStaysWritable)
{
	Fmap f;
	f.file_size = 2 * MiB;
	f.extents = SimpleExtents{{.device = 0, .offset = 12 * MiB, .length = 2 * MiB}};
	auto e = encode_entry(FileRecordEntry{.path = "torn", .size = 2 * MiB, .fmap = f}, 2);
	ASSERT_TRUE(e);
	// A create interrupted with its header and part of its payload on the
	// media, or with all of it but not its commit.
	for (size_t keep : {sizeof(LogEntryHeader) + 20, e->size()}) {
		SCOPED_TRACE(std::to_string(keep) + " bytes of the entry");
		TempDevice t(64 * MiB);
		uint64_t torn_at = 0;
		{
			auto fs = t.mkfs_and_mount();
			ASSERT_TRUE(fs->create_file(kRootIno, "a", 0644, 0, 0, 2 * MiB));
			torn_at = fs->statfs().log_used;
		}
		std::memcpy(t.open()->base() + kLogOffset + torn_at, e->data(), keep);
		{
			auto fs = t.mount();
			ASSERT_TRUE(fs);
			EXPECT_FALSE(fs->read_only());
			ASSERT_TRUE(fs->replay_report().damage);
			EXPECT_FALSE(fs->replay_report().damage->corrupt);
			EXPECT_FALSE(fs->lookup(kRootIno, "torn"));
			auto rep = fsck(fs->device());
			ASSERT_TRUE(rep);
			EXPECT_TRUE(rep->clean()) << rep->problems.front().message();
			EXPECT_EQ(rep->warnings.size(), 1u);
			ASSERT_TRUE(fs->create_file(kRootIno, "b", 0644, 0, 0, 2 * MiB));
		}
		{
			auto d = t.open(true);
			MetadataLog log(*d, kCommitOffset, kLogOffset, kDefaultLogSize);
			auto r = log.replay();
			ASSERT_EQ(r.entries.size(), 2u);
			EXPECT_EQ(r.entries[1].offset, torn_at) << "b took the torn entry's place";
		}
		auto fs = t.mount();
		ASSERT_TRUE(fs);
		EXPECT_FALSE(fs->replay_report().damage);
		EXPECT_TRUE(fs->lookup(kRootIno, "a"));
		EXPECT_TRUE(fs->lookup(kRootIno, "b"));
		EXPECT_FALSE(fs->read_only());
	}
}

TEST(FileSystem, PathTooLongIsENAMETOOLONGAndLogsNothing)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	const uint64_t used = fs->statfs().log_used;
	auto r = fs->create_file(kRootIno, std::string(256, 'x'), 0644, 0, 0, 2 * MiB);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENAMETOOLONG);
	Ino dir = kRootIno;
	for (int i = 0; i < 4; i++)
		dir = fs->mkdir(dir, std::string(250, 'a' + i), 0755, 0, 0)->ino;
	const uint64_t used_dirs = fs->statfs().log_used;
	EXPECT_GT(used_dirs, used);
	r = fs->create_file(dir, std::string(100, 'f'), 0644, 0, 0, 2 * MiB);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENAMETOOLONG);
	EXPECT_EQ(fs->statfs().log_used, used_dirs);
	EXPECT_EQ(fs->statfs().free_units, fs->statfs().total_units);
}

TEST(FileSystem, FullDeviceIsENOSPCAndNothingChanges)
{
	auto d = Device::open("memfd:64M");
	ASSERT_TRUE(d);
	ASSERT_TRUE(FileSystem::mkfs(**d));
	auto m = FileSystem::mount(std::move(*d));
	ASSERT_TRUE(m);
	auto &fs = *m;
	const StatFs before = fs->statfs();
	EXPECT_EQ(before.total_units, 27u); // 64 MiB - 2 MiB sb - 8 MiB log
	auto r = fs->create_file(kRootIno, "big", 0644, 0, 0, 56 * MiB);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENOSPC);
	EXPECT_NE(r.error().message().find("free"), std::string::npos) << r.error().message();
	// 2 strips of 4 chunks of 8 MiB: 64 MiB of space for 50 MiB of data.
	r = fs->create_file(kRootIno, "striped", 0644, 0, 0, 50 * MiB, Layout::striped(2, 8 * MiB));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENOSPC);
	EXPECT_EQ(fs->statfs().free_units, before.free_units);
	EXPECT_EQ(fs->statfs().log_used, before.log_used);
	EXPECT_FALSE(fs->lookup(kRootIno, "big"));
	ASSERT_TRUE(fs->create_file(kRootIno, "fits", 0644, 0, 0, 54 * MiB));
	EXPECT_EQ(fs->statfs().free_units, 0u);
}

TEST(FileSystem, FullLogIsENOSPCAndReleasesTheSpace)
{
	auto d = Device::open("memfd:16M");
	ASSERT_TRUE(d);
	ASSERT_TRUE(FileSystem::mkfs(**d, MkfsOptions{.log_size = 2 * MiB}));
	auto m = FileSystem::mount(std::move(*d));
	ASSERT_TRUE(m);
	auto &fs = *m;
	std::string name(240, 'd');
	Result<Attr> r = Error{};
	int n = 0;
	while ((r = fs->mkdir(kRootIno, name + std::to_string(n), 0755, 0, 0)))
		n++;
	EXPECT_EQ(r.error().errnum, ENOSPC);
	EXPECT_NE(r.error().message().find("metadata log"), std::string::npos) << r.error().message();
	const uint64_t free_units = fs->statfs().free_units;
	auto f = fs->create_file(kRootIno, name + "f", 0644, 0, 0, 2 * MiB);
	ASSERT_FALSE(f);
	EXPECT_EQ(f.error().errnum, ENOSPC);
	EXPECT_EQ(fs->statfs().free_units, free_units);
}

TEST(Fsck, CleanOnGoodMediaWithCounts)
{
	TempDevice t(128 * MiB);
	{
		auto fs = t.mkfs_and_mount();
		auto d = fs->mkdir(kRootIno, "d", 0755, 0, 0);
		ASSERT_TRUE(fs->create_file(d->ino, "a", 0644, 0, 0, 5 * MiB));
		ASSERT_TRUE(fs->create_file(kRootIno, "s", 0644, 0, 0, 16 * MiB, Layout::striped(4, 2 * MiB)));
		ASSERT_TRUE(fs->create_file(kRootIno, "x", 0644, 0, 0, 2 * MiB));
		ASSERT_TRUE(fs->unlink(kRootIno, "x"));
	}
	auto d = t.open(true);
	auto rep = fsck(*d);
	ASSERT_TRUE(rep);
	EXPECT_TRUE(rep->clean()) << rep->problems.front().message();
	EXPECT_TRUE(rep->superblock_ok);
	EXPECT_EQ(rep->entries, 5u);
	EXPECT_EQ(rep->files, 2u);
	EXPECT_EQ(rep->dirs, 2u);
	EXPECT_EQ(rep->used_units, 3u + 8u);
	EXPECT_EQ(rep->used_units + rep->free_units, rep->total_units);
}

// Injects a logged file whose fmap breaks the allocator's rules, the way a
// buggy writer would, straight through the log.
void inject_file(const TempDevice &t, const std::string &path, const Fmap &fmap)
{
	auto d = t.open();
	auto sb = read_superblock(*d);
	ASSERT_TRUE(sb);
	MetadataLog log(*d, kCommitOffset, sb->log_offset, sb->log_size);
	(void)log.replay();
	auto e = log.append(FileRecordEntry{.path = path, .size = fmap.file_size, .fmap = fmap});
	ASSERT_TRUE(e) << e.error().message();
}

TEST(Fsck, ReportsOverlappingExtents)
{
	TempDevice t(64 * MiB);
	Fmap a_fmap;
	{
		auto fs = t.mkfs_and_mount();
		auto a = fs->create_file(kRootIno, "a", 0644, 0, 0, 4 * MiB);
		a_fmap = *fs->fmap(a->ino);
	}
	Fmap overlap = a_fmap;
	overlap.simple()[0].offset += 2 * MiB;
	inject_file(t, "b", overlap);
	auto d = t.open(true);
	auto rep = fsck(*d);
	ASSERT_TRUE(rep);
	ASSERT_FALSE(rep->clean());
	EXPECT_NE(rep->problems[0].message().find("\"b\""), std::string::npos)
		<< rep->problems[0].message();
	EXPECT_NE(rep->problems[0].message().find("already in use"), std::string::npos)
		<< rep->problems[0].message();
	d.reset();
	auto fs = t.mount();
	ASSERT_TRUE(fs);
	EXPECT_TRUE(fs->read_only()) << "a log that does not apply is corruption";
}

TEST(Fsck, ReportsOutOfBoundsExtents)
{
	TempDevice t(64 * MiB);
	t.mkfs_and_mount().reset();
	Fmap f;
	f.file_size = 4 * MiB;
	f.extents = SimpleExtents{{.device = 0, .offset = 62 * MiB, .length = 4 * MiB}};
	inject_file(t, "past-end", f);
	Fmap g;
	g.file_size = 2 * MiB;
	g.extents = SimpleExtents{{.device = 0, .offset = 2 * MiB, .length = 2 * MiB}}; // the log
	inject_file(t, "in-log", g);
	auto d = t.open(true);
	auto rep = fsck(*d);
	ASSERT_TRUE(rep);
	ASSERT_EQ(rep->problems.size(), 2u);
	EXPECT_NE(rep->problems[0].message().find("data area"), std::string::npos)
		<< rep->problems[0].message();
	EXPECT_NE(rep->problems[1].message().find("in-log"), std::string::npos);
}

TEST(Fsck, ReportsDeletesOfMissingPathsAndDuplicateCreates)
{
	TempDevice t(64 * MiB);
	ASSERT_TRUE(t.mkfs_and_mount()->create_file(kRootIno, "a", 0644, 0, 0, 2 * MiB));
	{
		auto d = t.open();
		auto sb = read_superblock(*d);
		MetadataLog log(*d, kCommitOffset, sb->log_offset, sb->log_size);
		(void)log.replay();
		ASSERT_TRUE(log.append(DeleteRecordEntry{.path = "nothing"}));
		ASSERT_TRUE(log.append(MkdirRecordEntry{.path = "a"}));
	}
	auto d = t.open(true);
	auto rep = fsck(*d);
	ASSERT_TRUE(rep);
	ASSERT_EQ(rep->problems.size(), 2u);
	EXPECT_EQ(rep->problems[0].errnum, ENOENT);
	EXPECT_EQ(rep->problems[1].errnum, EEXIST);
}

} // namespace
} // namespace daxfmap::fs

namespace daxfmap::fs {
namespace {

TEST(Mount, SecondWritableMountOfTheSameDeviceIsEBUSY)
{
	testing::TempDevice t(64 * testing::MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto second = FileSystem::mount(t.open());
	ASSERT_FALSE(second);
	EXPECT_EQ(second.error().errnum, EBUSY);
	auto d = t.open();
	auto mk = FileSystem::mkfs(*d, MkfsOptions{.force = true});
	ASSERT_FALSE(mk);
	EXPECT_EQ(mk.error().errnum, EBUSY);
	fs.reset();
	EXPECT_TRUE(FileSystem::mount(t.open()));
}

TEST(Mount, ReadOnlyMountBesideALiveWriterIsRefusedAndTheOtherWayRound)
{
	testing::TempDevice t(64 * testing::MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	auto ro = FileSystem::mount(t.open(true), MountOptions{.read_only = true});
	ASSERT_FALSE(ro);
	EXPECT_EQ(ro.error().errnum, EBUSY);
	EXPECT_NE(ro.error().message().find("read-write"), std::string::npos) << ro.error().message();
	fs.reset();
	auto ro2 = FileSystem::mount(t.open(true), MountOptions{.read_only = true});
	ASSERT_TRUE(ro2) << ro2.error().message();
	EXPECT_TRUE((*ro2)->read_only());
	auto rw = FileSystem::mount(t.open());
	ASSERT_FALSE(rw) << "a writer beside a read-only mount would make it stale";
	EXPECT_EQ(rw.error().errnum, EBUSY);
}

TEST(Mount, ReadOnlyMountAfterAWriterThatNeverUnmountedIsRefusedUntilRepair)
{
	testing::TempDevice t(64 * testing::MiB);
	{
		auto fs = t.mkfs_and_mount();
		ASSERT_TRUE(fs);
		ASSERT_TRUE(fs->create_file(kRootIno, "a", 0644, 0, 0, 2 * testing::MiB));
		// What a writer on another host, or one killed with -9, leaves:
		// the commit block still names it.
		LogCommitBlock cb;
		std::memcpy(&cb, fs->device().base() + kCommitOffset, sizeof(cb));
		auto copy = t.open();
		fs.reset();
		std::memcpy(copy->base() + kCommitOffset, &cb, sizeof(cb));
	}
	auto ro = FileSystem::mount(t.open(true), MountOptions{.read_only = true});
	ASSERT_FALSE(ro);
	EXPECT_EQ(ro.error().errnum, EBUSY);
	EXPECT_NE(ro.error().message().find("fsck --repair"), std::string::npos) << ro.error().message();
	auto rep = fsck(*t.open(true));
	ASSERT_TRUE(rep);
	EXPECT_TRUE(rep->clean());
	EXPECT_TRUE(rep->writer_live);
	auto fixed = repair_log(*t.open());
	ASSERT_TRUE(fixed) << fixed.error().message();
	EXPECT_TRUE(fixed->cleared_writer);
	auto ro2 = FileSystem::mount(t.open(true), MountOptions{.read_only = true});
	ASSERT_TRUE(ro2) << ro2.error().message();
	EXPECT_TRUE((*ro2)->lookup(kRootIno, "a"));
}

} // namespace
} // namespace daxfmap::fs

namespace daxfmap::fs {
namespace {

TEST(CreateEmulated, RefusesToOverwriteAMountedDevice)
{
	testing::TempDevice t(64 * testing::MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	ASSERT_TRUE(fs->create_file(kRootIno, "keep", 0644, 0, 0, 2 * testing::MiB));
	auto r = create_emulated(t.path(), 32 * testing::MiB, true);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, EBUSY);
	EXPECT_EQ(fs->device().size(), 64 * testing::MiB);
	EXPECT_TRUE(fs->lookup(kRootIno, "keep"));
}

} // namespace
} // namespace daxfmap::fs

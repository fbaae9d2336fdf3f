// SPDX-License-Identifier: GPL-2.0-only
// Inode lifetime with kernel references (MountOptions::count_lookups): an
// unlinked file the kernel still holds stays readable and writable, keeps
// its space and its number, and goes at the last forget.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "libdaxfmap_fs/filesystem.hpp"
#include "fs_test_util.hpp"

namespace daxfmap::fs {
namespace {

using testing::MiB;
using testing::TempDevice;

TEST(InodeLifetime, UnlinkedButReferencedFileKeepsItsBytesSpaceAndNumberUntilTheLastForget)
{
	TempDevice t(32 * MiB); // 13 data units
	auto fs = t.mkfs_and_mount(kDefaultLogSize, MountOptions{.count_lookups = true});
	ASSERT_TRUE(fs);
	auto f = fs->create_file(kRootIno, "open", 0644, 0, 0, 4 * MiB); // reference 1
	ASSERT_TRUE(f);
	ASSERT_TRUE(fs->lookup(kRootIno, "open"));                       // reference 2
	std::vector<uint8_t> mine(4096, 0xab);
	ASSERT_TRUE(fs->write(f->ino, 0, mine));
	std::vector<Ino> deleted;
	fs->set_listener([&](const ChangeEvent &ev) {
		if (ev.kind == ChangeKind::Deleted)
			deleted.push_back(ev.ino);
	});
	const uint64_t free_before = fs->statfs().free_units;
	ASSERT_TRUE(fs->unlink(kRootIno, "open"));
	EXPECT_FALSE(fs->lookup(kRootIno, "open")) << "the name is gone at once";
	EXPECT_EQ(fs->statfs().free_units, free_before) << "the space is not";
	EXPECT_EQ(fs->getattr(f->ino)->nlink, 0u);
	EXPECT_TRUE(deleted.empty());

	// Fill the device: nothing may take the unlinked file's units or number.
	std::vector<Ino> others;
	while (auto o = fs->create_file(kRootIno, "o" + std::to_string(others.size()), 0644, 0, 0, 2 * MiB))
		others.push_back(o->ino);
	EXPECT_FALSE(others.empty());
	for (Ino o : others)
		EXPECT_NE(o, f->ino);
	std::vector<uint8_t> got(4096);
	ASSERT_TRUE(fs->read(f->ino, 0, got));
	EXPECT_EQ(got, mine);
	ASSERT_TRUE(fs->write(f->ino, 8192, mine)) << "still writable";
	auto alloc = fs->allocate(f->ino, 2 * MiB);
	ASSERT_FALSE(alloc);
	EXPECT_EQ(alloc.error().errnum, ENOENT) << "no path to log it under";

	fs->forget(f->ino, 1);
	EXPECT_TRUE(deleted.empty()) << "one reference left";
	EXPECT_TRUE(fs->getattr(f->ino));
	fs->forget(f->ino, 1);
	EXPECT_EQ(deleted, std::vector<Ino>{f->ino});
	EXPECT_FALSE(fs->getattr(f->ino));
	EXPECT_EQ(fs->statfs().free_units, 2u) << "its two units are free now";

	// After a remount the unlink stands.
	fs.reset();
	auto again = t.mount();
	ASSERT_TRUE(again);
	EXPECT_FALSE(again->lookup(kRootIno, "open"));
}

TEST(InodeLifetime, UnreferencedFilesGoAtUnlinkAndCountingIsOffByDefault)
{
	TempDevice t(32 * MiB);
	auto fs = t.mkfs_and_mount();
	auto f = fs->create_file(kRootIno, "f", 0644, 0, 0, 2 * MiB);
	ASSERT_TRUE(fs->lookup(kRootIno, "f"));
	const uint64_t before = fs->statfs().free_units;
	ASSERT_TRUE(fs->unlink(kRootIno, "f"));
	EXPECT_EQ(fs->statfs().free_units, before + 1);
	EXPECT_FALSE(fs->getattr(f->ino));
}

TEST(InodeLifetime, AnUnlinkedFilesParentCanGoFirst)
{
	TempDevice t(32 * MiB);
	auto fs = t.mkfs_and_mount(kDefaultLogSize, MountOptions{.count_lookups = true});
	auto d = fs->mkdir(kRootIno, "d", 0755, 0, 0);
	auto f = fs->create_file(d->ino, "f", 0644, 0, 0, 2 * MiB);
	ASSERT_TRUE(fs->unlink(d->ino, "f"));
	ASSERT_TRUE(fs->rmdir(kRootIno, "d"));
	fs->forget(d->ino, 1);
	EXPECT_FALSE(fs->getattr(d->ino));
	auto t2 = fs->set_mtime(f->ino, 5);
	ASSERT_FALSE(t2) << "an unlinked file has no path to log";
	EXPECT_EQ(t2.error().errnum, ENOENT);
	EXPECT_NE(t2.error().message().find("unlinked"), std::string::npos);
	// A new directory may reuse d's number; the orphan must not be confused.
	auto d2 = fs->mkdir(kRootIno, "d2", 0755, 0, 0);
	ASSERT_TRUE(d2);
	std::vector<uint8_t> b(16);
	EXPECT_TRUE(fs->read(f->ino, 0, b));
	fs->forget(f->ino, 1);
	EXPECT_FALSE(fs->getattr(f->ino));
	EXPECT_TRUE(fs->getattr(d2->ino));
}

} // namespace
} // namespace daxfmap::fs

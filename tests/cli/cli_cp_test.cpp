// SPDX-License-Identifier: GPL-2.0-only
// daxfmap cp into a mounted daxfmap file system (an emulated device in the
// test's scratch directory): sources whose st_size is wrong, and copies
// that fail, which must leave nothing behind.
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/cli_fixture.hpp"
#include "support/mount_fixture.hpp"

namespace daxfmap {
namespace {

using namespace daxfmap::testing;

bool exists(const std::string &p)
{
	struct stat st {};
	return ::lstat(p.c_str(), &st) == 0;
}

using CliCp = MountedFs;

TEST_F(CliCp, ASourceWhoseSizeSaysZeroIsCopiedWhole)
{
	mkfs();
	mount();
	// /proc says 0 bytes; the copy's own command line is what it holds.
	const std::string dst = in_mnt("cmdline");
	Outcome r = run({"cp", "/proc/self/cmdline", dst});
	ASSERT_EQ(r.code, 0) << r.err;
	const std::string want = kCli + '\0' + "cp" + '\0' + "/proc/self/cmdline" + '\0' + dst + '\0';
	EXPECT_EQ(slurp(dst), want);
	struct stat st {};
	ASSERT_EQ(::stat(dst.c_str(), &st), 0);
	EXPECT_EQ(static_cast<size_t>(st.st_size), want.size());

	r = run({"cp", "/proc/self/status", in_mnt("status")});
	ASSERT_EQ(r.code, 0) << r.err;
	EXPECT_EQ(slurp(in_mnt("status")).rfind("Name:\tdaxfmap\n", 0), 0u) << slurp(in_mnt("status"));
	umount();
}

TEST_F(CliCp, ACopyThatFailsLeavesNothingBehind)
{
	mkfs("32M");
	mount();
	// st_size 0, and reading at offset 0 fails (EIO: nothing mapped there).
	Outcome r = run({"cp", "/proc/self/mem", in_mnt("mem")});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.err, "/proc/self/mem: cannot read: Input/output error (EIO)");
	EXPECT_FALSE(exists(in_mnt("mem")));

	// Larger than the device: refused after reading one byte past its free space.
	const std::string big = path("big");
	spit(big, "");
	ASSERT_EQ(::truncate(big.c_str(), 64 << 20), 0);
	r = run({"cp", big, in_mnt("big")});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.err, "the free space where " + in_mnt("big") + " goes, found more (ENOSPC)");
	EXPECT_FALSE(exists(in_mnt("big")));

	// Several sources: the good one is copied, the bad one is not.
	spit(path("good"), "good bytes");
	r = run({"cp", path("good"), "/proc/self/mem", mnt_});
	EXPECT_EQ(r.code, 1);
	EXPECT_EQ(slurp(in_mnt("good")), "good bytes");
	EXPECT_FALSE(exists(in_mnt("mem")));
	umount();
}

} // namespace
} // namespace daxfmap

// SPDX-License-Identifier: GPL-2.0-only
// Ordinary tools on a daxfmap mount (plain FUSE path, on the host): a shell
// redirect, cp -a, mv, tar of a tree with symbolic links, rsync, truncate,
// chmod and chown.  Each result is checked through the mount, on the device
// at the file's new fmap, and after a remount and fsck.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/daxfmapd_fixture.hpp"

namespace daxfmap::testing {
namespace {

class PosixTools : public Daxfmapd {
protected:
	void SetUp() override
	{
		Daxfmapd::SetUp();
		if (IsSkipped())
			return;
		mkfs("256M");
		mount();
		src_ = path("src");
		ASSERT_EQ(::mkdir(src_.c_str(), 0755), 0);
	}

	// Runs `cmd` with /bin/sh in the scratch directory; its output goes to
	// `out` for the failure message.
	int sh(const std::string &cmd, std::string *out = nullptr)
	{
		const std::string log = path(".sh.out");
		const std::string full = "cd '" + dir_ + "' && (" + cmd + ") >'" + log + "' 2>&1";
		const int st = std::system(full.c_str());
		if (out)
			*out = slurp(log);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	}

	// Remount, then fsck of the unmounted device must be clean.
	void remount_and_fsck()
	{
		umount();
		Outcome f = run({"fsck", dev_});
		EXPECT_EQ(f.code, 0) << f.out << f.err;
		EXPECT_CONTAINS(f.out, "clean");
		mount();
	}

	// The file's bytes through the mount equal `want`, and so do the
	// device's bytes at the offsets its fmap names.
	void expect_file(const std::string &file, const std::string &want)
	{
		EXPECT_EQ(slurp(file), want) << file;
		const Fmap fm = fmap_of(file);
		EXPECT_EQ(fm.file_size, want.size()) << file;
		if (!want.empty()) {
			EXPECT_EQ(read_from_device(fm), want) << file << " on the device";
		}
	}

	std::string src_;
};

bool have(const char *tool)
{
	const std::string cmd = std::string("command -v ") + tool + " >/dev/null 2>&1";
	return std::system(cmd.c_str()) == 0;
}

TEST_F(PosixTools, AShellRedirectCreatesOverwritesAndAppends)
{
	std::string out;
	ASSERT_EQ(sh("echo hi > '" + in_mnt("f") + "'", &out), 0) << out;
	expect_file(in_mnt("f"), "hi\n");
	ASSERT_EQ(sh("echo again > '" + in_mnt("f") + "'", &out), 0) << out;
	expect_file(in_mnt("f"), "again\n");
	ASSERT_EQ(sh("echo more >> '" + in_mnt("f") + "'", &out), 0) << out;
	expect_file(in_mnt("f"), "again\nmore\n");
	struct stat st{};
	ASSERT_EQ(::stat(in_mnt("f").c_str(), &st), 0);
	EXPECT_EQ(st.st_blocks * 512, static_cast<off_t>(2 * kMiB)) << "one unit, not the old ones";
	remount_and_fsck();
	expect_file(in_mnt("f"), "again\nmore\n");
}

TEST_F(PosixTools, CpOfATreeKeepsModesLinksAndBytesAcrossUnits)
{
	std::string out;
	ASSERT_EQ(sh("mkdir -p src/a/b && head -c 5000000 /dev/urandom > src/a/big && "
		     "echo small > src/a/b/small && chmod 0600 src/a/b/small && "
		     "ln -s b/small src/a/link && touch -d @86400 src/a/big",
		     &out),
		  0)
		<< out;
	ASSERT_EQ(sh("cp -a src/a '" + mnt_ + "/'", &out), 0) << out;
	ASSERT_EQ(sh("diff -r src/a '" + in_mnt("a") + "'", &out), 0) << out;
	expect_file(in_mnt("a/big"), slurp(path("src/a/big")));
	struct stat st{};
	ASSERT_EQ(::lstat(in_mnt("a/b/small").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600u);
	ASSERT_EQ(::lstat(in_mnt("a/big").c_str(), &st), 0);
	EXPECT_EQ(st.st_mtim.tv_sec, 86400) << "cp -a keeps mtime";
	char target[64] = {};
	ASSERT_GT(::readlink(in_mnt("a/link").c_str(), target, sizeof(target) - 1), 0);
	EXPECT_STREQ(target, "b/small");
	remount_and_fsck();
	ASSERT_EQ(sh("diff -r src/a '" + in_mnt("a") + "'", &out), 0) << out;
	ASSERT_EQ(::lstat(in_mnt("a/link").c_str(), &st), 0);
	EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(PosixTools, MvRenamesAndReplacesAndSurvivesARemount)
{
	std::string out;
	ASSERT_EQ(sh("mkdir '" + in_mnt("d") + "' && echo one > '" + in_mnt("one") + "' && echo two > '" +
			     in_mnt("two") + "'",
		     &out),
		  0)
		<< out;
	ASSERT_EQ(sh("mv '" + in_mnt("one") + "' '" + in_mnt("d/uno") + "'", &out), 0) << out;
	ASSERT_EQ(sh("mv -f '" + in_mnt("two") + "' '" + in_mnt("d/uno") + "'", &out), 0) << out;
	ASSERT_EQ(sh("mv '" + in_mnt("d") + "' '" + in_mnt("e") + "'", &out), 0) << out;
	EXPECT_NE(::access(in_mnt("one").c_str(), F_OK), 0);
	expect_file(in_mnt("e/uno"), "two\n");
	remount_and_fsck();
	expect_file(in_mnt("e/uno"), "two\n");
	EXPECT_NE(::access(in_mnt("d").c_str(), F_OK), 0);
}

TEST_F(PosixTools, TarExtractsATreeWithSymlinksAndTheSameArchiveComesBack)
{
	std::string out;
	ASSERT_EQ(sh("mkdir -p src/t/x/y && head -c 3000000 /dev/urandom > src/t/x/data && "
		     "echo hello > src/t/x/y/h && ln -s ../data src/t/x/y/up && ln -s /etc/hostname src/t/abs && "
		     "tar -C src -cf t.tar t",
		     &out),
		  0)
		<< out;
	ASSERT_EQ(sh("tar -C '" + mnt_ + "' -xpf t.tar", &out), 0) << out;
	ASSERT_EQ(sh("diff -r --no-dereference src/t '" + in_mnt("t") + "'", &out), 0) << out;
	expect_file(in_mnt("t/x/data"), slurp(path("src/t/x/data")));
	remount_and_fsck();
	ASSERT_EQ(sh("tar -C '" + mnt_ + "' -cf back.tar t && tar -tvf t.tar | sort > a.lst && tar -tvf back.tar | sort > b.lst && "
		     "diff a.lst b.lst",
		     &out),
		  0)
		<< out;
}

TEST_F(PosixTools, RsyncCopiesATreeAndAnUpdateRewritesOnlyWhatChanged)
{
	if (!have("rsync"))
		GTEST_SKIP() << "rsync is not installed (scripts/setup installs it), test SKIPPED";
	std::string out;
	ASSERT_EQ(sh("mkdir -p src/r/s && head -c 2500000 /dev/urandom > src/r/s/blob && echo x > src/r/x && "
		     "ln -s s/blob src/r/l",
		     &out),
		  0)
		<< out;
	ASSERT_EQ(sh("rsync -a src/r '" + mnt_ + "/'", &out), 0) << out;
	ASSERT_EQ(sh("diff -r --no-dereference src/r '" + in_mnt("r") + "'", &out), 0) << out;
	// rsync writes a temporary file and renames it over the old one.
	ASSERT_EQ(sh("echo changed > src/r/x && rsync -a src/r '" + mnt_ + "/'", &out), 0) << out;
	expect_file(in_mnt("r/x"), "changed\n");
	remount_and_fsck();
	ASSERT_EQ(sh("diff -r --no-dereference src/r '" + in_mnt("r") + "'", &out), 0) << out;
}

TEST_F(PosixTools, TruncateGrowsAndShrinksAndKeepsTheBytesBeforeTheCut)
{
	std::string out;
	ASSERT_EQ(sh("head -c 3000000 /dev/urandom > src/t", &out), 0) << out;
	ASSERT_EQ(sh("cp src/t '" + in_mnt("t") + "'", &out), 0) << out;
	const std::string whole = slurp(path("src/t"));
	ASSERT_EQ(sh("truncate -s 6M '" + in_mnt("t") + "'", &out), 0) << out;
	expect_file(in_mnt("t"), whole + std::string(6 * kMiB - whole.size(), '\0'));
	ASSERT_EQ(sh("truncate -s 1000 '" + in_mnt("t") + "'", &out), 0) << out;
	expect_file(in_mnt("t"), whole.substr(0, 1000));
	struct stat st{};
	ASSERT_EQ(::stat(in_mnt("t").c_str(), &st), 0);
	EXPECT_EQ(st.st_blocks * 512, static_cast<off_t>(2 * kMiB)) << "the units past the cut are freed";
	ASSERT_EQ(sh("fallocate -l 8M '" + in_mnt("t") + "'", &out), 0) << out;
	ASSERT_EQ(::stat(in_mnt("t").c_str(), &st), 0);
	EXPECT_EQ(st.st_size, static_cast<off_t>(8 * kMiB));
	ASSERT_EQ(sh("fallocate -n -l 16M '" + in_mnt("t") + "'", &out), 0) << out;
	ASSERT_EQ(::stat(in_mnt("t").c_str(), &st), 0);
	EXPECT_EQ(st.st_size, static_cast<off_t>(8 * kMiB)) << "KEEP_SIZE";
	EXPECT_EQ(st.st_blocks * 512, static_cast<off_t>(16 * kMiB));
	EXPECT_NE(sh("fallocate -p -o 0 -l 4096 '" + in_mnt("t") + "'", &out), 0) << "no holes: " << out;
	remount_and_fsck();
	ASSERT_EQ(::stat(in_mnt("t").c_str(), &st), 0);
	EXPECT_EQ(st.st_blocks * 512, static_cast<off_t>(16 * kMiB));
	EXPECT_EQ(slurp(in_mnt("t")).substr(0, 1000), whole.substr(0, 1000));
}

TEST_F(PosixTools, ChmodAndChownAreLoggedAndOnlyRootGivesFilesAway)
{
	std::string out;
	ASSERT_EQ(sh("echo x > '" + in_mnt("f") + "' && chmod 0751 '" + in_mnt("f") + "' && chown 1234:5678 '" +
			     in_mnt("f") + "'",
		     &out),
		  0)
		<< out;
	struct stat st{};
	ASSERT_EQ(::stat(in_mnt("f").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0751u);
	EXPECT_EQ(st.st_uid, 1234u);
	EXPECT_EQ(st.st_gid, 5678u);
	// Not the owner and not root: the kernel refuses before the daemon sees it.
	if (have("setpriv")) {
		EXPECT_NE(sh("setpriv --reuid 4321 --regid 4321 --clear-groups chmod 0777 '" + in_mnt("f") + "'",
			     &out),
			  0)
			<< out;
		EXPECT_NE(sh("setpriv --reuid 1234 --regid 5678 --clear-groups chown 4321 '" + in_mnt("f") + "'",
			     &out),
			  0)
			<< "only root gives files away: " << out;
	}
	remount_and_fsck();
	ASSERT_EQ(::stat(in_mnt("f").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0751u);
	EXPECT_EQ(st.st_uid, 1234u);
	EXPECT_EQ(st.st_gid, 5678u);
}

TEST_F(PosixTools, HardLinksAreRefusedWithEperm)
{
	std::string out;
	ASSERT_EQ(sh("echo x > '" + in_mnt("f") + "'", &out), 0) << out;
	EXPECT_NE(::link(in_mnt("f").c_str(), in_mnt("g").c_str()), 0);
	EXPECT_EQ(errno, EPERM);
}

TEST_F(PosixTools, AGrowOnAFullDeviceFailsWithEnospcAndLeavesTheFileAsItWas)
{
	std::string out;
	ASSERT_EQ(sh("echo keep > '" + in_mnt("f") + "'", &out), 0) << out;
	EXPECT_NE(sh("truncate -s 1G '" + in_mnt("f") + "'", &out), 0);
	EXPECT_CONTAINS(out, "No space left on device");
	expect_file(in_mnt("f"), "keep\n");
	remount_and_fsck();
	expect_file(in_mnt("f"), "keep\n");
}

} // namespace
} // namespace daxfmap::testing

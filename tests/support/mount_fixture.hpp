// SPDX-License-Identifier: GPL-2.0-only
// A daxfmap file system on an emulated device in the test's scratch
// directory, made and mounted through the CLI, unmounted whatever happens.
// Needs root and /dev/fuse; skips loudly without them.
#pragma once

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/cli_fixture.hpp"

namespace daxfmap::testing {

inline bool listed_in_proc_mounts(const std::string &mnt)
{
	std::ifstream in("/proc/mounts");
	for (std::string line; std::getline(in, line);) {
		std::istringstream f(line);
		std::string src, point;
		f >> src >> point;
		if (point == mnt)
			return true;
	}
	return false;
}

class MountedFs : public Cli {
protected:
	void SetUp() override
	{
		if (::geteuid() != 0)
			GTEST_SKIP() << "daxfmapd mount tests need root, test SKIPPED";
		if (::access("/dev/fuse", R_OK | W_OK) != 0)
			GTEST_SKIP() << "daxfmapd mount tests need /dev/fuse (" << std::strerror(errno)
				     << "), test SKIPPED";
		Cli::SetUp();
		dev_ = path("dev.img");
		mnt_ = path("mnt");
		ASSERT_EQ(::mkdir(mnt_.c_str(), 0755), 0);
	}

	void TearDown() override
	{
		if (!mnt_.empty() && listed_in_proc_mounts(mnt_)) {
			run({"umount", mnt_});
			if (listed_in_proc_mounts(mnt_))
				::umount2(mnt_.c_str(), MNT_DETACH);
		}
		if (!mnt_.empty()) {
			EXPECT_FALSE(listed_in_proc_mounts(mnt_)) << "leaked mount at " << mnt_;
		}
		if (!shm_dev_.empty())
			::unlink(shm_dev_.c_str());
		Cli::TearDown();
	}

	void mkfs(const std::string &size = "256M")
	{
		Outcome r = run({"mkfs", "emulated:" + dev_ + ":" + size});
		ASSERT_EQ(r.code, 0) << r.err;
	}

	Outcome mount(std::vector<std::string> extra = {})
	{
		std::vector<std::string> a{"mount", dev_, mnt_, "--log", path("daemon.log")};
		a.insert(a.end(), extra.begin(), extra.end());
		Outcome r = run(a);
		EXPECT_EQ(r.code, 0) << r.out << r.err << slurp(path("daemon.log"));
		EXPECT_TRUE(listed_in_proc_mounts(mnt_));
		return r;
	}

	void umount()
	{
		Outcome r = run({"umount", mnt_});
		EXPECT_EQ(r.code, 0) << r.err;
		EXPECT_FALSE(listed_in_proc_mounts(mnt_));
	}

	std::string in_mnt(const std::string &name) const { return mnt_ + "/" + name; }

	// Puts the device image on /dev/shm, when there is one, for tests that
	// make thousands of log appends: each is durable (msync), which costs
	// microseconds on tmpfs and milliseconds on a disk-backed scratch
	// directory.  Removed at TearDown.
	void device_on_tmpfs()
	{
		std::string shm = "/dev/shm/daxfmap-test-XXXXXX";
		if (::access("/dev/shm", W_OK) != 0)
			return;
		int fd = ::mkstemp(shm.data());
		ASSERT_GE(fd, 0);
		::close(fd);
		::unlink(shm.c_str());
		dev_ = shm;
		shm_dev_ = shm;
	}

	std::string dev_, mnt_;
	std::string shm_dev_; // a device image outside the scratch directory, ours to remove
};

} // namespace daxfmap::testing

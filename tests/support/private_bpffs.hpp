// SPDX-License-Identifier: GPL-2.0-only
// A bpffs of the test's own, mounted on a scratch directory, for pin trees
// the test may make hostile (chown, chmod) without touching
// /sys/fs/bpf/daxfmap.  Unmounted when it goes, after a failed assertion too.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace daxfmap::testing {

class PrivateBpffs {
public:
	PrivateBpffs()
	{
		const char *tmp = std::getenv("TMPDIR");
		std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/daxfmap-bpffs-XXXXXX";
		if (::mkdtemp(templ.data()) == nullptr) {
			why_ = std::string("mkdtemp: ") + std::strerror(errno);
			return;
		}
		dir_ = templ;
		if (::mount("bpf", dir_.c_str(), "bpf", 0, nullptr) != 0) {
			why_ = "mount -t bpf bpf " + dir_ + ": " + std::strerror(errno) + " (needs root)";
			::rmdir(dir_.c_str());
			dir_.clear();
			return;
		}
		mounted_ = true;
	}
	~PrivateBpffs()
	{
		unmount();
		if (!dir_.empty())
			::rmdir(dir_.c_str());
	}
	PrivateBpffs(const PrivateBpffs &) = delete;
	PrivateBpffs &operator=(const PrivateBpffs &) = delete;

	// Takes the bpffs away; the empty directory stays until destruction.
	void unmount()
	{
		if (mounted_)
			::umount2(dir_.c_str(), MNT_DETACH); // whatever is pinned goes with it
		mounted_ = false;
	}

	// Why there is none (nullopt: mounted at path()).
	const std::optional<std::string> &unavailable() const { return why_; }
	const std::string &path() const { return dir_; }

private:
	std::string dir_;
	std::optional<std::string> why_;
	bool mounted_ = false;
};

} // namespace daxfmap::testing

// Skips the current test, loudly, without a bpffs of its own.
#define DAXFMAP_REQUIRE_PRIVATE_BPFFS(b)                                                   \
	do {                                                                               \
		if (const auto &why_ = (b).unavailable())                                  \
			GTEST_SKIP() << "no private bpffs, test SKIPPED: " << *why_;       \
	} while (0)

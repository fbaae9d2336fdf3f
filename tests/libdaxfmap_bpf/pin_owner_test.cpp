// SPDX-License-Identifier: GPL-2.0-only
// An instance's owner record: read back as written, a daemon counts as
// alive only with its pid and its start time (a reused pid does not keep an
// orphan alive), and orphan removal takes exactly the dead daemon's
// instances of the mountpoint asked for.  On a bpffs of the test's own.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libdaxfmap_bpf/pin_owner.hpp"
#include "libdaxfmap_bpf/pin_tree.hpp"
#include "support/private_bpffs.hpp"

namespace daxfmap::testing {
namespace {

using bpf::PinOwner;
using bpf::PinState;

class PinOwnerRecord : public ::testing::Test {
protected:
	void SetUp() override
	{
		DAXFMAP_REQUIRE_PRIVATE_BPFFS(bpffs_);
		root_ = bpffs_.path() + "/daxfmap";
	}

	// An instance directory with `owner` recorded in it.
	std::string instance(const std::string &name, const PinOwner &owner)
	{
		const std::string dir = root_ + "/" + name;
		auto made = bpf::make_pin_dirs(dir, true);
		EXPECT_TRUE(made) << made.error().message();
		auto rec = bpf::record_owner(dir, owner);
		EXPECT_TRUE(rec) << rec.error().message();
		return dir;
	}

	// A daemon that ran and is gone: a child's pid and start time, after
	// it exited and was reaped.
	static PinOwner dead_daemon(const std::string &mountpoint)
	{
		int p[2];
		EXPECT_EQ(::pipe(p), 0);
		const pid_t pid = ::fork();
		if (pid == 0) {
			char c;
			::close(p[1]);
			(void)!::read(p[0], &c, 1); // until the parent has its start time
			::_exit(0);
		}
		::close(p[0]);
		const auto start = bpf::process_start(pid);
		EXPECT_TRUE(start.has_value());
		::close(p[1]);
		EXPECT_EQ(::waitpid(pid, nullptr, 0), pid);
		return {.kind = PinOwner::Kind::Daemon, .pid = pid, .start = start.value_or(0),
			.mountpoint = mountpoint};
	}

	bool exists(const std::string &p) const
	{
		std::error_code ec;
		return std::filesystem::exists(std::filesystem::symlink_status(p, ec));
	}

	PrivateBpffs bpffs_;
	std::string root_;
};

TEST_F(PinOwnerRecord, ADaemonsRecordReadsBackWithAMountpointHoldingSpacesAndIsInUse)
{
	const PinOwner me = bpf::daemon_owner("/tmp/a b/mnt x");
	const std::string dir = instance("i", me);
	const auto got = bpf::read_owner(dir);
	ASSERT_TRUE(got.has_value());
	EXPECT_EQ(got->kind, PinOwner::Kind::Daemon);
	EXPECT_EQ(got->pid, ::getpid());
	EXPECT_EQ(got->start, me.start);
	EXPECT_EQ(got->mountpoint, "/tmp/a b/mnt x");
	EXPECT_EQ(bpf::pin_state(got), PinState::InUse);
	EXPECT_EQ(bpf::pin_state(bpf::read_owner(instance("loaded", PinOwner{}))), PinState::Loaded);
	EXPECT_EQ(bpf::pin_state(bpf::read_owner(root_)), PinState::Unknown) << "no record";
}

TEST_F(PinOwnerRecord, ALivePidWithAnotherStartTimeIsNotTheDaemonThatPinned)
{
	PinOwner reused = bpf::daemon_owner("/mnt/x");
	reused.start += 1; // the pid went to another process since
	EXPECT_EQ(bpf::pin_state(bpf::read_owner(instance("i", reused))), PinState::Orphaned);
	EXPECT_EQ(bpf::pin_state(bpf::read_owner(instance("dead", dead_daemon("/mnt/x")))), PinState::Orphaned);
}

TEST_F(PinOwnerRecord, RemoveOrphansTakesOnlyTheDeadDaemonsInstancesOfThatMountpoint)
{
	const std::string orphan = instance("orphan", dead_daemon("/mnt/m"));
	const std::string other_mount = instance("other", dead_daemon("/mnt/n"));
	const std::string live = instance("live", bpf::daemon_owner("/mnt/m"));
	const std::string loaded = instance("loaded", PinOwner{});
	ASSERT_EQ(::mkdir((root_ + "/unknown").c_str(), 0700), 0);
	auto removed = bpf::remove_orphans(root_, "/mnt/m");
	ASSERT_TRUE(removed) << removed.error().message();
	ASSERT_EQ(removed->size(), 1u);
	EXPECT_EQ((*removed)[0].instance, "orphan");
	EXPECT_EQ((*removed)[0].owner.mountpoint, "/mnt/m");
	EXPECT_FALSE(exists(orphan));
	for (const std::string &kept : {other_mount, live, loaded, root_ + "/unknown"})
		EXPECT_TRUE(exists(kept)) << kept;
	// Nothing pinned at all, or no bpffs: nothing to remove, not an error.
	auto none = bpf::remove_orphans(bpffs_.path() + "/absent", "/mnt/m");
	ASSERT_TRUE(none);
	EXPECT_TRUE(none->empty());
}

} // namespace
} // namespace daxfmap::testing

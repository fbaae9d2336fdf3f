// SPDX-License-Identifier: GPL-2.0-only
// The hook's ops are unregistered wherever an instance is removed: a legacy
// struct_ops registration belongs to the kernel, so unpinning its map alone
// leaves it registered with nothing left to unregister it.  On the host, a
// TCP congestion control registered the same way stands in for
// fuse_dax_fmap_ops (support/legacy_ops_probe.hpp); on a bpffs of the
// test's own.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "libdaxfmap_bpf/bpf_object.hpp"
#include "libdaxfmap_bpf/hook_ops.hpp"
#include "libdaxfmap_bpf/pin_owner.hpp"
#include "libdaxfmap_bpf/pin_tree.hpp"
#include "support/bpf_env.hpp"
#include "support/legacy_ops_probe.hpp"
#include "support/private_bpffs.hpp"

namespace daxfmap::testing {
namespace {

class HookUnload : public ::testing::Test {
protected:
	void SetUp() override
	{
		DAXFMAP_REQUIRE_BPF();
		DAXFMAP_REQUIRE_PRIVATE_BPFFS(bpffs_);
		root_ = bpffs_.path() + "/daxfmap";
		static int tests = 0; // a name per test: a late unregistration never collides
		auto p = LegacyOpsProbe::register_as(probe_name(std::to_string(tests++).c_str()));
		if (!p)
			GTEST_SKIP() << "SKIPPED: this kernel does not register a legacy struct_ops "
					"(tcp_congestion_ops), so the cleanup cannot be observed: "
				     << p.error().message();
		probe_ = std::move(*p);
		ASSERT_TRUE(probe_->registered()) << probe_->name();
	}

	// An instance directory holding the probe's registration where
	// daxfmapd pins its ops.
	std::string instance_with_ops(const std::string &name, const bpf::PinOwner &owner)
	{
		const std::string dir = root_ + "/" + name;
		auto made = bpf::make_pin_dirs(dir, true);
		EXPECT_TRUE(made) << made.error().message();
		auto rec = bpf::record_owner(dir, owner);
		EXPECT_TRUE(rec) << rec.error().message();
		auto pinned = probe_->pin(dir + "/" + bpf::kHookPin);
		EXPECT_TRUE(pinned) << pinned.error().message();
		return dir;
	}

	static bool exists(const std::string &p)
	{
		std::error_code ec;
		return std::filesystem::exists(std::filesystem::symlink_status(p, ec));
	}

	PrivateBpffs bpffs_;
	std::string root_;
	std::unique_ptr<LegacyOpsProbe> probe_;
};

TEST_F(HookUnload, AnUnpinnedRegistrationStaysRegistered)
{
	// Why removal must unregister: the pin is not what keeps it.
	const std::string dir = instance_with_ops("i", bpf::PinOwner{});
	ASSERT_TRUE(bpf::unpin_dir(dir));
	EXPECT_FALSE(exists(dir));
	EXPECT_TRUE(probe_->registered());
}

TEST_F(HookUnload, RemovingAnInstanceUnregistersTheOpsPinnedInIt)
{
	const std::string dir = instance_with_ops("i", bpf::PinOwner{});
	auto removed = bpf::remove_instance(dir);
	ASSERT_TRUE(removed) << removed.error().message();
	EXPECT_FALSE(exists(dir));
	EXPECT_FALSE(probe_->registered()) << probe_->name() << " still registered";
	// An instance without ops is removed as before.
	auto made = bpf::make_pin_dirs(root_ + "/plain", true);
	ASSERT_TRUE(made) << made.error().message();
	EXPECT_TRUE(bpf::remove_instance(root_ + "/plain"));
	EXPECT_FALSE(exists(root_ + "/plain"));
}

TEST_F(HookUnload, OrphanCleanupOfAMountpointUnregistersTheDeadDaemonsOps)
{
	const pid_t pid = ::fork();
	if (pid == 0)
		::_exit(0);
	const auto start = bpf::process_start(pid);
	ASSERT_EQ(::waitpid(pid, nullptr, 0), pid);
	const bpf::PinOwner dead{.kind = bpf::PinOwner::Kind::Daemon, .pid = pid, .start = start.value_or(1),
				 .mountpoint = "/mnt/gone"};
	const std::string dir = instance_with_ops("orphan", dead);
	auto removed = bpf::remove_orphans(root_, "/mnt/gone");
	ASSERT_TRUE(removed) << removed.error().message();
	EXPECT_EQ(removed->size(), 1u);
	EXPECT_FALSE(exists(dir));
	EXPECT_FALSE(probe_->registered());
}

} // namespace
} // namespace daxfmap::testing

// SPDX-License-Identifier: GPL-2.0-only
// A mount's pinned BPF instance over its life: owned by its daemon while it
// runs, orphaned when it is killed with -9 (bpf status says so), removed by
// the next umount or mount of that mountpoint, kept from `bpf unload` while
// in use, and verified against native while files come and go.  Real
// daemons on real FUSE mounts, pinning into a bpffs of the test's own.
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/daxfmap.h>

#include "daxfmapd/client.hpp"
#include "daxfmapd/launch.hpp"
#include "support/bpf_env.hpp"
#include "support/cli_fixture.hpp"
#include "support/daxfmapd_fixture.hpp"
#include "support/private_bpffs.hpp"

namespace daxfmap::testing {
namespace {

class DaxfmapdPins : public Daxfmapd {
protected:
	void SetUp() override
	{
		Daxfmapd::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		DAXFMAP_REQUIRE_BPF();
		DAXFMAP_REQUIRE_PRIVATE_BPFFS(bpffs_);
		root_ = bpffs_.path() + "/daxfmap";
		mkfs();
	}

	Outcome mount_pinned(std::vector<std::string> extra = {})
	{
		extra.insert(extra.end(), {"--bpffs-root", root_});
		return mount(extra);
	}

	Outcome bpf(std::vector<std::string> args)
	{
		args.insert(args.begin(), "bpf");
		args.insert(args.end(), {"--bpffs-root", root_});
		return run(args);
	}

	std::string instance()
	{
		auto i = daemon::get_xattr(mnt_, daemon::kXattrBpfInstance);
		EXPECT_TRUE(i.ok()) << (i ? "" : i.error().message()) << slurp(path("daemon.log"));
		return i ? *i : "";
	}

	// Kills the daemon with -9 and waits until it is gone.
	void kill_daemon()
	{
		auto p = daemon::get_xattr(mnt_, daemon::kXattrPid);
		ASSERT_TRUE(p.ok()) << p.error().message();
		const pid_t pid = std::atoi(p->c_str());
		ASSERT_EQ(::kill(pid, SIGKILL), 0);
		// Not our child (detached): it is gone once /proc says so.
		for (int i = 0; i < 10000 && daemon::process_alive(pid); i++)
			std::this_thread::sleep_for(std::chrono::milliseconds(1));
		ASSERT_FALSE(daemon::process_alive(pid)) << "daxfmapd " << pid << " survived kill -9";
	}

	// The instance's entry in `bpf status --all --json`.
	nlohmann::json status_of(const std::string &inst)
	{
		Outcome s = bpf({"status", "--all", "--json"});
		EXPECT_EQ(s.code, 0) << s.err;
		for (const auto &i : parse(s.out))
			if (i["instance"] == inst)
				return i;
		ADD_FAILURE() << "no instance " << inst << " in:\n" << s.out;
		return {};
	}

	bool pinned(const std::string &inst) const
	{
		std::error_code ec;
		return std::filesystem::exists(root_ + "/" + inst, ec);
	}

	PrivateBpffs bpffs_;
	std::string root_;
};

TEST_F(DaxfmapdPins, KillNineLeavesAnOrphanThatStatusReportsAndUmountRemoves)
{
	mount_pinned();
	const std::string inst = instance();
	auto live = status_of(inst);
	EXPECT_EQ(live["state"], "in-use");
	EXPECT_EQ(live["owner"]["mountpoint"], mnt_);
	ASSERT_NO_FATAL_FAILURE(kill_daemon());

	auto dead = status_of(inst);
	EXPECT_EQ(dead["state"], "orphaned");
	Outcome text = bpf({"status", "--all"});
	EXPECT_CONTAINS(text.out, "instance " + inst);
	EXPECT_CONTAINS(text.out, "ORPHANED");
	EXPECT_CONTAINS(text.out, "`daxfmap umount " + mnt_ + "`");
	ASSERT_TRUE(pinned(inst)) << "before cleanup the maps are still pinned";

	Outcome u = run({"umount", "--bpffs-root", root_, mnt_});
	EXPECT_EQ(u.code, 0) << u.err;
	EXPECT_CONTAINS(u.out, "removed the orphaned BPF instance " + inst);
	EXPECT_FALSE(pinned(inst));
	EXPECT_FALSE(listed_in_proc_mounts(mnt_));
}

TEST_F(DaxfmapdPins, UmountAfterTheDeadMountWasDetachedStillRemovesItsOrphan)
{
	mount_pinned();
	const std::string inst = instance();
	ASSERT_NO_FATAL_FAILURE(kill_daemon());
	ASSERT_EQ(::umount2(mnt_.c_str(), MNT_DETACH), 0) << std::strerror(errno);
	Outcome u = run({"umount", "--bpffs-root", root_, mnt_});
	EXPECT_EQ(u.code, 0) << u.err;
	EXPECT_CONTAINS(u.out, "removed the orphaned BPF instance " + inst);
	EXPECT_FALSE(pinned(inst));
	// With nothing left to do, umount says what is wrong.
	Outcome again = run({"umount", "--bpffs-root", root_, mnt_});
	EXPECT_EQ(again.code, 1);
	EXPECT_CONTAINS(again.err, "no orphaned BPF instance");
}

TEST_F(DaxfmapdPins, TheNextMountOfTheMountpointRemovesItsOrphansWhateverTheirName)
{
	const std::string first = "pins-first-" + std::to_string(::getpid());
	mount_pinned({"--bpf-instance", first});
	ASSERT_NO_FATAL_FAILURE(kill_daemon());
	ASSERT_EQ(::umount2(mnt_.c_str(), MNT_DETACH), 0) << std::strerror(errno);
	ASSERT_TRUE(pinned(first));

	Outcome m = mount_pinned();
	EXPECT_CONTAINS(m.err, "removed the orphaned BPF instance " + first);
	EXPECT_FALSE(pinned(first));
	const std::string now = instance();
	EXPECT_NE(now, first);
	EXPECT_EQ(status_of(now)["state"], "in-use");
	umount();
	EXPECT_FALSE(pinned(now)) << "a clean unmount unpins";
}

TEST_F(DaxfmapdPins, UnloadRefusesTheInstanceOfALiveMountNamingItUnlessForced)
{
	mount_pinned();
	const std::string inst = instance();
	Outcome u = bpf({"unload", "--instance", inst});
	EXPECT_EQ(u.code, 1);
	EXPECT_CONTAINS(u.err, "in use by the mount at " + mnt_);
	EXPECT_CONTAINS(u.err, "`daxfmap umount " + mnt_ + "`");
	EXPECT_CONTAINS(u.err, "--force");
	Outcome all = bpf({"unload", "--all"});
	EXPECT_EQ(all.code, 1);
	ASSERT_TRUE(pinned(inst)) << "nothing was unloaded";
	Outcome v = run({"verify", "--bpffs-root", root_, "--queries", "10", mnt_});
	EXPECT_EQ(v.code, 0) << v.out << v.err;

	Outcome forced = bpf({"unload", "--force", "--instance", inst});
	EXPECT_EQ(forced.code, 0) << forced.err;
	EXPECT_FALSE(pinned(inst));
	umount(); // the daemon finds its pins gone and still exits cleanly
}

TEST_F(DaxfmapdPins, ADaemonRefusesAPinRootAnotherUserOwnsAndMountsWithoutBpf)
{
	ASSERT_EQ(::mkdir(root_.c_str(), 0700), 0);
	ASSERT_EQ(::chown(root_.c_str(), 65534, 65534), 0);
	Outcome m = mount_pinned();
	EXPECT_CONTAINS(m.out, "bpf: not in use");
	EXPECT_CONTAINS(m.out, "pin directory " + root_);
	EXPECT_CONTAINS(m.out, "owner uid 65534");
	std::error_code ec;
	EXPECT_TRUE(std::filesystem::is_empty(root_, ec)) << "nothing pinned into it";
	umount();
}

// Creates and deletes files under the mount until stopped, so that inode
// numbers are freed and handed to new files with other fmaps.
class Churn {
public:
	explicit Churn(std::string mnt) : mnt_(std::move(mnt)), t_([this] { loop(); }) {}
	~Churn() { stop(); }
	void stop()
	{
		stop_ = true;
		if (t_.joinable())
			t_.join();
	}
	uint64_t cycles() const { return cycles_; }
	const std::string &error() const { return error_; }

private:
	void loop()
	{
		for (uint64_t k = 0; !stop_; k++) {
			const std::string f = mnt_ + "/churn-" + std::to_string(k % 4);
			if (::unlink(f.c_str()) != 0 && errno != ENOENT)
				return fail(f, "unlink");
			// 2, 4 or 6 MiB, contiguous or in 2 strips: each reuse of a
			// number is likely another fmap.
			const uint64_t size = (k % 3 + 1) * 2 * kMiB;
			auto fd = daemon::create_allocated(f, 0644, daemon::allocate_spec(size, k % 2 ? 2 : 0, 0));
			if (!fd)
				return fail(f, fd.error().message());
			::close(*fd);
			cycles_++;
		}
	}
	void fail(const std::string &f, const std::string &what) { error_ = f + ": " + what; }

	std::string mnt_;
	std::atomic<bool> stop_{false};
	std::atomic<uint64_t> cycles_{0};
	std::string error_;
	std::thread t_;
};

TEST_F(DaxfmapdPins, VerifyWhileFilesComeAndGoFindsNoFalseMismatchButFindsAPlantedOne)
{
	mount_pinned();
	const std::string inst = instance();
	ASSERT_EQ(run({"creat", in_mnt("a"), "--size", "8M"}).code, 0);
	ASSERT_EQ(run({"creat", in_mnt("b"), "--size", "24M", "--strips", "4"}).code, 0);
	auto verify = [&] {
		Outcome v = run({"verify", "--json", "--bpffs-root", root_, "--queries", "300", mnt_});
		EXPECT_NE(v.code, 2) << "verify gave up: " << v.err;
		return std::pair{v.code, parse(v.out)};
	};
	Churn churn(mnt_);
	for (int run_no = 0; run_no < 5; run_no++) {
		const auto [code, j] = verify();
		EXPECT_EQ(code, 0) << j.dump(2);
		EXPECT_EQ(j["ok"], true);
		EXPECT_TRUE(j.contains("files_skipped")) << j.dump(2);
		EXPECT_GE(j["files"].get<int>(), 2) << "a and b are always checked";
	}

	// A real mismatch: a's first extent moved by 2 MiB in the pinned hash map.
	struct stat st;
	ASSERT_EQ(::stat(in_mnt("a").c_str(), &st), 0);
	const std::string map = root_ + "/" + inst + "/hash/daxfmap_hash_fmaps";
	const int fd = bpf_obj_get(map.c_str());
	ASSERT_GE(fd, 0) << map << ": " << std::strerror(errno);
	uint64_t key = st.st_ino;
	daxfmap_hash_fmap v;
	ASSERT_EQ(bpf_map_lookup_elem(fd, &key, &v), 0);
	v.ext[0].offset += 2 * kMiB;
	ASSERT_EQ(bpf_map_update_elem(fd, &key, &v, BPF_EXIST), 0);
	::close(fd);

	for (int run_no = 0; run_no < 3; run_no++) {
		const auto [code, j] = verify();
		EXPECT_EQ(code, 1) << j.dump(2);
		for (const auto &s : j["strategies"]) {
			if (s["strategy"] == "hash")
				EXPECT_GT(s["mismatches"].get<int>(), 0) << "the planted mismatch is found";
			else
				EXPECT_EQ(s["mismatches"], 0) << s.dump();
		}
		for (const auto &f : j["failures"]) {
			const std::string line = f.get<std::string>();
			EXPECT_EQ(line.rfind("hash " + in_mnt("a") + " (inode", 0), 0u) << line;
		}
	}
	churn.stop();
	EXPECT_EQ(churn.error(), "");
	EXPECT_GT(churn.cycles(), 0u) << "files came and went during the checks";
}

} // namespace
} // namespace daxfmap::testing

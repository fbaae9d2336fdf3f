// SPDX-License-Identifier: GPL-2.0-only
// The pin tree is root's alone: every directory daxfmap makes below the
// bpffs root is root-owned, mode 0700, and one another user could change
// (made first by them, world-writable, a symlink) is refused by name,
// for pinning and for attaching; a pin root off any bpffs is reported as
// "bpffs not mounted".  On a bpffs of the test's own.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "libdaxfmap_bpf/pin_tree.hpp"
#include "libdaxfmap_bpf/pinned.hpp"
#include "libdaxfmap_bpf/resolver.hpp"
#include "support/bpf_env.hpp"
#include "support/private_bpffs.hpp"

namespace daxfmap::testing {
namespace {

using bpf::Strategy;

constexpr uid_t kNobody = 65534;

struct Perm {
	uid_t uid = 0;
	unsigned mode = 0;
	bool dir = false;
};

Perm perm_of(const std::string &path)
{
	struct stat st {};
	if (::lstat(path.c_str(), &st) != 0)
		return {};
	return {st.st_uid, st.st_mode & 07777, S_ISDIR(st.st_mode)};
}

#define EXPECT_HAS(haystack, needle) \
	EXPECT_NE((haystack).find(needle), std::string::npos) << "no \"" << (needle) << "\" in:\n" << (haystack)

class BpfPinTree : public ::testing::Test {
protected:
	void SetUp() override
	{
		DAXFMAP_REQUIRE_PRIVATE_BPFFS(bpffs_);
		root_ = bpffs_.path() + "/daxfmap";
	}

	// A hash strategy pinned (or attached) under root_/<instance>.
	Result<std::unique_ptr<bpf::Resolver>> pin(const std::string &instance, bool attach = false)
	{
		return bpf::make_resolver(Strategy::Hash, {.max_files = 16, .pool_entries = 1024,
							   .pin_dir = bpf::pin_dir(root_, instance, Strategy::Hash),
							   .reuse_pinned = attach});
	}

	bool empty_dir(const std::string &dir) const
	{
		std::error_code ec;
		return std::filesystem::is_empty(dir, ec) && !ec;
	}

	PrivateBpffs bpffs_;
	std::string root_;
};

TEST_F(BpfPinTree, EveryLevelDaxfmapMakesIsRootOwnedMode0700)
{
	DAXFMAP_REQUIRE_BPF();
	auto r = pin("i");
	ASSERT_TRUE(r) << r.error().message();
	for (const std::string &d : {root_, root_ + "/i", root_ + "/i/hash"}) {
		const Perm p = perm_of(d);
		EXPECT_TRUE(p.dir) << d;
		EXPECT_EQ(p.uid, 0u) << d;
		EXPECT_EQ(p.mode, 0700u) << d;
	}
}

TEST_F(BpfPinTree, PinningIntoADirectoryAnotherUserMadeFirstIsRefusedByNameAndPinsNothing)
{
	DAXFMAP_REQUIRE_BPF();
	// What `nobody` can do on a 1777 /sys/fs/bpf before root's first pin.
	ASSERT_EQ(::mkdir(root_.c_str(), 0700), 0);
	ASSERT_EQ(::chown(root_.c_str(), kNobody, kNobody), 0);
	auto r = pin("i");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, EPERM);
	const std::string m = r.error().message();
	EXPECT_HAS(m, "pin directory " + root_);
	EXPECT_HAS(m, "owner uid 65534, mode 0700");
	EXPECT_HAS(m, "owned by root (uid 0) with mode 0700");
	EXPECT_TRUE(empty_dir(root_)) << "nothing is pinned into another user's directory";
	EXPECT_EQ(perm_of(root_).uid, kNobody) << "and it is left as it was";
}

TEST_F(BpfPinTree, PinningThroughAWorldWritableOrSymlinkedLevelIsRefused)
{
	DAXFMAP_REQUIRE_BPF();
	ASSERT_EQ(::mkdir(root_.c_str(), 0700), 0);
	ASSERT_EQ(::chmod(root_.c_str(), 0777), 0);
	auto r = pin("i");
	ASSERT_FALSE(r);
	EXPECT_HAS(r.error().message(), "owner uid 0, mode 0777");
	EXPECT_TRUE(empty_dir(root_));

	ASSERT_EQ(::chmod(root_.c_str(), 0700), 0);
	const std::string elsewhere = bpffs_.path() + "/elsewhere";
	ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);
	ASSERT_EQ(::symlink(elsewhere.c_str(), (root_ + "/i").c_str()), 0);
	r = pin("i");
	ASSERT_FALSE(r);
	EXPECT_HAS(r.error().message(), "pin directory " + root_ + "/i");
	EXPECT_HAS(r.error().message(), "a symbolic link");
	EXPECT_TRUE(empty_dir(elsewhere)) << "nothing is pinned through the link";
}

TEST_F(BpfPinTree, ARootOwnedLevelNoOtherUserCanWriteIsTightenedTo0700)
{
	DAXFMAP_REQUIRE_BPF();
	// As an older daxfmap left it (created under umask 022).
	ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
	ASSERT_EQ(::chmod(root_.c_str(), 0755), 0);
	auto r = pin("i");
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(perm_of(root_).mode, 0700u);
}

TEST_F(BpfPinTree, AttachingToPinsInADirectoryAnotherUserOwnsIsRefusedAsIsInspectingThem)
{
	DAXFMAP_REQUIRE_BPF();
	auto owner = pin("i");
	ASSERT_TRUE(owner) << owner.error().message();
	ASSERT_TRUE(pin("i", true)) << "attaching to a trusted tree works";
	ASSERT_EQ(::chown((root_ + "/i").c_str(), kNobody, kNobody), 0);
	auto r = pin("i", true);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, EPERM);
	EXPECT_HAS(r.error().message(), "pin directory " + root_ + "/i: ");
	EXPECT_HAS(r.error().message(), "owner uid 65534");
	auto inst = bpf::inspect_instance(root_, "i");
	ASSERT_FALSE(inst);
	EXPECT_HAS(inst.error().message(), "owner uid 65534");
	auto all = bpf::list_instances(root_);
	ASSERT_FALSE(all);
	EXPECT_HAS(all.error().message(), root_ + "/i");
}

TEST_F(BpfPinTree, APinRootWhereNoBpffsIsMountedIsReportedAsBpffsNotMounted)
{
	// The bpffs goes; its mountpoint is a plain directory again.
	bpffs_.unmount();
	auto all = bpf::list_instances(root_);
	ASSERT_FALSE(all) << "an unmounted bpffs is not an empty one";
	EXPECT_EQ(all.error().errnum, ENODEV);
	EXPECT_HAS(all.error().message(), "bpffs not mounted at " + bpffs_.path());
	EXPECT_HAS(all.error().message(), "mount -t bpf bpf " + bpffs_.path());
	auto one = bpf::inspect_instance(root_, "i");
	ASSERT_FALSE(one);
	EXPECT_HAS(one.error().message(), "bpffs not mounted at " + bpffs_.path());
	auto made = bpf::make_pin_dirs(root_ + "/i/hash");
	ASSERT_FALSE(made);
	EXPECT_HAS(made.error().message(), "bpffs not mounted at " + bpffs_.path());
	EXPECT_FALSE(std::filesystem::exists(root_)) << "no directory is made off bpffs";
}

} // namespace
} // namespace daxfmap::testing

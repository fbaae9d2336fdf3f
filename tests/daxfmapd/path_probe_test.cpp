// SPDX-License-Identifier: GPL-2.0-only
// The path in force a mount reports: the BPF hook only when a resolver of
// the mount is attached to it; a hook the kernel merely has (kernel/patches
// 0009) leaves the kernel on the message path, and the report says both.
#include <gtest/gtest.h>

#include "daxfmapd/path_probe.hpp"

using namespace daxfmap;

TEST(DaemonPathInForce, AHookWithNoResolverAttachedLeavesTheMessagePathInForce)
{
	const auto p = daemon::decide_path(std::string("fuse_dax_fmap_ops"), false, "",
					   true, true, true);
	EXPECT_EQ(p.name, "message");
	EXPECT_NE(p.reason.find("struct fuse_dax_fmap_ops"), std::string::npos) << p.reason;
	EXPECT_NE(p.reason.find("no resolver of this mount is attached"), std::string::npos) << p.reason;
	EXPECT_NE(p.reason.find("it was accepted"), std::string::npos) << p.reason;
}

TEST(DaemonPathInForce, AHookWithNoResolverAndNoOfferIsPlainFuse)
{
	const auto p = daemon::decide_path(std::string("fuse_dax_fmap_ops"), false, "",
					   false, true, false);
	EXPECT_EQ(p.name, "plain");
	EXPECT_NE(p.reason.find("did not offer FUSE_DAX_FMAP"), std::string::npos) << p.reason;
}

TEST(DaemonPathInForce, AnAttachedResolverIsTheBpfHook)
{
	const auto p = daemon::decide_path(std::string("fuse_dax_fmap_ops"), true, "",
					   true, true, true);
	EXPECT_EQ(p.name, "bpf-hook");
	EXPECT_NE(p.reason.find("attached"), std::string::npos) << p.reason;
}

TEST(DaemonPathInForce, NoHookKeepsTheProbesReasonFirst)
{
	const auto p = daemon::decide_path(std::nullopt, false, "the kernel's BTF has no hook",
					   true, true, true);
	EXPECT_EQ(p.name, "message");
	EXPECT_EQ(p.reason.rfind("the kernel's BTF has no hook; ", 0), 0u) << p.reason;
}

TEST(DaemonPathInForce, TheBpfHookReasonNamesTheStrategyAttached)
{
	const auto p = daemon::decide_path(std::string("fuse_dax_fmap_ops"), true,
					   "strategy hash, ops dxf_0123456789a", true, true, true);
	EXPECT_EQ(p.name, "bpf-hook");
	EXPECT_NE(p.reason.find("strategy hash, ops dxf_0123456789a"), std::string::npos) << p.reason;
}

TEST(DaemonPathInForce, AHookThatCouldNotBeAttachedSaysWhyAndKeepsTheMessagePath)
{
	const auto p = daemon::decide_path(std::string("fuse_dax_fmap_ops"), false,
					   "registering strategy flat failed: EEXIST", true, true, true);
	EXPECT_EQ(p.name, "message");
	EXPECT_NE(p.reason.find("(registering strategy flat failed: EEXIST)"), std::string::npos) << p.reason;
}

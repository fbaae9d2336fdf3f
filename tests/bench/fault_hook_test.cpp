// SPDX-License-Identifier: GPL-2.0-only
// The fault scenario's BPF designs: their names, and the tool runner whose
// failures must carry the tool's own words (hookctl's, libbpf's).  The
// registrations themselves need the daxfmap kernel: vm/run --kernel daxfmap
// --test bench-smoke.
#include <gtest/gtest.h>

#include "bench/fault_hook.hpp"

namespace daxfmap::bench {
namespace {

TEST(FaultHookDesign, EachNameMapsToItsRowAndOps)
{
	auto c = hook_design("const");
	ASSERT_TRUE(c);
	EXPECT_EQ(c->row, "bpf-const");
	EXPECT_EQ(c->ops, "daxfmap_const");
	EXPECT_EQ(c->kind, HookKind::Const);
	auto f = hook_design("fallback");
	ASSERT_TRUE(f);
	EXPECT_EQ(f->row, "fallback-first");
	EXPECT_EQ(f->ops, "daxfmap_defer"); // the kernel takes names of 15 characters at most
	EXPECT_EQ(f->kind, HookKind::Fallback);
	for (auto [name, s] : {std::pair{"hash", bpf::Strategy::Hash}, std::pair{"flat", bpf::Strategy::Flat},
			       std::pair{"digest", bpf::Strategy::Digest}}) {
		auto d = hook_design(name);
		ASSERT_TRUE(d) << name;
		EXPECT_EQ(d->row, std::string("bpf-") + name);
		EXPECT_EQ(d->ops, std::string("daxfmap_") + name);
		EXPECT_EQ(d->kind, HookKind::Strategy);
		EXPECT_EQ(d->strategy, s);
	}
}

TEST(FaultHookDesign, NativeAndUnknownNamesAreNoDesign)
{
	EXPECT_FALSE(hook_design("native")); // the message path is the baseline, not a hook
	EXPECT_FALSE(hook_design("btree"));
	EXPECT_FALSE(hook_design(""));
}

TEST(FaultHookRunTool, ExitZeroSucceeds)
{
	EXPECT_TRUE(run_tool("sh", {"-c", "echo fine"}));
}

TEST(FaultHookRunTool, AFailureNamesTheCommandItsStatusAndItsOutput)
{
	auto r = run_tool("sh", {"-c", "echo 'register hook_digest: File exists' >&2; exit 3"});
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().field, "sh -c echo 'register hook_digest: File exists' >&2; exit 3");
	EXPECT_EQ(r.error().expected, "exit status 0");
	EXPECT_EQ(r.error().found, "exit status 3: register hook_digest: File exists");
}

TEST(FaultHookRunTool, AMissingProgramSaysItCannotRun)
{
	auto r = run_tool("/nonexistent/hookctl", {"unregister", "digest"});
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().found.find("exit status 127: cannot run /nonexistent/hookctl"), std::string::npos)
		<< r.error().found;
}

} // namespace
} // namespace daxfmap::bench

// SPDX-License-Identifier: GPL-2.0-only
// What makes two mounts' ops distinct before any kernel sees them: each
// instance's ops name, written into the strategy's struct_ops object in
// place of the built-in one (libbpf 1.1.2 registers the name the object
// holds, and ops names are system-wide).
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <bpf/libbpf.h>

#include "libdaxfmap_bpf/hook_ops.hpp"

using namespace daxfmap;
using namespace daxfmap::bpf;

TEST(HookOpsName, DistinctInstancesGetDistinctNamesThatFitTheKernelsLimit)
{
	std::set<std::string> names;
	for (int i = 0; i < 2000; i++) {
		const std::string n = hook_ops_name("mnt_mnt_dax" + std::to_string(i));
		EXPECT_LE(n.size(), kHookNameMax) << n;
		EXPECT_EQ(n.rfind("dxf_", 0), 0u) << n;
		names.insert(n);
	}
	EXPECT_EQ(names.size(), 2000u);
	EXPECT_EQ(hook_ops_name("mnt_a"), hook_ops_name("mnt_a"));
	EXPECT_NE(hook_ops_name("mnt_a"), hook_ops_name("mnt_b"));
}

TEST(HookOpsName, NeverTheStrategiesBuiltInNames)
{
	for (Strategy s : bpf_strategies())
		EXPECT_NE(hook_ops_name(hook_built_in_name(s)), hook_built_in_name(s));
}

TEST(PatchOpsName, EveryStrategyObjectGetsTheNewNameAndStaysAnObjectLibbpfOpens)
{
	for (Strategy s : bpf_strategies()) {
		SCOPED_TRACE(std::string(strategy_name(s)));
		const auto elf = hook_object(s);
		ASSERT_FALSE(elf.empty());
		const std::string name = hook_ops_name("mnt_two");
		auto patched = patch_ops_name(elf, hook_built_in_name(s), name);
		ASSERT_TRUE(patched.ok()) << patched.error().message();
		ASSERT_EQ(patched->size(), elf.size());
		// The new name is there once and the old one is gone.
		EXPECT_TRUE(patch_ops_name(*patched, name, "x").ok());
		auto again = patch_ops_name(*patched, hook_built_in_name(s), name);
		ASSERT_FALSE(again.ok());
		EXPECT_NE(again.error().message().find("0 times"), std::string::npos) << again.error().message();
		struct bpf_object *obj = bpf_object__open_mem(patched->data(), patched->size(), nullptr);
		ASSERT_NE(obj, nullptr) << "libbpf cannot open the patched object";
		EXPECT_NE(bpf_object__find_map_by_name(obj, ("hook_" + std::string(strategy_name(s))).c_str()),
			  nullptr);
		bpf_object__close(obj);
	}
}

TEST(PatchOpsName, ANameTheKernelCannotHoldIsRefusedNamingItsLength)
{
	const auto elf = hook_object(Strategy::Digest);
	auto r = patch_ops_name(elf, hook_built_in_name(Strategy::Digest), "sixteen_bytes_xx");
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().errnum, EINVAL);
	EXPECT_EQ(r.error().field, "ops name");
	EXPECT_NE(r.error().message().find("16 bytes"), std::string::npos) << r.error().message();
	r = patch_ops_name(elf, hook_built_in_name(Strategy::Digest), "");
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().errnum, EINVAL);
}

TEST(PatchOpsName, BytesThatAreNoElfObjectAreRefused)
{
	const std::vector<uint8_t> junk(4096, 0x7f);
	auto r = patch_ops_name(junk, "daxfmap_digest", "dxf_1");
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().errnum, EINVAL);
	EXPECT_NE(r.error().message().find("64-bit ELF"), std::string::npos) << r.error().message();
}

TEST(PatchOpsName, ANameOutsideStructOpsIsNotTouched)
{
	// "hook_digest" is a map name, in the object's BTF strings only.
	auto r = patch_ops_name(hook_object(Strategy::Digest), "hook_digest", "dxf_1");
	ASSERT_FALSE(r.ok());
	EXPECT_NE(r.error().message().find("0 times"), std::string::npos) << r.error().message();
}

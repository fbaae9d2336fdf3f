// SPDX-License-Identifier: GPL-2.0-only
// A pinned instance is shared: a second resolver attached to the pinned maps
// sees the first one's fmaps, and its own updates do not overwrite them; one
// attached read-only only queries.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/daxfmap.h>

#include "libdaxfmap/fmap_gen.hpp"
#include "libdaxfmap_bpf/bpf_object.hpp"
#include "libdaxfmap_bpf/differential.hpp"
#include "libdaxfmap_bpf/pinned.hpp"
#include "libdaxfmap_bpf/resolver.hpp"
#include "support/bpf_env.hpp"

using namespace daxfmap;
using namespace daxfmap::bpf;

class BpfPinning : public ::testing::TestWithParam<Strategy> {
protected:
	void SetUp() override
	{
		DAXFMAP_REQUIRE_BPF();
		root_ = "/sys/fs/bpf/daxfmap-pintest-" + std::to_string(::getpid());
	}
	void TearDown() override
	{
		std::error_code ec;
		std::filesystem::remove_all(root_, ec);
	}
	std::string root_;
};

TEST_P(BpfPinning, AttachedResolverSeesAndKeepsTheOwnersFmaps)
{
	const std::string dir = pin_dir(root_, "i", GetParam());
	Options owner_opts{.max_files = 64, .pool_entries = 4096, .pin_dir = dir};
	auto owner = make_resolver(GetParam(), owner_opts);
	ASSERT_TRUE(owner) << owner.error().message();

	// Within hash's inline limits (2 interleaved extents of 16 strips).
	const gen::FmapOptions o{.max_extents = 2, .max_strips = 4, .devices = 2};
	std::vector<Fmap> files{gen::random_fmap(1, o), gen::random_fmap(2, o)};
	const auto devs = devices_for(files);
	ASSERT_TRUE((*owner)->set_devices(devs));
	auto u0 = (*owner)->upsert(0, files[0]);
	ASSERT_TRUE(u0) << u0.error().message();

	Options attach = owner_opts;
	attach.reuse_pinned = true;
	auto other = make_resolver(GetParam(), attach);
	ASSERT_TRUE(other) << other.error().message();
	// The attached one writes file 1 into the shared maps...
	auto u1 = (*other)->upsert(1, files[1]);
	ASSERT_TRUE(u1) << u1.error().message();

	auto native = make_resolver(Strategy::Native);
	ASSERT_TRUE((*native)->set_devices(devs));
	for (uint64_t id : {0u, 1u}) {
		ASSERT_TRUE((*native)->upsert(id, files[id]));
		gen::QueryGen qg(files[id], id);
		for (int k = 0; k < 2000; k++) {
			const gen::Query q = qg.next();
			const Query bq{.file_id = id, .offset = q.offset, .length = q.length};
			auto want = (*native)->resolve(bq);
			// ...and both see both files, unchanged by each other's writes.
			EXPECT_EQ(*(*owner)->resolve(bq), *want) << "owner, file " << id;
			EXPECT_EQ(*(*other)->resolve(bq), *want) << "attached, file " << id;
		}
	}
	auto inst = inspect_instance(root_, "i");
	ASSERT_TRUE(inst) << inst.error().message();
	ASSERT_EQ(inst->strategies.size(), 1u);
	uint64_t fmaps = 0;
	for (const auto &m : inst->strategies[0].maps)
		fmaps += m.entries_used;
	EXPECT_EQ(fmaps, 2u) << "the pinned map holds both files";
}

TEST_P(BpfPinning, AttachingWhereNothingIsPinnedSaysWhatIsMissing)
{
	Options o{.max_files = 64, .pool_entries = 4096, .pin_dir = root_ + "/none",
		  .reuse_pinned = true};
	auto r = make_resolver(GetParam(), o);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, ENOENT);
	EXPECT_NE(r.error().message().find("daxfmap bpf load"), std::string::npos) << r.error().message();
}

TEST_P(BpfPinning, AReadOnlyAttachQueriesATableCaughtMidUpdateAndRefusesWrites)
{
	const std::string dir = pin_dir(root_, "i", GetParam());
	Options owner_opts{.max_files = 64, .pool_entries = 4096, .pin_dir = dir};
	auto owner = make_resolver(GetParam(), owner_opts);
	ASSERT_TRUE(owner) << owner.error().message();
	const gen::FmapOptions o{.max_extents = 2, .max_strips = 4, .devices = 1};
	std::vector<Fmap> files{gen::random_fmap(3, o), gen::random_fmap(4, o)};
	const auto devs = devices_for(files);
	ASSERT_TRUE((*owner)->set_devices(devs));
	ASSERT_TRUE((*owner)->upsert(0, files[0]));
	ASSERT_TRUE((*owner)->upsert(1, files[1]));
	if (GetParam() != Strategy::Hash) {
		// What a reader walking the file table can see while the owner
		// moves file 1 into the run file 0 just left: two entries over one
		// run.
		const int fd = bpf_obj_get((dir + "/daxfmap_files").c_str());
		ASSERT_GE(fd, 0) << std::strerror(errno);
		daxfmap_file f0, f1;
		uint32_t k0 = 0, k1 = 1;
		ASSERT_EQ(bpf_map_lookup_elem(fd, &k0, &f0), 0);
		ASSERT_EQ(bpf_map_lookup_elem(fd, &k1, &f1), 0);
		f1.base = f0.base;
		ASSERT_EQ(bpf_map_update_elem(fd, &k1, &f1, BPF_EXIST), 0);
		::close(fd);
		Options writer = owner_opts;
		writer.reuse_pinned = true;
		auto w = make_resolver(GetParam(), writer);
		ASSERT_FALSE(w) << "a writer must not allocate over runs in use";
		EXPECT_EQ(w.error().errnum, EUCLEAN);
	}
	Options ro = owner_opts;
	ro.reuse_pinned = true;
	ro.read_only = true;
	auto reader = make_resolver(GetParam(), ro);
	ASSERT_TRUE(reader) << reader.error().message();
	gen::QueryGen qg(files[0], 0);
	for (int k = 0; k < 200; k++) {
		const gen::Query q = qg.next();
		const Query bq{.file_id = 0, .offset = q.offset, .length = q.length};
		EXPECT_EQ(*(*reader)->resolve(bq), resolve_native(files[0], q.offset, q.length, devs));
	}
	auto up = (*reader)->upsert(2, files[0]);
	ASSERT_FALSE(up);
	EXPECT_EQ(up.error().errnum, EROFS);
	auto rm = (*reader)->remove(0);
	ASSERT_FALSE(rm);
	EXPECT_EQ(rm.error().errnum, EROFS);
}

INSTANTIATE_TEST_SUITE_P(BpfStrategies, BpfPinning,
			 ::testing::Values(Strategy::Hash, Strategy::Flat, Strategy::Digest),
			 [](const ::testing::TestParamInfo<Strategy> &p) {
				 return std::string(strategy_name(p.param));
			 });

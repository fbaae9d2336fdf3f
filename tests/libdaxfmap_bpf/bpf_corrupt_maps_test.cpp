// SPDX-License-Identifier: GPL-2.0-only
// Negative tests of the BPF strategies, selftests-style: maps whose entries
// are wrong (a run past the end of the pool, more extents than the limit,
// words of a run overwritten with random bits, a hash value whose counts
// exceed its arrays) never give an answer outside a device of the table:
// the program fails with a status instead, DAXFMAP_E_LIMIT where a bounded
// walk leaves the run.  The maps are corrupted with consistent seqcounts and
// generations, so the programs take the bad values as whole.  And each
// program stays within its verifier budget.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <bpf/bpf.h>
#include <linux/daxfmap.h>
#include <unistd.h>

#include "libdaxfmap/fmap_gen.hpp"
#include "libdaxfmap_bpf/differential.hpp"
#include "libdaxfmap_bpf/pinned.hpp"
#include "libdaxfmap_bpf/resolver.hpp"
#include "support/bpf_env.hpp"

using namespace daxfmap;
using namespace daxfmap::bpf;

namespace {

constexpr uint32_t kPoolEntries = 4096;
constexpr uint32_t kFiles = 4;

class BpfCorruptMaps : public ::testing::TestWithParam<Strategy> {
protected:
	void SetUp() override
	{
		DAXFMAP_REQUIRE_BPF();
		root_ = "/sys/fs/bpf/daxfmap-corrupttest-" + std::to_string(::getpid());
		dir_ = pin_dir(root_, "c", GetParam());
		auto r = make_resolver(GetParam(), {.max_files = 16, .pool_entries = kPoolEntries, .pin_dir = dir_});
		ASSERT_TRUE(r) << r.error().message();
		resolver_ = std::move(*r);
		// Within hash's inline limits, so that every strategy holds them.
		const gen::FmapOptions o{.max_extents = 2, .max_strips = 4, .devices = 2};
		for (uint32_t id = 0; id < kFiles; id++)
			files_.push_back(gen::random_fmap(100 + id, o));
		devices_ = devices_for(files_);
		ASSERT_TRUE(resolver_->set_devices(devices_));
		for (uint32_t id = 0; id < kFiles; id++)
			ASSERT_TRUE(resolver_->upsert(id, files_[id]));
	}
	void TearDown() override
	{
		resolver_.reset();
		std::error_code ec;
		std::filesystem::remove_all(root_, ec);
	}

	int map_fd(const char *name) const
	{
		const std::string path = dir_ + "/" + name;
		const int fd = bpf_obj_get(path.c_str());
		EXPECT_GE(fd, 0) << path << ": " << std::strerror(errno);
		return fd;
	}

	// Resolves `q`; fails the test if the answer is OK but outside its
	// device, or a status the ABI does not have.  Returns the status.
	uint32_t resolve_checked(const Query &q, const std::string &what)
	{
		auto r = resolver_->resolve(q);
		EXPECT_TRUE(r) << what << ": " << r.error().message();
		if (!r)
			return DAXFMAP_STATUS_MAX;
		EXPECT_LT(r->status, DAXFMAP_STATUS_MAX) << what;
		if (!r->ok()) {
			EXPECT_EQ(r->length, 0u) << what;
			return r->status;
		}
		const uint64_t size = r->device < devices_.size() ? devices_[r->device] : 0;
		EXPECT_GT(size, 0u) << what << ": device " << r->device << " is not in the table";
		EXPECT_GT(r->length, 0u) << what;
		EXPECT_LE(r->length, q.length) << what;
		EXPECT_LE(r->device_offset, size) << what;
		EXPECT_LE(r->length, size - std::min(size, r->device_offset))
			<< what << ": +" << r->device_offset << " len " << r->length << " past device "
			<< r->device << " of " << size << " bytes";
		return r->status;
	}

	// Queries over (and past) file `id`'s range.
	std::map<uint32_t, int> sweep(uint64_t id, const std::string &what, std::mt19937_64 &rng)
	{
		std::map<uint32_t, int> statuses;
		const uint64_t span = files_[id].file_size * 2 + (1u << 21);
		for (int k = 0; k < 300; k++) {
			const Query q{.file_id = id, .offset = rng() % span, .length = 1 + rng() % (4u << 20)};
			statuses[resolve_checked(q, what + " @" + std::to_string(q.offset))]++;
		}
		return statuses;
	}

	// Element `key` of the pinned map `name`, read, edited and written back
	// whole, as the programs will then read it.
	template <typename Key, typename Value>
	void edit_elem(const char *name, Key key, const std::function<void(Value &)> &edit)
	{
		const int fd = map_fd(name);
		ASSERT_GE(fd, 0);
		Value v{};
		const bool read = bpf_map_lookup_elem(fd, &key, &v) == 0;
		if (read)
			edit(v);
		const bool written = read && bpf_map_update_elem(fd, &key, &v, BPF_ANY) == 0;
		::close(fd);
		ASSERT_TRUE(read) << name << "[" << key << "]: " << std::strerror(errno);
		ASSERT_TRUE(written) << name << "[" << key << "]: " << std::strerror(errno);
	}

	// The file table entry of `id`, rewritten whole: seq stays even and
	// advances, as a finished update leaves it.
	void rewrite_file(uint32_t id, const std::function<void(daxfmap_file &)> &edit)
	{
		edit_elem<uint32_t, daxfmap_file>("daxfmap_files", id, [&](daxfmap_file &f) {
			edit(f);
			f.seq = (f.seq | 1) + 1;
		});
	}

	const char *pool_name() const
	{
		return GetParam() == Strategy::Flat ? "daxfmap_flat_pool" : "daxfmap_digest_pool";
	}

	std::string root_, dir_;
	std::unique_ptr<Resolver> resolver_;
	std::vector<Fmap> files_;
	std::vector<uint64_t> devices_;
};

class BpfCorruptRuns : public BpfCorruptMaps {};

TEST_P(BpfCorruptRuns, ARunPastTheEndOfThePoolIsELimit)
{
	rewrite_file(0, [](daxfmap_file &f) { f.base = kPoolEntries - 1; });
	for (uint64_t off : {uint64_t{0}, files_[0].file_size / 2, files_[0].file_size - 1}) {
		const uint32_t st = resolve_checked({.file_id = 0, .offset = off, .length = 4096}, "past pool");
		// The one entry left in the pool may end the walk (an extent of
		// another run, zeroed space): anything but an answer outside.
		if (st != DAXFMAP_OK)
			EXPECT_TRUE(st == DAXFMAP_E_LIMIT || st == DAXFMAP_E_PAST_END || st == DAXFMAP_E_BAD_FMAP ||
				    st == DAXFMAP_E_NO_DEVICE || st == DAXFMAP_E_OUT_OF_DEVICE)
				<< "status " << st;
	}
	// Past the pool from the first entry: nothing to read at all.
	rewrite_file(1, [](daxfmap_file &f) { f.base = kPoolEntries; });
	EXPECT_EQ(resolve_checked({.file_id = 1, .offset = 0, .length = 4096}, "base at the end"),
		  uint32_t{DAXFMAP_E_LIMIT});
}

TEST_P(BpfCorruptRuns, MoreExtentsThanTheLimitIsELimit)
{
	rewrite_file(2, [](daxfmap_file &f) { f.nextents = DAXFMAP_MAX_FILE_EXTENTS + 1; });
	EXPECT_EQ(resolve_checked({.file_id = 2, .offset = 0, .length = 4096}, "2^20 + 1 extents"),
		  uint32_t{DAXFMAP_E_LIMIT});
	rewrite_file(2, [](daxfmap_file &f) { f.nextents = 0xffffffffu; });
	EXPECT_EQ(resolve_checked({.file_id = 2, .offset = 0, .length = 4096}, "2^32 - 1 extents"),
		  uint32_t{DAXFMAP_E_LIMIT});
}

TEST_P(BpfCorruptRuns, RandomWordsInTheTableEntryAndTheRunNeverMapOutsideADevice)
{
	std::mt19937_64 rng(7);
	std::map<uint32_t, int> seen;
	const int pool = map_fd(pool_name());
	ASSERT_GE(pool, 0);
	for (int round = 0; round < 40; round++) {
		const uint32_t id = round % kFiles;
		const std::string what = "round " + std::to_string(round);
		// A few random bits in the entry (never seq: the reader would
		// retry, not take the values)...
		rewrite_file(id, [&](daxfmap_file &f) {
			switch (rng() % 5) {
			case 0: f.nextents = static_cast<uint32_t>(rng() % 64) + 1; break;
			case 1: f.base = static_cast<uint32_t>(rng() % (kPoolEntries + 8)); break;
			case 2: f.shift = static_cast<uint32_t>(rng()); break;
			case 3: f.nentries = static_cast<uint32_t>(rng()); break;
			case 4: f.file_size = rng(); break;
			}
		});
		// ...and random words over entries of the pool, in and around runs.
		for (int w = 0; w < 8; w++) {
			const uint32_t key = static_cast<uint32_t>(rng() % 64);
			uint64_t words[3] = {rng(), rng(), rng()};
			if (rng() % 2)
				words[rng() % 3] &= 0xffffffu; // small values reach further into the code
			uint8_t value[sizeof(daxfmap_flat_ent)] = {};
			const size_t vsize = GetParam() == Strategy::Flat ? sizeof(daxfmap_flat_ent)
									  : sizeof(daxfmap_digest_ent);
			std::memcpy(value, words, vsize);
			ASSERT_EQ(bpf_map_update_elem(pool, &key, value, BPF_ANY), 0);
		}
		for (auto [st, n] : sweep(id, what, rng))
			seen[st] += n;
	}
	::close(pool);
	// The sweep reached failures, not only answers that happened to fit.
	int failures = 0;
	for (auto [st, n] : seen)
		failures += st == DAXFMAP_OK ? 0 : n;
	EXPECT_GT(failures, 0);
	EXPECT_GT(seen[DAXFMAP_E_LIMIT], 0) << "no corruption was caught as a walk out of its run";
}

INSTANTIATE_TEST_SUITE_P(BpfFlatAndDigest, BpfCorruptRuns, ::testing::Values(Strategy::Flat, Strategy::Digest),
			 [](const auto &info) { return std::string(strategy_name(info.param)); });

class BpfCorruptHash : public BpfCorruptMaps {
protected:
	// The value of `id`, rewritten with its generations and key intact.
	void rewrite_value(uint64_t id, const std::function<void(daxfmap_hash_fmap &)> &edit)
	{
		edit_elem<uint64_t, daxfmap_hash_fmap>("daxfmap_hash_fmaps", id, edit);
	}
};

TEST_P(BpfCorruptHash, CountsPastTheValuesArraysNeverMapOutsideADevice)
{
	std::mt19937_64 rng(11);
	int failures = 0;
	for (int round = 0; round < 40; round++) {
		const uint64_t id = round % kFiles;
		rewrite_value(id, [&](daxfmap_hash_fmap &v) {
			switch (rng() % 6) {
			case 0: v.nextents = static_cast<uint32_t>(rng()); break;
			case 1: v.iext[rng() % DAXFMAP_HASH_MAX_IEXT].nstrips = static_cast<uint32_t>(rng() % 64); break;
			case 2: v.iext[rng() % DAXFMAP_HASH_MAX_IEXT].first_strip = static_cast<uint32_t>(rng() % 64); break;
			case 3: v.iext[rng() % DAXFMAP_HASH_MAX_IEXT].chunk_size = static_cast<uint32_t>(rng()); break;
			case 4: v.ext[rng() % DAXFMAP_HASH_MAX_EXTENTS].offset = rng(); break;
			case 5: v.ext[rng() % DAXFMAP_HASH_MAX_EXTENTS].device = static_cast<uint32_t>(rng() % 32); break;
			}
		});
		for (auto [st, n] : sweep(id, "round " + std::to_string(round), rng))
			failures += st == DAXFMAP_OK ? 0 : n;
	}
	EXPECT_GT(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(BpfHash, BpfCorruptHash, ::testing::Values(Strategy::Hash),
			 [](const auto &info) { return std::string(strategy_name(info.param)); });

// The verifier's budget per program, in the spirit of selftests'
// bpf_verif_scale: about twice what 6.18 processes today (hash 23k, flat
// 5k, digest 6k instructions), so that a change that makes verification
// blow up (an unrolled loop, a lost bound) fails here and not first on a
// user's kernel, while kernels that track state differently still pass.
TEST_P(BpfCorruptMaps, EveryProgramStaysWithinItsVerifierBudget)
{
	const std::map<Strategy, uint32_t> budget = {
		{Strategy::Hash, 48000}, {Strategy::Flat, 12000}, {Strategy::Digest, 14000}};
	auto inst = inspect_instance(root_, "c");
	ASSERT_TRUE(inst) << inst.error().message();
	ASSERT_EQ(inst->strategies.size(), 1u);
	const auto &progs = inst->strategies[0].progs;
	ASSERT_EQ(progs.size(), 3u) << "resolve, batch, timed";
	for (const auto &p : progs) {
		if (p.verified_insns == 0)
			GTEST_SKIP() << "SKIPPED: this kernel does not report verified_insns (before 5.16)";
		EXPECT_LE(p.verified_insns, budget.at(GetParam())) << p.name;
	}
}

INSTANTIATE_TEST_SUITE_P(BpfAll, BpfCorruptMaps, ::testing::ValuesIn(bpf_strategies()),
			 [](const auto &info) { return std::string(strategy_name(info.param)); });

} // namespace

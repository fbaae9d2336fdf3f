// SPDX-License-Identifier: GPL-2.0-only
// Updates are atomic for readers: while one thread swaps a file between two
// fmaps thousands of times, another resolves it in a loop in the kernel, and
// every answer is exactly the answer of one of the two fmaps.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap_bpf/resolver.hpp"
#include "support/bpf_env.hpp"
#include "libdaxfmap_bpf/differential.hpp"
#include "libdaxfmap/fmap_gen.hpp"

using namespace daxfmap;
using namespace daxfmap::bpf;

namespace {

constexpr uint64_t kFile = 9;
constexpr int kSwaps = 4000;

struct SwapStats {
	uint64_t reads = 0, mismatches = 0, stale = 0, only_a = 0, only_b = 0;
};

// Two different fmaps over the same file size, both within every strategy's
// limits, whose ranges differ so that a torn read shows.
std::pair<Fmap, Fmap> two_fmaps(uint64_t seed)
{
	const gen::FmapOptions o{.max_extents = 2, .max_strips = 16, .devices = 3,
				 .file_size = gen::FileSize::ExactSum};
	Fmap a = gen::random_fmap(seed, o);
	Fmap b = gen::random_fmap(seed + 1, o);
	return {a, b};
}

SwapStats swap_while_reading(Resolver &r, const Fmap &a, const Fmap &b)
{
	std::vector<uint64_t> devs = daxfmap::bpf::devices_for({a, b});
	EXPECT_TRUE(r.set_devices(devs));
	EXPECT_TRUE(r.upsert(kFile, a));

	// Queries over both files' ranges, with each one's two possible answers.
	std::vector<Query> qs;
	for (const Fmap *f : {&a, &b}) {
		gen::QueryGen g(*f, 5);
		for (const gen::Query &q : g.batch(128))
			qs.push_back({.file_id = kFile, .offset = q.offset, .length = q.length});
	}
	std::vector<Resolution> want_a, want_b;
	for (const Query &q : qs) {
		want_a.push_back(resolve_native(a, q.offset, q.length, devs));
		want_b.push_back(resolve_native(b, q.offset, q.length, devs));
	}

	// The writer starts once the reader runs and swaps until it has done
	// kSwaps swaps and the reader has read kMinBatches batches, so that the
	// two overlap however the threads are scheduled.
	constexpr uint64_t kMinBatches = 200;
	std::atomic<bool> done{false};
	std::atomic<bool> writer_failed{false};
	std::atomic<uint64_t> batches{0};
	std::thread writer([&] {
		while (batches.load() == 0)
			std::this_thread::yield();
		for (int i = 0; i < kSwaps || batches.load() < kMinBatches; i++) {
			if (!r.upsert(kFile, i % 2 ? a : b)) {
				writer_failed = true;
				break;
			}
			// Now and then hold the new fmap until two more batches ran
			// (the second began after it was published), so that the
			// reader surely sees it whatever the scheduler does.
			if (i % 64 == 0) {
				const uint64_t target = batches.load() + 2;
				const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
				while (batches.load() < target && std::chrono::steady_clock::now() < deadline)
					std::this_thread::yield();
			}
		}
		done = true;
	});

	SwapStats st;
	std::vector<Resolution> got(qs.size());
	for (bool last = false; !last;) {
		last = done.load();
		auto ok = r.resolve_batch(qs, got);
		if (!ok) {
			ADD_FAILURE() << ok.error().message();
			break;
		}
		for (size_t k = 0; k < qs.size(); k++) {
			st.reads++;
			const bool is_a = got[k] == want_a[k], is_b = got[k] == want_b[k];
			if (got[k].status == DAXFMAP_E_STALE)
				st.stale++;
			else if (!is_a && !is_b)
				st.mismatches++;
			st.only_a += is_a && !is_b;
			st.only_b += is_b && !is_a;
		}
		batches++;
	}
	writer.join();
	EXPECT_FALSE(writer_failed.load());
	return st;
}

} // namespace

class BpfConcurrency : public ::testing::TestWithParam<Strategy> {
protected:
	void SetUp() override { DAXFMAP_REQUIRE_BPF(); }
};

TEST_P(BpfConcurrency, EveryAnswerDuringSwapsIsTheOldOrTheNewFmapsNeverAMix)
{
	auto r = make_resolver(GetParam(), {.max_files = 64, .pool_entries = 1u << 16});
	ASSERT_TRUE(r) << r.error().message();
	uint64_t reads = 0, seen_a = 0, seen_b = 0;
	for (uint64_t seed : {101u, 202u, 303u}) {
		auto [a, b] = two_fmaps(seed);
		SwapStats st = swap_while_reading(**r, a, b);
		std::cout << "[ swap     ] " << strategy_name(GetParam()) << " seed " << seed << ": "
			  << kSwaps << " swaps, " << st.reads << " answers, " << st.mismatches
			  << " torn, " << st.stale << " stale after retries, " << st.only_a
			  << " only-old, " << st.only_b << " only-new\n";
		EXPECT_EQ(st.mismatches, 0u);
		EXPECT_EQ(st.stale, 0u);
		reads += st.reads;
		seen_a += st.only_a;
		seen_b += st.only_b;
	}
	EXPECT_GT(reads, 0u);
	// Both versions were really observed, so the readers overlapped the
	// swaps.  Native takes a lock per batch, so there which version a batch
	// sees is up to the scheduler, and a torn read cannot happen anyway.
	if (GetParam() != Strategy::Native) {
		EXPECT_GT(seen_a, 0u);
		EXPECT_GT(seen_b, 0u);
	}
}

INSTANTIATE_TEST_SUITE_P(AllStrategies, BpfConcurrency,
			 ::testing::Values(Strategy::Native, Strategy::Hash, Strategy::Flat,
					   Strategy::Digest),
			 [](const ::testing::TestParamInfo<Strategy> &p) { return std::string(strategy_name(p.param)); });

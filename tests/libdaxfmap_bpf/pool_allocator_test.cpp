// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "libdaxfmap_bpf/pool_allocator.hpp"

using daxfmap::bpf::PoolAllocator;

TEST(PoolAllocator, AllocatesFirstFitAndRefusesWhenFull)
{
	PoolAllocator a(10);
	EXPECT_EQ(a.allocate(4), 0u);
	EXPECT_EQ(a.allocate(4), 4u);
	EXPECT_EQ(a.allocate(3), std::nullopt);
	EXPECT_EQ(a.allocate(2), 8u);
	EXPECT_EQ(a.used(), 10u);
	EXPECT_EQ(a.allocate(1), std::nullopt);
	EXPECT_EQ(a.allocate(0), std::nullopt);
}

TEST(PoolAllocator, ReleaseCoalescesNeighboursIntoOneRange)
{
	PoolAllocator a(12);
	ASSERT_EQ(a.allocate(4), 0u);
	ASSERT_EQ(a.allocate(4), 4u);
	ASSERT_EQ(a.allocate(4), 8u);
	a.release(0, 4);
	a.release(8, 4);
	EXPECT_EQ(a.largest_free(), 4u);
	a.release(4, 4);
	EXPECT_EQ(a.largest_free(), 12u);
	EXPECT_EQ(a.used(), 0u);
	EXPECT_EQ(a.allocate(12), 0u);
}

TEST(PoolAllocator, DoubleReleaseAndOutOfRangeReleaseThrow)
{
	PoolAllocator a(8);
	ASSERT_EQ(a.allocate(4), 0u);
	a.release(0, 4);
	EXPECT_THROW(a.release(0, 4), std::logic_error);
	EXPECT_THROW(a.release(6, 4), std::logic_error);
}

TEST(PoolAllocator, ReserveMarksExactRangesAndRejectsUsedOnes)
{
	PoolAllocator a(16);
	EXPECT_TRUE(a.reserve(4, 4));
	EXPECT_FALSE(a.reserve(6, 4));
	EXPECT_TRUE(a.reserve(12, 4));
	EXPECT_EQ(a.allocate(4), 0u);
	EXPECT_EQ(a.allocate(4), 8u);
	EXPECT_EQ(a.allocate(1), std::nullopt);
}

TEST(PoolAllocator, RandomAllocateReleaseNeverHandsOutOverlappingRanges)
{
	std::mt19937_64 rng(7);
	PoolAllocator a(4096);
	std::vector<uint8_t> owner(4096, 0);
	std::vector<std::pair<uint32_t, uint32_t>> live;
	for (int step = 0; step < 20000; step++) {
		if (!live.empty() && rng() % 2) {
			const size_t i = rng() % live.size();
			auto [base, n] = live[i];
			for (uint32_t k = 0; k < n; k++)
				owner[base + k] = 0;
			a.release(base, n);
			live.erase(live.begin() + static_cast<long>(i));
		} else {
			const uint32_t n = 1 + static_cast<uint32_t>(rng() % 64);
			if (auto base = a.allocate(n)) {
				for (uint32_t k = 0; k < n; k++) {
					ASSERT_EQ(owner[*base + k], 0) << "entry handed out twice";
					owner[*base + k] = 1;
				}
				live.emplace_back(*base, n);
			}
		}
		uint64_t used = 0;
		for (auto &[b, n] : live)
			used += n;
		ASSERT_EQ(a.used(), used);
	}
}

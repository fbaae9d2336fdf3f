// SPDX-License-Identifier: GPL-2.0-only
// The unit allocator: contiguous and striped layouts, frees, overlap checks,
// and random sequences checked against the validator and resolve_native.
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <random>
#include <vector>

#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/validate.hpp"
#include "libdaxfmap_fs/allocator.hpp"

namespace daxfmap::fs {
namespace {

constexpr uint64_t MiB = uint64_t{1} << 20;
constexpr uint64_t kData = 10 * MiB;

TEST(Allocator, SimpleFileGetsOneExtentRoundedUpTo2MiB)
{
	Allocator a(kData, kData + 100 * MiB);
	EXPECT_EQ(a.total_units(), 50u);
	auto f = a.allocate(5 * MiB + 1, Layout::simple());
	ASSERT_TRUE(f) << f.error().message();
	ASSERT_TRUE(f->is_simple());
	ASSERT_EQ(f->simple().size(), 1u);
	EXPECT_EQ(f->simple()[0].offset, kData);
	EXPECT_EQ(f->simple()[0].length, 6 * MiB);
	EXPECT_EQ(f->file_size, 5 * MiB + 1);
	EXPECT_EQ(a.used_units(), 3u);
}

TEST(Allocator, GrowTakesTheFreeUnitsAfterTheLastExtentThenOthersNeverTheSameTwice)
{
	// Units: [f] [free] [g] [free] [h] [free]; f grows by three units: the
	// one after it in place, the other two only as first-fit pieces, which
	// must not count the in-place unit again.
	Allocator a(kData, kData + 12 * MiB);
	std::vector<Fmap> unit;
	for (int i = 0; i < 6; i++)
		unit.push_back(*a.allocate(2 * MiB, Layout::simple()));
	for (int i : {1, 3, 5})
		a.release(unit[static_cast<size_t>(i)]);
	auto grown = a.grow(unit[0], 8 * MiB);
	ASSERT_TRUE(grown) << grown.error().message();
	EXPECT_EQ(grown->file_size, 8 * MiB);
	ASSERT_EQ(grown->simple().size(), 3u);
	EXPECT_EQ(grown->simple()[0].offset, kData);
	EXPECT_EQ(grown->simple()[0].length, 4 * MiB) << "the free unit after it, in place";
	EXPECT_EQ(grown->simple()[1].offset, kData + 6 * MiB);
	EXPECT_EQ(grown->simple()[2].offset, kData + 10 * MiB);
	EXPECT_EQ(a.free_units(), 0u);
	Allocator check(kData, kData + 12 * MiB);
	EXPECT_TRUE(check.mark_used(*grown)) << "no unit named twice";
	EXPECT_TRUE(check.mark_used(unit[2]));
	EXPECT_TRUE(check.mark_used(unit[4]));

	auto too_big = a.grow(*grown, 10 * MiB);
	ASSERT_FALSE(too_big);
	EXPECT_EQ(too_big.error().errnum, ENOSPC);
	EXPECT_EQ(a.free_units(), 0u) << "a failed grow takes nothing, frees nothing";

	SimpleExtents freed;
	Fmap cut = a.shrink(*grown, 3 * MiB, 3 * MiB, &freed);
	ASSERT_EQ(cut.simple().size(), 1u);
	EXPECT_EQ(cut.simple()[0].length, 4 * MiB);
	EXPECT_EQ(a.free_units(), 2u);
	ASSERT_EQ(freed.size(), 2u);
	EXPECT_EQ(freed[0].offset, kData + 6 * MiB);
}

TEST(Allocator, EmptyFileGetsNoSpace)
{
	Allocator a(kData, kData + 10 * MiB);
	auto f = a.allocate(0, Layout::simple());
	ASSERT_TRUE(f);
	EXPECT_TRUE(f->is_simple() && f->simple().empty());
	EXPECT_EQ(a.used_units(), 0u);
}

TEST(Allocator, FragmentedSpaceIsUsedInFirstFitPieces)
{
	Allocator a(kData, kData + 20 * MiB); // 10 units
	std::vector<Fmap> held;
	for (int i = 0; i < 5; i++)
		held.push_back(*a.allocate(4 * MiB, Layout::simple())); // 2 units each
	a.release(held[1]);
	a.release(held[3]);
	auto f = a.allocate(8 * MiB, Layout::simple());
	ASSERT_TRUE(f) << f.error().message();
	ASSERT_EQ(f->simple().size(), 2u);
	EXPECT_EQ(f->simple()[0].offset, kData + 4 * MiB);
	EXPECT_EQ(f->simple()[1].offset, kData + 12 * MiB);
	EXPECT_TRUE(check(*f, limits_for(Profile::V10)));
}

TEST(Allocator, TooFewExtentsAllowedIsENOSPCAndLeavesNothingAllocated)
{
	Allocator a(kData, kData + 20 * MiB);
	std::vector<Fmap> held;
	for (int i = 0; i < 10; i++)
		held.push_back(*a.allocate(2 * MiB, Layout::simple()));
	for (int i = 0; i < 10; i += 2)
		a.release(held[i]);
	auto f = a.allocate(6 * MiB, Layout::simple(), 2);
	ASSERT_FALSE(f);
	EXPECT_EQ(f.error().errnum, ENOSPC);
	EXPECT_EQ(a.free_units(), 5u);
}

TEST(Allocator, FullDeviceIsENOSPCWithTheNumbers)
{
	Allocator a(kData, kData + 20 * MiB);
	auto f = a.allocate(22 * MiB, Layout::simple());
	ASSERT_FALSE(f);
	EXPECT_EQ(f.error().errnum, ENOSPC);
	EXPECT_NE(f.error().message().find("20 MiB free"), std::string::npos) << f.error().message();
	EXPECT_EQ(a.free_units(), 10u);
}

TEST(Allocator, StripedFileHasEqualStripsOfWholeChunks)
{
	Allocator a(kData, kData + 200 * MiB);
	auto f = a.allocate(24 * MiB + 1, Layout::striped(4, 4 * MiB));
	ASSERT_TRUE(f) << f.error().message();
	ASSERT_FALSE(f->is_simple());
	const auto &ie = f->interleaved().at(0);
	EXPECT_EQ(ie.chunk_size, 4 * MiB);
	EXPECT_EQ(ie.nbytes, 24 * MiB + 1);
	ASSERT_EQ(ie.strips.size(), 4u);
	for (const auto &s : ie.strips)
		EXPECT_EQ(s.length, 8 * MiB); // ceil(24M+1 / 16M) = 2 chunks
	EXPECT_TRUE(check(*f, limits_for(Profile::V10)));
	EXPECT_TRUE(check(*f, limits_for(Profile::Extended)));
}

TEST(Allocator, StripedLayoutMatchesTheFactsVectors)
{
	Allocator a(kData, kData + 200 * MiB);
	auto f = a.allocate(24 * MiB, Layout::striped(4, 2 * MiB));
	ASSERT_TRUE(f);
	const auto &st = f->interleaved()[0].strips;
	auto r = resolve_native(*f, 0, 1);
	EXPECT_EQ(r.device_offset, st[0].offset);
	r = resolve_native(*f, 4 * MiB, 1);
	EXPECT_EQ(r.device_offset, st[2].offset);
	r = resolve_native(*f, 15 * MiB, 1);
	EXPECT_EQ(r.device_offset, st[3].offset + 3 * MiB);
}

TEST(Allocator, BadStripedLayoutsAreEINVAL)
{
	Allocator a(kData, kData + 200 * MiB);
	for (Layout l : {Layout::striped(2, 3 * MiB), Layout::striped(2, 1 * MiB),
			 Layout::striped(2, 0), Layout::striped(257, 2 * MiB),
			 Layout::striped(2, 2048 * MiB)}) {
		auto f = a.allocate(8 * MiB, l);
		ASSERT_FALSE(f) << l.nstrips << " " << l.chunk;
		EXPECT_EQ(f.error().errnum, EINVAL);
	}
	EXPECT_EQ(a.used_units(), 0u);
}

TEST(Allocator, StripedThatDoesNotFitLeavesNothingAllocated)
{
	Allocator a(kData, kData + 20 * MiB); // 10 units
	std::vector<Fmap> unit;
	for (int i = 0; i < 10; i++)
		unit.push_back(*a.allocate(2 * MiB, Layout::simple()));
	// Free runs: units 0..2, 4..5, 7..8 (7 units in all).
	for (int i : {0, 1, 2, 4, 5, 7, 8})
		a.release(unit[i]);
	// Two strips of 3 units: the first fits at 0..2, the second nowhere.
	auto f = a.allocate(12 * MiB, Layout::striped(2, 2 * MiB));
	ASSERT_FALSE(f);
	EXPECT_EQ(f.error().errnum, ENOSPC);
	EXPECT_NE(f.error().message().find("strip 1"), std::string::npos) << f.error().message();
	EXPECT_EQ(a.free_units(), 7u);
	EXPECT_FALSE(a.unit_used(0));
}

TEST(Allocator, MarkUsedDetectsOverlapAndOutOfBounds)
{
	Allocator a(kData, kData + 20 * MiB);
	Fmap f;
	f.file_size = 4 * MiB;
	f.extents = SimpleExtents{{.device = 0, .offset = kData + 2 * MiB, .length = 4 * MiB}};
	ASSERT_TRUE(a.mark_used(f));
	Fmap g = f;
	g.simple()[0].offset = kData + 4 * MiB;
	auto r = a.mark_used(g);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, EEXIST);
	EXPECT_EQ(a.used_units(), 2u); // nothing of g was kept
	Fmap out = f;
	out.simple()[0].offset = kData + 18 * MiB;
	r = a.mark_used(out);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().errnum, EINVAL);
	Fmap low = f;
	low.simple()[0].offset = 0;
	EXPECT_FALSE(a.mark_used(low));
	Fmap other = f;
	other.simple()[0].device = 1;
	other.simple()[0].offset = kData + 10 * MiB;
	EXPECT_FALSE(a.mark_used(other));
	EXPECT_EQ(a.used_units(), 2u);
}

// Random allocations and frees: live fmaps never share a unit, each is valid
// under the extended profile, every 2 MiB of the file resolves inside the
// file's own ranges, and the allocator's count matches.
TEST(Allocator, RandomSequencesNeverOverlapAndResolveInsideTheirOwnSpace)
{
	std::mt19937_64 rng(20261123);
	Allocator a(kData, kData + 512 * MiB);
	std::map<int, Fmap> live;
	int next = 0;
	for (int step = 0; step < 600; step++) {
		if (!live.empty() && rng() % 3 == 0) {
			auto it = live.begin();
			std::advance(it, rng() % live.size());
			a.release(it->second);
			live.erase(it);
			continue;
		}
		uint64_t size = (rng() % (40 * MiB)) + 1;
		Layout l = Layout::simple();
		if (rng() % 2)
			l = Layout::striped(1 + rng() % 6, (2 * MiB) << (rng() % 3));
		auto f = a.allocate(size, l);
		if (!f) {
			ASSERT_EQ(f.error().errnum, ENOSPC) << f.error().message();
			continue;
		}
		live.emplace(next++, std::move(*f));
	}
	ASSERT_GT(live.size(), 5u);
	std::vector<int> owner(a.total_units(), -1);
	uint64_t used = 0;
	const uint64_t sizes[1] = {kData + 512 * MiB};
	for (const auto &[id, f] : live) {
		ASSERT_TRUE(check(f, limits_for(Profile::Extended)));
		for (const auto &r : fmap_ranges(f)) {
			for (uint64_t u = (r.offset - kData) / kUnit; u < (r.offset + r.length - kData) / kUnit; u++) {
				ASSERT_EQ(owner[u], -1) << "unit " << u << " shared";
				owner[u] = id;
				used++;
			}
		}
		for (uint64_t off = 0; off < f.file_size; off += kUnit) {
			auto r = resolve_native(f, off, kUnit, sizes);
			ASSERT_TRUE(r.ok()) << r;
			uint64_t u = (r.device_offset - kData) / kUnit;
			ASSERT_EQ(owner[u], id);
			uint64_t last = (r.device_offset + r.length - 1 - kData) / kUnit;
			ASSERT_EQ(owner[last], id);
		}
	}
	EXPECT_EQ(used, a.used_units());
}

} // namespace
} // namespace daxfmap::fs

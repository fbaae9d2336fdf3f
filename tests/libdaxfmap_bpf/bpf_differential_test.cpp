// SPDX-License-Identifier: GPL-2.0-only
// Every BPF strategy, run in the kernel through BPF_PROG_TEST_RUN, gives
// exactly the native resolver's answer (errors included) on random fmaps and
// on queries concentrated at extent and chunk boundaries.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <iostream>
#include <memory>
#include <thread>

#include "libdaxfmap_bpf/layouts.hpp"
#include "libdaxfmap_bpf/resolver.hpp"
#include "support/bpf_env.hpp"
#include "libdaxfmap_bpf/differential.hpp"
#include "libdaxfmap/fmap_gen.hpp"

using namespace daxfmap;
using namespace daxfmap::bpf;
using daxfmap::bpf::DiffReport;
using daxfmap::bpf::DiffSetup;

namespace {

constexpr uint64_t MiB = 1ull << 20;

class BpfDifferential : public ::testing::Test {
protected:
	static void SetUpTestSuite()
	{
		if (daxfmap::testing::bpf_unavailable())
			return;
		const Options opts{.max_files = 4096, .pool_entries = 1u << 22};
		for (Strategy s : all_strategies()) {
			auto r = make_resolver(s, opts);
			ASSERT_TRUE(r) << strategy_name(s) << ": " << r.error().message();
			resolvers_.push_back(std::move(*r));
		}
	}
	static void TearDownTestSuite() { resolvers_.clear(); }

	void SetUp() override { DAXFMAP_REQUIRE_BPF(); }

	static std::vector<Resolver *> all()
	{
		std::vector<Resolver *> v;
		for (auto &r : resolvers_)
			v.push_back(r.get());
		return v;
	}

	static Resolver &get(Strategy s)
	{
		for (auto &r : resolvers_)
			if (r->strategy() == s)
				return *r;
		throw std::logic_error("no such strategy");
	}

	// Runs and checks one setup; returns the report for further checks.
	static DiffReport check(const DiffSetup &setup, const char *what)
	{
		DiffReport rep = daxfmap::bpf::run_differential(all(), setup);
		std::cout << "[ diff     ] " << what << ": " << setup.files.size() << " files, "
			  << rep.queries << " answers compared, " << rep.mismatches
			  << " mismatches, " << rep.outside_device << " outside a device, "
			  << rep.refused_files << " refused by bounded layouts\n"
			  << "[ diff     ]   native statuses:";
		for (int st = 0; st < DAXFMAP_STATUS_MAX; st++)
			if (rep.by_status[st])
				std::cout << " " << status_name(static_cast<daxfmap_status>(st)) << "="
					  << rep.by_status[st];
		std::cout << "\n";
		for (const auto &f : rep.first_failures)
			ADD_FAILURE() << f;
		EXPECT_EQ(rep.mismatches, 0u);
		EXPECT_EQ(rep.outside_device, 0u);
		EXPECT_GT(rep.queries, 0u);
		::testing::Test::RecordProperty("answers_compared", std::to_string(rep.queries));
		return rep;
	}

	static std::vector<Fmap> fmaps(uint64_t seed, size_t n, const gen::FmapOptions &o)
	{
		gen::Rng rng(seed);
		std::vector<Fmap> v;
		for (size_t i = 0; i < n; i++)
			v.push_back(gen::random_fmap(rng, o));
		return v;
	}

	static inline std::vector<std::unique_ptr<Resolver>> resolvers_;
};

} // namespace

TEST_F(BpfDifferential, SimpleFmapsWithinHashLimitsMatchNativeInEveryStrategy)
{
	DiffSetup s;
	s.files = fmaps(11, 400, {.layout = gen::Layout::Simple, .max_extents = 32, .devices = 4});
	s.devices = daxfmap::bpf::devices_for(s.files);
	s.queries_per_file = 700;
	s.seed = 11;
	DiffReport rep = check(s, "simple, 1-32 extents");
	EXPECT_EQ(rep.refused_files, 0u) << "hash must hold up to 32 extents";
	EXPECT_GT(rep.by_status[DAXFMAP_OK], 100000u);
	EXPECT_GT(rep.by_status[DAXFMAP_E_PAST_END], 1000u);
}

TEST_F(BpfDifferential, InterleavedFmapsWithinHashLimitsMatchNativeInEveryStrategy)
{
	DiffSetup s;
	s.files = fmaps(12, 400, {.layout = gen::Layout::Interleaved, .max_extents = 2,
				  .max_strips = 16, .devices = 4});
	s.devices = daxfmap::bpf::devices_for(s.files);
	s.queries_per_file = 700;
	s.seed = 12;
	DiffReport rep = check(s, "interleaved, 1-2 extents, 1-16 strips");
	EXPECT_EQ(rep.refused_files, 0u) << "hash must hold 2 extents of 16 strips";
	EXPECT_GT(rep.by_status[DAXFMAP_OK], 100000u);
	EXPECT_GT(rep.by_status[DAXFMAP_E_PAST_END], 1000u);
}

TEST_F(BpfDifferential, InterleavedUpTo32StripsPow2AndOtherChunksMatchNative)
{
	for (gen::Chunks c : {gen::Chunks::Pow2, gen::Chunks::Multiple}) {
		DiffSetup s;
		s.files = fmaps(13 + int(c), 150, {.layout = gen::Layout::Interleaved, .max_extents = 8,
						   .max_strips = 32, .devices = 8, .chunks = c});
		s.devices = daxfmap::bpf::devices_for(s.files);
		s.queries_per_file = 600;
		s.seed = 13;
		check(s, c == gen::Chunks::Pow2 ? "interleaved, pow2 chunks, up to 32 strips"
						: "interleaved, other chunks, up to 32 strips");
	}
}

TEST_F(BpfDifferential, UniformPowerOfTwoExtentsTakeTheShiftPathAndMatchNative)
{
	for (gen::Lengths l : {gen::Lengths::UniformPow2, gen::Lengths::UniformPow2ShortLast}) {
		DiffSetup s;
		s.files = fmaps(17 + int(l), 200, {.layout = gen::Layout::Simple, .max_extents = 2000,
						   .devices = 3, .lengths = l});
		s.devices = daxfmap::bpf::devices_for(s.files);
		s.queries_per_file = 400;
		s.seed = 17;
		check(s, "simple, uniform power-of-two lengths, up to 2000 extents");
	}
}

TEST_F(BpfDifferential, LargeExtentCountsMatchNativeUpTo1048576Extents)
{
	for (uint32_t n : {1024u, 32768u, 1u << 20}) {
		DiffSetup s;
		s.files = fmaps(19 + n, 1, {.layout = gen::Layout::Simple, .min_extents = n,
					    .max_extents = n, .devices = 24, .lengths = gen::Lengths::Mixed});
		s.devices = daxfmap::bpf::devices_for(s.files);
		// Native and flat walk the list: keep their total work bounded.
		s.queries_per_file = n > 100000 ? 400 : 4000;
		s.seed = n;
		check(s, ("simple, " + std::to_string(n) + " mixed-length extents").c_str());
	}
}

TEST_F(BpfDifferential, ManyDevicesAndHighOffsetsNeverWrapAndMatchNative)
{
	DiffSetup s;
	s.files = fmaps(23, 300, {.max_extents = 24, .max_strips = 12, .devices = 24,
				  .high_offsets = true});
	s.devices = daxfmap::bpf::devices_for(s.files);
	s.queries_per_file = 500;
	s.seed = 23;
	check(s, "24 devices, ranges ending just below 2^64");
}

TEST_F(BpfDifferential, DevicesTooSmallOrMissingGiveTheNativeErrorsInEveryStrategy)
{
	DiffSetup s;
	s.files = fmaps(29, 300, {.max_extents = 16, .max_strips = 8, .devices = 6});
	s.devices = daxfmap::bpf::devices_for(s.files);
	// Cut device 1 short by 2 MiB + 1, remove device 2, make device 3 tiny.
	s.devices.resize(std::max<size_t>(s.devices.size(), 4));
	s.devices[1] = s.devices[1] > 2 * MiB + 1 ? s.devices[1] - 2 * MiB - 1 : 1;
	s.devices[2] = 0;
	s.devices[3] = 4096;
	s.queries_per_file = 600;
	s.seed = 29;
	DiffReport rep = check(s, "devices too small or missing");
	EXPECT_GT(rep.by_status[DAXFMAP_E_NO_DEVICE], 0u);
	EXPECT_GT(rep.by_status[DAXFMAP_E_OUT_OF_DEVICE], 0u);
}

TEST_F(BpfDifferential, ZeroLengthAndUnknownFileAreTheSameErrorEverywhere)
{
	Fmap f = gen::random_fmap(31, {.layout = gen::Layout::Simple, .max_extents = 4, .devices = 1});
	for (Resolver *r : all()) {
		ASSERT_TRUE(r->set_devices(daxfmap::bpf::devices_for({f})));
		ASSERT_TRUE(r->upsert(7, f));
		(void)r->remove(4000);
		auto zero = r->resolve({.file_id = 7, .offset = 0, .length = 0});
		ASSERT_TRUE(zero);
		EXPECT_EQ(zero->status, DAXFMAP_E_BAD_LENGTH) << strategy_name(r->strategy());
		auto none = r->resolve({.file_id = 4000, .offset = 0, .length = 1});
		ASSERT_TRUE(none);
		EXPECT_EQ(none->status, DAXFMAP_E_NO_FILE) << strategy_name(r->strategy());
		auto past = r->resolve({.file_id = 7, .offset = gen::mapped_size(f), .length = 1});
		ASSERT_TRUE(past);
		EXPECT_EQ(past->status, DAXFMAP_E_PAST_END) << strategy_name(r->strategy());
		ASSERT_TRUE(r->remove(7));
		auto gone = r->resolve({.file_id = 7, .offset = 0, .length = 1});
		ASSERT_TRUE(gone);
		EXPECT_EQ(gone->status, DAXFMAP_E_NO_FILE) << strategy_name(r->strategy());
	}
}

TEST_F(BpfDifferential, FactsVectorsResolveInTheKernelThroughTheSingleQueryProgram)
{
	// nstrips 4, chunk 2 MiB, nbytes 24 MiB (FACTS.md).
	InterleavedExtent ie{.chunk_size = 2 * MiB, .nbytes = 24 * MiB};
	for (uint32_t k = 0; k < 4; k++)
		ie.strips.push_back({.device = 0, .offset = (10 + 8 * k) * MiB, .length = 6 * MiB});
	Fmap f;
	f.file_size = 24 * MiB;
	f.extents = InterleavedExtents{ie};
	struct Vec {
		uint64_t off, dev_off, len;
	} vectors[] = {
		{0, 10 * MiB, 2 * MiB},                       // strip 0 +0
		{4 * MiB, (10 + 16) * MiB, 2 * MiB},          // chunk 2, strip 2, +0
		{15 * MiB, (10 + 24) * MiB + 3 * MiB, 1 * MiB}, // chunk 7, strip 3, +3 MiB
	};
	for (Resolver *r : all()) {
		ASSERT_TRUE(r->set_devices(std::vector<uint64_t>{1ull << 30}));
		ASSERT_TRUE(r->upsert(1, f));
		for (const Vec &v : vectors) {
			auto got = r->resolve({.file_id = 1, .offset = v.off, .length = 64 * MiB});
			ASSERT_TRUE(got) << got.error().message();
			EXPECT_EQ(got->status, DAXFMAP_OK) << strategy_name(r->strategy());
			EXPECT_EQ(got->device_offset, v.dev_off) << strategy_name(r->strategy());
			EXPECT_EQ(got->length, v.len) << strategy_name(r->strategy());
		}
	}
}

TEST_F(BpfDifferential, ReplacingAFileChangesEveryStrategysAnswer)
{
	Fmap a, b;
	a.file_size = b.file_size = 4 * MiB;
	a.extents = SimpleExtents{{0, 0, 4 * MiB}};
	b.extents = SimpleExtents{{0, 8 * MiB, 4 * MiB}};
	for (Resolver *r : all()) {
		ASSERT_TRUE(r->set_devices(std::vector<uint64_t>{1ull << 30}));
		ASSERT_TRUE(r->upsert(3, a));
		EXPECT_EQ(r->resolve({3, 2 * MiB, 1})->device_offset, 2 * MiB);
		ASSERT_TRUE(r->upsert(3, b));
		EXPECT_EQ(r->resolve({3, 2 * MiB, 1})->device_offset, 10 * MiB)
			<< strategy_name(r->strategy());
	}
}

TEST_F(BpfDifferential, ChunkRunningPastATightStripIsOutOfExtentEverywhere)
{
	// One strip of 6 MiB holds all of nbytes = 6 MiB in 4 MiB chunks, so the
	// second chunk has only 2 MiB of strip behind it: V10 would map 4 MiB.
	Fmap f;
	f.file_size = 6 * MiB;
	f.extents = InterleavedExtents{{.chunk_size = 4 * MiB, .nbytes = 6 * MiB,
					.strips = {{.device = 0, .offset = 0, .length = 6 * MiB}}}};
	for (Resolver *r : all()) {
		ASSERT_TRUE(r->set_devices(std::vector<uint64_t>{1ull << 30}));
		auto u = r->upsert(5, f);
		ASSERT_TRUE(u) << strategy_name(r->strategy()) << ": " << u.error().message();
		auto over = r->resolve({.file_id = 5, .offset = 4 * MiB, .length = 4 * MiB});
		ASSERT_TRUE(over);
		EXPECT_EQ(over->status, DAXFMAP_E_OUT_OF_EXTENT) << strategy_name(r->strategy());
		auto one_over = r->resolve({.file_id = 5, .offset = 4 * MiB, .length = 2 * MiB + 1});
		ASSERT_TRUE(one_over);
		EXPECT_EQ(one_over->status, DAXFMAP_E_OUT_OF_EXTENT) << strategy_name(r->strategy());
		auto fits = r->resolve({.file_id = 5, .offset = 4 * MiB, .length = 2 * MiB});
		ASSERT_TRUE(fits);
		EXPECT_EQ(fits->status, DAXFMAP_OK) << strategy_name(r->strategy());
		EXPECT_EQ(fits->device_offset, 4 * MiB);
	}
}

TEST_F(BpfDifferential, ManyFilesInstalledInOneBatchAnswerLikeOneByOne)
{
	DiffSetup s;
	s.files = fmaps(37, 500, {.max_extents = 2, .max_strips = 16, .devices = 4});
	s.devices = daxfmap::bpf::devices_for(s.files);
	std::vector<Resolver::FileFmap> batch;
	for (size_t i = 0; i < s.files.size(); i++)
		batch.push_back({.file_id = 1000 + i, .fmap = &s.files[i]});
	for (Resolver *r : all()) {
		ASSERT_TRUE(r->set_devices(s.devices));
		auto u = r->upsert_many(batch);
		ASSERT_TRUE(u) << strategy_name(r->strategy()) << ": " << u.error().message();
	}
	for (size_t i = 0; i < s.files.size(); i += 7) {
		gen::QueryGen qg(s.files[i], i);
		for (int k = 0; k < 50; k++) {
			const gen::Query q = qg.next();
			const Query bq{.file_id = 1000 + i, .offset = q.offset, .length = q.length};
			const Resolution want = *get(Strategy::Native).resolve(bq);
			for (Strategy st : bpf_strategies())
				EXPECT_EQ(*get(st).resolve(bq), want) << strategy_name(st) << " file " << i;
		}
	}
	for (Resolver *r : all())
		for (size_t i = 0; i < s.files.size(); i++)
			ASSERT_TRUE(r->remove(1000 + i));
}

namespace {

// Simple extents of the given lengths (2 MiB units), packed on 3 devices.
Fmap uneven_simple(const std::vector<uint64_t> &units)
{
	SimpleExtents exts;
	std::vector<uint64_t> next(3, 0);
	uint64_t total = 0;
	for (size_t i = 0; i < units.size(); i++) {
		const uint32_t dev = uint32_t(i % 3);
		exts.push_back({dev, next[dev], units[i] * 2 * MiB});
		next[dev] += units[i] * 2 * MiB;
		total += units[i] * 2 * MiB;
	}
	Fmap f;
	f.file_size = total;
	f.extents = std::move(exts);
	return f;
}

} // namespace

TEST_F(BpfDifferential, BucketIndexOnVeryUnevenSimpleExtentsMatchesNative)
{
	DiffSetup s;
	// One 64 GiB extent among 2000 of 2 MiB; then at both ends.
	for (size_t at : {size_t(1000), size_t(0), size_t(2000)}) {
		std::vector<uint64_t> units(2001, 1);
		units[at] = 32768;
		s.files.push_back(uneven_simple(units));
	}
	// 2 and 4 MiB mixed: bucket boundaries both at and inside extents; a
	// total that fills the last bucket and one that does not.
	gen::Rng rng(41);
	for (uint32_t n : {9u, 10u, 33u, 1000u, 4096u, 4097u}) {
		std::vector<uint64_t> units(n);
		for (auto &u : units)
			u = 1 + rng() % 2;
		s.files.push_back(uneven_simple(units));
	}
	// Mostly 2 MiB with rare extents of up to 64 GiB, as the bench's.
	for (uint32_t i = 0; i < 30; i++)
		s.files.push_back(gen::random_fmap(rng, {.layout = gen::Layout::Simple,
							 .min_extents = 9, .max_extents = 5000,
							 .devices = 6, .lengths = gen::Lengths::Mixed,
							 .max_len_units = 1 + i % 4}));
	s.devices = daxfmap::bpf::devices_for(s.files);
	s.queries_per_file = 2000;
	s.seed = 41;
	DiffReport rep = check(s, "simple, uneven lengths, bucket index");
	EXPECT_GT(rep.by_status[DAXFMAP_OK], 50000u);
}

TEST_F(BpfDifferential, BucketIndexOnManyInterleavedExtentsMatchesNative)
{
	DiffSetup s;
	gen::Rng rng(43);
	for (uint32_t i = 0; i < 24; i++)
		s.files.push_back(gen::random_fmap(rng, {.layout = gen::Layout::Interleaved,
							 .min_extents = 9, .max_extents = 5000,
							 .max_strips = 1 + i % 6, .devices = 6,
							 .lengths = i % 2 ? gen::Lengths::Mixed
									  : gen::Lengths::UniformPow2}));
	s.devices = daxfmap::bpf::devices_for(s.files);
	s.queries_per_file = 2500;
	s.seed = 43;
	DiffReport rep = check(s, "interleaved, 9-5000 extents, bucket index");
	EXPECT_GT(rep.by_status[DAXFMAP_OK], 50000u);
}

TEST_F(BpfDifferential, QueriesAtEveryBucketBoundaryMatchNative)
{
	std::vector<Fmap> files;
	files.push_back(uneven_simple({1, 2, 1, 1, 3, 1, 1, 1, 1, 1}));
	{
		std::vector<uint64_t> units(3000, 1);
		units[1500] = 32768;
		units[7] = 5;
		files.push_back(uneven_simple(units));
	}
	gen::Rng rng(47);
	files.push_back(gen::random_fmap(rng, {.layout = gen::Layout::Interleaved, .min_extents = 200,
					       .max_extents = 200, .max_strips = 3,
					       .lengths = gen::Lengths::Mixed}));
	const std::vector<uint64_t> devices = daxfmap::bpf::devices_for(files);
	for (Resolver *r : all())
		ASSERT_TRUE(r->set_devices(devices));
	uint64_t compared = 0;
	for (size_t i = 0; i < files.size(); i++) {
		const Fmap &f = files[i];
		auto run = compile_digest(f);
		ASSERT_TRUE(run) << run.error().message();
		const uint32_t bshift1 = (run->file.shift >> 8) & 0xff;
		ASSERT_GT(bshift1, 0u) << "file " << i << " has no bucket index";
		const uint64_t total = gen::mapped_size(f);
		std::vector<uint64_t> offs;
		for (uint64_t x = 0; x < total + (1ull << (bshift1 - 1)); x += 1ull << (bshift1 - 1))
			for (uint64_t d : {uint64_t(0), uint64_t(1), uint64_t(4096)})
				for (uint64_t o : {x - d, x + d})
					if (o <= total + 1)
						offs.push_back(o);
		offs.push_back(total - 1);
		offs.push_back(total);
		// Hash holds 32 extents at most: native, flat and digest only.
		const Strategy held[] = {Strategy::Native, Strategy::Flat, Strategy::Digest};
		for (Strategy st : held) {
			auto u = get(st).upsert(2000 + i, f);
			ASSERT_TRUE(u) << strategy_name(st) << ": " << u.error().message();
		}
		for (uint64_t off : offs) {
			const Query q{.file_id = 2000 + i, .offset = off, .length = 3 * MiB};
			const Resolution want = *get(Strategy::Native).resolve(q);
			for (Strategy st : {Strategy::Flat, Strategy::Digest}) {
				EXPECT_EQ(*get(st).resolve(q), want)
					<< strategy_name(st) << " file " << i << " offset " << off;
				compared++;
			}
		}
		for (Strategy st : held)
			ASSERT_TRUE(get(st).remove(2000 + i));
	}
	std::cout << "[ diff     ] bucket boundaries: " << compared << " answers compared\n";
}

// The bucket words are read like every other pool entry: a reader racing a
// swap between two bucketed runs (their old runs' pool space reused at once)
// gets the old or the new answer, never a mix and never a stale give-up.
TEST_F(BpfDifferential, BucketedRunsSwappedUnderAReaderGiveTheOldOrTheNewAnswer)
{
	constexpr uint64_t kFile = 3000;
	Resolver &digest = get(Strategy::Digest), &native = get(Strategy::Native);
	for (gen::Layout layout : {gen::Layout::Simple, gen::Layout::Interleaved}) {
		const gen::FmapOptions o{.layout = layout, .min_extents = 300, .max_extents = 2000,
					 .max_strips = 3, .devices = 3, .lengths = gen::Lengths::Mixed};
		const Fmap a = gen::random_fmap(51, o), b = gen::random_fmap(52, o);
		ASSERT_TRUE(digest.set_devices(daxfmap::bpf::devices_for({a, b})));
		ASSERT_TRUE(native.set_devices(daxfmap::bpf::devices_for({a, b})));
		// Queries over both files' ranges, answered by native for each.
		std::vector<Query> qs;
		for (const Fmap *f : {&a, &b}) {
			gen::QueryGen qg(*f, 53);
			for (int k = 0; k < 1000; k++) {
				const gen::Query q = qg.next();
				qs.push_back({.file_id = kFile, .offset = q.offset, .length = q.length});
			}
		}
		std::vector<Resolution> want_a(qs.size()), want_b(qs.size());
		ASSERT_TRUE(native.upsert(kFile, a));
		ASSERT_TRUE(native.resolve_batch(qs, want_a));
		ASSERT_TRUE(native.upsert(kFile, b));
		ASSERT_TRUE(native.resolve_batch(qs, want_b));
		ASSERT_TRUE(digest.upsert(kFile, a));

		std::atomic<bool> done{false}, writer_failed{false};
		std::atomic<uint64_t> batches{0};
		std::thread writer([&] {
			while (batches.load() == 0)
				std::this_thread::yield();
			for (int i = 0; i < 3000 || batches.load() < 100; i++)
				if (!digest.upsert(kFile, i % 2 ? a : b)) {
					writer_failed = true;
					break;
				}
			done = true;
		});
		uint64_t reads = 0, torn = 0, stale = 0;
		std::vector<Resolution> got(qs.size());
		for (bool last = false; !last;) {
			last = done.load();
			auto ok = digest.resolve_batch(qs, got);
			if (!ok) {
				ADD_FAILURE() << ok.error().message();
				break;
			}
			for (size_t k = 0; k < qs.size(); k++) {
				reads++;
				stale += got[k].status == DAXFMAP_E_STALE;
				torn += got[k].status != DAXFMAP_E_STALE && got[k] != want_a[k] &&
					got[k] != want_b[k];
			}
			batches++;
		}
		writer.join();
		std::cout << "[ swap     ] digest, bucketed "
			  << (layout == gen::Layout::Simple ? "simple" : "interleaved") << " runs of "
			  << a.extent_count() << " and " << b.extent_count() << " extents: " << reads
			  << " answers, " << torn << " torn, " << stale << " stale\n";
		EXPECT_FALSE(writer_failed.load());
		EXPECT_EQ(torn, 0u);
		EXPECT_EQ(stale, 0u);
		EXPECT_TRUE(digest.remove(kFile));
		EXPECT_TRUE(native.remove(kFile));
	}
}

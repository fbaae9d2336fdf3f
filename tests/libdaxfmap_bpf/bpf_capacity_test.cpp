// SPDX-License-Identifier: GPL-2.0-only
// The digest strategy holds a 1,048,576-extent file beside many small files,
// answers like native for all of them, and reports the memory its maps take
// by the kernel's own accounting (fdinfo memlock).
#include <gtest/gtest.h>

#include <iostream>

#include "libdaxfmap_bpf/resolver.hpp"
#include "support/bpf_env.hpp"
#include "libdaxfmap_bpf/differential.hpp"
#include "libdaxfmap/fmap_gen.hpp"

using namespace daxfmap;
using namespace daxfmap::bpf;

namespace {

void report_memory(const Resolver &r, uint64_t extents, const char *what)
{
	uint64_t total = 0;
	for (const MapMemory &m : r.memory()) {
		std::cout << "[ memory   ] " << strategy_name(r.strategy()) << " " << m.name << ": "
			  << m.bytes << " bytes (" << m.max_entries << " x " << m.value_size << ")\n";
		total += m.bytes;
	}
	std::cout << "[ memory   ] " << strategy_name(r.strategy()) << " " << what << ": " << total
		  << " bytes of maps for " << extents << " extents held\n";
	::testing::Test::RecordProperty(std::string(strategy_name(r.strategy())) + "_map_bytes",
					std::to_string(total));
}

} // namespace

TEST(BpfCapacity, DigestHoldsAMillionExtentFileAndTwentyThousandFilesAtOnce)
{
	DAXFMAP_REQUIRE_BPF();
	constexpr uint32_t kSmall = 20000;
	auto digest = make_resolver(Strategy::Digest,
				    {.max_files = kSmall + 1, .pool_entries = (1u << 20) + 2 * kSmall * 40});
	ASSERT_TRUE(digest) << digest.error().message();
	auto native = make_resolver(Strategy::Native);
	ASSERT_TRUE(native);

	daxfmap::bpf::DiffSetup s;
	s.files.push_back(gen::random_fmap(77, {.layout = gen::Layout::Simple,
						.min_extents = 1u << 20, .max_extents = 1u << 20,
						.devices = 8}));
	gen::Rng rng(78);
	for (uint32_t i = 0; i < kSmall; i++)
		s.files.push_back(gen::random_fmap(rng, {.max_extents = 32, .max_strips = 8, .devices = 8}));
	s.devices = daxfmap::bpf::devices_for(s.files);
	s.queries_per_file = 20;
	s.seed = 79;
	uint64_t extents = 0;
	for (const Fmap &f : s.files)
		extents += f.range_count();

	auto rep = daxfmap::bpf::run_differential({native->get(), digest->get()}, s);
	for (const auto &f : rep.first_failures)
		ADD_FAILURE() << f;
	EXPECT_EQ(rep.mismatches, 0u);
	EXPECT_EQ(rep.refused_files, 0u);
	std::cout << "[ capacity ] digest: " << s.files.size() << " files, " << extents
		  << " extents and strips, " << rep.queries << " answers compared with native\n";
	report_memory(**digest, extents, "1M-extent file + 20000 files");
}

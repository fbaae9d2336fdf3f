// SPDX-License-Identifier: GPL-2.0-only
// `daxfmap bench --quick` as a smoke test of the harness: every scenario and
// strategy produces rows and files.  No timing is asserted: timings belong to
// the benchmark, not to tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "support/bpf_env.hpp"
#include "support/cli_fixture.hpp"

namespace daxfmap {
namespace {

using namespace daxfmap::testing;

class CliBench : public Cli {};

TEST_F(CliBench, QuickRunWritesRowsForEveryScenarioAndStrategyAndItsFiles)
{
	DAXFMAP_REQUIRE_BPF();
	const std::string out = path("bench");
	Outcome r = run({"bench", "--quick", "--quiet", "--extents", "1,32", "--out", out});
	ASSERT_EQ(r.code, 0) << r.err;
	EXPECT_CONTAINS(r.out, "resolve: ns_per_lookup");
	EXPECT_CONTAINS(r.out, "resolve: ns_per_empty_lookup");
	EXPECT_CONTAINS(r.out, "open: us_per_open");
	EXPECT_CONTAINS(r.out, "scaling: each curve's median");
	EXPECT_CONTAINS(r.out, "update: extents_per_s");
	EXPECT_CONTAINS(r.out, "memory: bytes_per_extent");

	auto j = parse(slurp(out + "/results.json"));
	EXPECT_FALSE(j["machine"]["cpu"].get<std::string>().empty());
	EXPECT_FALSE(j["scaling"].empty()) << "growth of every curve measured at 1 and 32 extents";
	std::set<std::string> seen;
	for (const auto &row : j["results"]) {
		seen.insert(row["scenario"].get<std::string>() + "/" + row["strategy"].get<std::string>());
		if (row.contains("median")) {
			EXPECT_GT(row["median"].get<double>(), 0) << row;
			EXPECT_GE(row["samples"].get<int>(), 1) << row;
		} else {
			// No value must say why (hash refusing 32 interleaved extents).
			EXPECT_TRUE(row.contains("note")) << row;
		}
		if (row["scenario"] == "resolve" && row.contains("median")) {
			EXPECT_GE(row["samples"].get<int>(), 5) << "medians of at least 5 repeats";
		}
		// Every open mode ran on a file of 1 extent (hash refuses only 32 strips),
		// which means its first page equalled the plain read's.
		if (row["scenario"] == "open" && row["layout"] == "simple" && row["extents"] == 1) {
			EXPECT_TRUE(row.contains("median")) << row;
			EXPECT_EQ(row["ratio_to"], "message") << row;
		}
	}
	for (const char *s : {"resolve/native", "resolve/hash", "resolve/flat", "resolve/digest",
			      "update/digest", "swap/hash", "memory/wire", "memory/digest", "open/plain",
			      "open/message", "open/bpf-hash", "open/bpf-flat", "open/bpf-digest"}) {
		EXPECT_TRUE(seen.count(s)) << "no rows for " << s;
	}
	EXPECT_CONTAINS(slurp(out + "/results.csv"), "scenario,strategy,layout,extents");
	if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
		EXPECT_TRUE(std::filesystem::exists(out + "/plots/resolve-simple-random.svg"));
	}
}

// On kernels without the series the fault scenario must not measure
// something else: it refuses, naming what the kernel lacks.  (On the daxfmap
// kernel the guests' bench-smoke runs it for real.)
TEST_F(CliBench, FaultOnAKernelWithoutFuseDaxFmapRefusesNamingIt)
{
	if (std::filesystem::exists("/sys/module/fuse/parameters/dax_fmap_max_reply"))
		GTEST_SKIP() << "this kernel has FUSE_DAX_FMAP: vm/run --kernel daxfmap --test bench-smoke runs the scenario";
	const std::string out = path("fault");
	Outcome r = run({"bench", "fault", "--quick", "--quiet", "--dax-device", "/dev/pmem0", "--out", out});
	EXPECT_EQ(r.code, 2) << r.out << r.err;
	EXPECT_CONTAINS(r.err, "fault: not run: kernel: expected the daxfmap kernel");
	EXPECT_CONTAINS(r.err, "this kernel has no FUSE_DAX_FMAP");
	EXPECT_FALSE(std::filesystem::exists(out + "/results.json")) << "no figures of anything else";
	EXPECT_EQ(r.out.find("us_per_pte_fault"), std::string::npos) << r.out;
}

TEST_F(CliBench, BadOptionsAreUsageErrors)
{
	EXPECT_EQ(run({"bench", "fault", "--fault-extents", "0"}).code, 2);
	EXPECT_EQ(run({"bench", "fault", "--fault-extents", ""}).code, 2);
	EXPECT_EQ(run({"bench", "--repeats", "3"}).code, 2);
	EXPECT_EQ(run({"bench", "--extents", "0"}).code, 2);
	EXPECT_EQ(run({"bench", "--strategies", "btree"}).code, 2);
	EXPECT_EQ(run({"bench", "nosuchscenario"}).code, 2);
}

TEST_F(CliBench, AnUnknownFaultDesignIsAUsageErrorNamingIt)
{
	Outcome r = run({"bench", "fault", "--fault-designs", "digest,btree"});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "--fault-designs: expected const, hash, flat, digest or fallback, found 'btree'");
}

} // namespace
} // namespace daxfmap

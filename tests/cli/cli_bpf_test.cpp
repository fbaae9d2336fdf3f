// SPDX-License-Identifier: GPL-2.0-only
// End-to-end tests of the BPF verbs: resolve --strategy, verify, bpf
// load/status/unload.  They run the real programs in the kernel.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "libdaxfmap_bpf/hook_ops.hpp"
#include "support/bpf_env.hpp"
#include "support/cli_fixture.hpp"
#include "support/legacy_ops_probe.hpp"
#include "support/private_bpffs.hpp"

namespace daxfmap {
namespace {

using namespace daxfmap::testing;

const std::string kStriped = kExamples + "interleaved-4x2M.yaml";

class CliBpf : public Cli {
protected:
	void SetUp() override
	{
		Cli::SetUp();
		DAXFMAP_REQUIRE_BPF();
		root_ = "/sys/fs/bpf/daxfmap-clitest-" + std::to_string(::getpid());
	}
	void TearDown() override
	{
		std::error_code ec;
		std::filesystem::remove_all(root_, ec);
		Cli::TearDown();
	}
	std::string root_;
};

TEST_F(CliBpf, ResolveGivesTheSameAnswerWithEveryStrategy)
{
	for (const char *off : {"0", "4M", "15M", "0x17fffff"}) {
		Outcome native = run({"resolve", "--json", kStriped, off, "64M"});
		ASSERT_EQ(native.code, 0) << native.err;
		auto want = parse(native.out);
		for (const char *s : {"hash", "flat", "digest"}) {
			Outcome r = run({"resolve", "--json", "--strategy", s, kStriped, off, "64M"});
			ASSERT_EQ(r.code, 0) << s << ": " << r.err;
			auto got = parse(r.out);
			EXPECT_EQ(got["strategy"], s);
			got.erase("strategy");
			auto expect = want;
			expect.erase("strategy");
			EXPECT_EQ(got, expect) << s << " at " << off;
		}
	}
}

TEST_F(CliBpf, ResolveAllTilesTheFileInTheKernel)
{
	Outcome native = run({"resolve", "--all", "--json", kStriped, "0"});
	Outcome digest = run({"resolve", "--all", "--json", "--strategy", "digest", kStriped, "0"});
	ASSERT_EQ(native.code, 0);
	ASSERT_EQ(digest.code, 0) << digest.err;
	auto a = parse(native.out), b = parse(digest.out);
	EXPECT_EQ(a["pieces"], b["pieces"]);
	EXPECT_EQ(b["pieces"].size(), 12u); // 24 MiB in 2 MiB chunks
}

TEST_F(CliBpf, ResolveNamesTheLimitWhenHashCannotHoldTheFmap)
{
	std::string yaml = "file:\n  path: big\n  size: 69206016\n  flags: 0\n  mode: 0644\n  uid: 0\n"
			   "  gid: 0\n  nextents: 33\n  simple_ext_list:\n";
	for (int i = 0; i < 33; i++)
		yaml += "  - devindex: 0\n    offset: " + std::to_string(uint64_t(i) * 4 << 20) +
			"\n    length: 0x200000\n";
	spit(path("big.yaml"), yaml);
	Outcome r = run({"resolve", "--profile", "extended", "--strategy", "hash", path("big.yaml"), "0"});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "at most 32 extents inline");
	EXPECT_CONTAINS(r.err, "E2BIG");
	Outcome d = run({"resolve", "--profile", "extended", "--strategy", "digest", path("big.yaml"), "64M"});
	EXPECT_EQ(d.code, 0) << d.err;
}

TEST_F(CliBpf, ResolveRejectsAnUnknownStrategy)
{
	Outcome r = run({"resolve", "--strategy", "btree", kStriped, "0"});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "btree");
}

TEST_F(CliBpf, VerifyFindsEveryStrategyInAgreementOnTheExamples)
{
	Outcome r = run({"verify", "--json", "--queries", "5000", kStriped, kExamples + "simple-multi.yaml",
			 kExamples + "multidev-extended.yaml"});
	ASSERT_EQ(r.code, 0) << r.out << r.err;
	auto j = parse(r.out);
	EXPECT_EQ(j["ok"], true);
	ASSERT_EQ(j["strategies"].size(), 4u);
	for (const auto &s : j["strategies"]) {
		EXPECT_EQ(s["answers"], 15000) << s["strategy"];
		EXPECT_EQ(s["mismatches"], 0) << s["strategy"];
		EXPECT_EQ(s["outside_device"], 0) << s["strategy"];
	}
	Outcome t = run({"verify", kStriped});
	EXPECT_EQ(t.code, 0);
	EXPECT_CONTAINS(t.out, "OK: every strategy agrees with native");
	EXPECT_CONTAINS(t.out, "digest");
}

TEST_F(CliBpf, VerifyRefusesAnInvalidFmapAndABadStrategyList)
{
	Outcome r = run({"verify", kExamples + "invalid-unaligned.yaml"});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.err, "INVALID");
	Outcome s = run({"verify", "--strategies", "hash,native", kStriped});
	EXPECT_EQ(s.code, 2);
	EXPECT_CONTAINS(s.err, "native");
}

TEST_F(CliBpf, LoadPinsRootOnlyObjectsThatStatusShowsAndUnloadRemoves)
{
	Outcome l = run({"bpf", "load", "--bpffs-root", root_, "--instance", "t", "--max-files", "128",
			 "--pool-entries", "4096"});
	ASSERT_EQ(l.code, 0) << l.err;
	EXPECT_CONTAINS(l.out, root_ + "/t/digest");

	Outcome s = run({"bpf", "status", "--json", "--bpffs-root", root_, "--instance", "t"});
	ASSERT_EQ(s.code, 0) << s.err;
	auto j = parse(s.out);
	ASSERT_EQ(j.size(), 1u);
	EXPECT_EQ(j[0]["state"], "loaded") << "bpf load recorded itself as the owner";
	Outcome text = run({"bpf", "status", "--bpffs-root", root_, "--instance", "t"});
	EXPECT_CONTAINS(text.out, "loaded by `daxfmap bpf load`");
	ASSERT_EQ(j[0]["strategies"].size(), 3u);
	for (const auto &st : j[0]["strategies"]) {
		EXPECT_EQ(st["mode"], "0700") << st["strategy"];
		EXPECT_EQ(st["programs"].size(), 3u);
		for (const auto &p : st["programs"]) {
			EXPECT_EQ(p["mode"], "0600");
			EXPECT_EQ(p["type"], "syscall");
			EXPECT_GT(p["verified_insns"].get<int>(), 0);
		}
		for (const auto &m : st["maps"]) {
			EXPECT_EQ(m["mode"], "0600");
			EXPECT_GT(m["memlock"].get<uint64_t>(), 0u);
		}
	}
	// bpftool sees the maps with their BTF types.
	const std::string dump = path("dump.json");
	const std::string cmd = "bpftool -j map dump pinned " + root_ + "/t/digest/daxfmap_devices > " + dump;
	ASSERT_EQ(std::system(cmd.c_str()), 0);
	auto d = parse(slurp(dump));
	ASSERT_EQ(d.size(), 24u);
	// "formatted" is bpftool's rendering through the map's BTF.
	EXPECT_TRUE(d[0]["formatted"]["value"].contains("size")) << d[0];

	Outcome again = run({"bpf", "load", "--bpffs-root", root_, "--instance", "t"});
	EXPECT_EQ(again.code, 2);
	EXPECT_CONTAINS(again.err, "already loaded");

	Outcome u = run({"bpf", "unload", "--bpffs-root", root_, "--instance", "t"});
	EXPECT_EQ(u.code, 0) << u.err;
	Outcome gone = run({"bpf", "status", "--bpffs-root", root_, "--instance", "t"});
	EXPECT_EQ(gone.code, 1);
	EXPECT_FALSE(std::filesystem::exists(root_ + "/t"));
}

TEST_F(CliBpf, UnloadUnregistersTheHookOpsADaemonRegisteredFromTheInstance)
{
	// A TCP congestion control registered the way daxfmapd registers its
	// fuse_dax_fmap_ops, pinned where it pins them (the host has no hook).
	auto probe = LegacyOpsProbe::register_as(probe_name("cli"));
	if (!probe)
		GTEST_SKIP() << "SKIPPED: no legacy struct_ops registration on this kernel: "
			     << probe.error().message();
	Outcome l = run({"bpf", "load", "--bpffs-root", root_, "--instance", "h", "--max-files", "16",
			 "--pool-entries", "256"});
	ASSERT_EQ(l.code, 0) << l.err;
	auto pinned = (*probe)->pin(root_ + "/h/" + bpf::kHookPin);
	ASSERT_TRUE(pinned) << pinned.error().message();
	ASSERT_TRUE((*probe)->registered());
	Outcome u = run({"bpf", "unload", "--bpffs-root", root_, "--instance", "h"});
	EXPECT_EQ(u.code, 0) << u.err;
	EXPECT_FALSE(std::filesystem::exists(root_ + "/h"));
	EXPECT_FALSE((*probe)->registered()) << (*probe)->name() << " left registered by bpf unload";
}

TEST_F(CliBpf, LoadRefusesAnInstanceNameThatIsNotADirectoryName)
{
	for (const char *bad : {"../x", "", "a/b", "..", "a.b"}) {
		Outcome r = run({"bpf", "load", "--bpffs-root", root_, "--instance", bad});
		EXPECT_EQ(r.code, 2) << bad;
		EXPECT_CONTAINS(r.err, "instance name");
	}
	EXPECT_FALSE(std::filesystem::exists(root_));
}

TEST_F(CliBpf, LoadIntoAPinRootAnotherUserOwnsIsRefusedNamingItsOwnerAndMode)
{
	PrivateBpffs bpffs;
	DAXFMAP_REQUIRE_PRIVATE_BPFFS(bpffs);
	const std::string root = bpffs.path() + "/daxfmap";
	ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
	ASSERT_EQ(::chown(root.c_str(), 65534, 65534), 0);
	Outcome l = run({"bpf", "load", "--bpffs-root", root, "--instance", "t", "--max-files", "16",
			 "--pool-entries", "1024"});
	EXPECT_EQ(l.code, 2);
	EXPECT_CONTAINS(l.err, "pin directory " + root);
	EXPECT_CONTAINS(l.err, "owner uid 65534, mode 0755");
	EXPECT_CONTAINS(l.err, "owned by root (uid 0) with mode 0700");
	EXPECT_FALSE(std::filesystem::exists(root + "/t"));
	Outcome s = run({"bpf", "status", "--all", "--bpffs-root", root});
	EXPECT_EQ(s.code, 2);
	EXPECT_CONTAINS(s.err, "owner uid 65534");
}

TEST_F(Cli, BpfStatusWhereNoBpffsIsMountedSaysSoInsteadOfNothingLoaded)
{
	const std::string plain = path("plain");
	ASSERT_EQ(::mkdir(plain.c_str(), 0755), 0);
	const std::string root = plain + "/daxfmap";
	Outcome all = run({"bpf", "status", "--all", "--bpffs-root", root});
	EXPECT_EQ(all.code, 2);
	EXPECT_CONTAINS(all.err, "bpffs not mounted at " + plain);
	EXPECT_CONTAINS(all.err, "mount -t bpf bpf " + plain);
	Outcome one = run({"bpf", "status", "--instance", "x", "--bpffs-root", root});
	EXPECT_NE(one.code, 0);
	EXPECT_CONTAINS(one.err, "bpffs not mounted at " + plain);
}

TEST_F(CliBpf, BpfVerbsHaveHelp)
{
	for (std::vector<std::string> args : {std::vector<std::string>{"verify", "--help"},
					      {"bpf", "--help"}, {"bpf", "load", "--help"},
					      {"bpf", "status", "--help"}, {"bpf", "unload", "--help"}}) {
		Outcome r = run(args);
		EXPECT_EQ(r.code, 0) << args[0];
		EXPECT_CONTAINS(r.out, "daxfmap");
	}
}

} // namespace
} // namespace daxfmap

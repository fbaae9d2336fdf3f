// SPDX-License-Identifier: GPL-2.0-only
// daxfmapd over the famfs sample (tests/data/famfs): a read-only mount whose
// getmap prints famfs's shadow YAML for every file, whose BPF strategies
// agree with native (daxfmap verify), and which refuses writes naming famfs.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "support/bpf_env.hpp"
#include "support/daxfmapd_fixture.hpp"

namespace daxfmap::testing {
namespace {

const std::string kFamfs = std::string(DAXFMAP_SOURCE_DIR) + "/tests/data/famfs";

class FamfsMount : public Daxfmapd {
protected:
	void SetUp() override
	{
		Daxfmapd::SetUp();
		if (IsSkipped())
			return;
		if (std::system("command -v xz >/dev/null") != 0)
			GTEST_SKIP() << "xz is not installed (scripts/setup installs xz-utils), test SKIPPED";
		dev_ = path("famfs.img");
		const std::string cmd = "xz -dc '" + kFamfs + "/famfs-small.img.xz' | dd of='" + dev_ +
					"' bs=1M conv=sparse status=none";
		ASSERT_EQ(std::system(cmd.c_str()), 0);
	}
};

TEST_F(FamfsMount, MountsReadOnlyAndGetmapPrintsFamfsShadowYamlForEveryFile)
{
	Outcome m = mount({"--no-bpf"});
	EXPECT_CONTAINS(m.out, "famfs media");
	EXPECT_CONTAINS(m.out, "READ-ONLY");
	size_t files = 0;
	const std::string root = kFamfs + "/famfs-small.shadow-yaml/root";
	for (const auto &e : std::filesystem::recursive_directory_iterator(root)) {
		if (!e.is_regular_file())
			continue;
		const std::string rel = std::filesystem::relative(e.path(), root).string();
		Outcome g = run({"getmap", in_mnt(rel)});
		EXPECT_EQ(g.code, 0) << rel << ": " << g.err;
		EXPECT_EQ(g.out, slurp(e.path().string())) << rel;
		files++;
	}
	EXPECT_EQ(files, 11u);
	EXPECT_NE(::mkdir(in_mnt("new").c_str(), 0755), 0);
	EXPECT_EQ(errno, EROFS);
	int fd = ::open(in_mnt("tiny.txt").c_str(), O_WRONLY);
	EXPECT_LT(fd, 0);
	EXPECT_EQ(errno, EROFS);
	auto media = daemon::get_xattr(mnt_, daemon::kXattrMedia);
	ASSERT_TRUE(media);
	EXPECT_EQ(*media, "famfs");
}

TEST_F(FamfsMount, BpfStrategiesResolveFamfsFilesAsNativeDoes)
{
	DAXFMAP_REQUIRE_BPF();
	mount({"--bpf-instance", "daxfmapd-famfs-" + std::to_string(::getpid())});
	Outcome v = run({"verify", mnt_, "--queries", "200"});
	EXPECT_EQ(v.code, 0) << v.out << v.err;
	EXPECT_CONTAINS(v.out, "11 files");
	EXPECT_CONTAINS(v.out, "OK");
}

} // namespace
} // namespace daxfmap::testing

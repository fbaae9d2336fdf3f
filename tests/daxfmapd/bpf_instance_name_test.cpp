// SPDX-License-Identifier: GPL-2.0-only
// The pinned BPF instance a mount gets is named after its mountpoint, and
// the name must be one bpffs accepts: no dots, no slashes, at most 64 bytes.
#include <gtest/gtest.h>

#include "daxfmapd/bpf_sync.hpp"
#include "libdaxfmap_bpf/pinned.hpp"

using namespace daxfmap;

TEST(DaemonBpfInstance, NameFromAMountpointWithDotsAndSlashesIsAValidBpffsName)
{
	for (const char *mnt : {"/var/tmp/daxfmap-demo.AbC123/mnt", "/mnt/a.b.c", "/", "/mnt/dax"}) {
		const std::string n = daemon::instance_for(mnt);
		EXPECT_TRUE(bpf::check_instance_name(n)) << mnt << " -> " << n;
		EXPECT_EQ(n.find('.'), std::string::npos) << n;
	}
}

TEST(DaemonBpfInstance, LongMountpointsKeepDistinctNamesWithinTheLimit)
{
	const std::string base = "/mnt/" + std::string(100, 'x');
	const std::string a = daemon::instance_for(base + "/a"), b = daemon::instance_for(base + "/b");
	EXPECT_LE(a.size(), 64u);
	EXPECT_NE(a, b);
	EXPECT_TRUE(bpf::check_instance_name(a));
}

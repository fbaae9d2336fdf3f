// SPDX-License-Identifier: GPL-2.0-only
// A file that grows while BPF resolves it and another thread reads it through
// the mount: every BPF answer is the answer of one of the fmaps the file had
// (the old or the new, never a mix), and the bytes written before the growth
// never move or change.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap_bpf/pinned.hpp"
#include "libdaxfmap_bpf/resolver.hpp"
#include "support/bpf_env.hpp"
#include "support/daxfmapd_fixture.hpp"

namespace daxfmap::testing {
namespace {

struct Answer {
	uint64_t offset;
	Resolution got;
};

TEST_F(Daxfmapd, AFileGrowingUnderBpfReadersIsResolvedByItsOldOrNewFmapNeverAMix)
{
	DAXFMAP_REQUIRE_BPF();
	mkfs("256M");
	const std::string inst = "daxfmapd-grow-" + std::to_string(::getpid());
	mount({"--bpf-instance", inst});
	const std::string f = in_mnt("f");
	ASSERT_EQ(run({"creat", f, "--size", "2M"}).code, 0);
	std::string first(2 * kMiB, '\0');
	for (size_t i = 0; i < first.size(); i++)
		first[i] = static_cast<char>(i * 131 + 7);
	int fd = ::open(f.c_str(), O_RDWR);
	ASSERT_GE(fd, 0) << std::strerror(errno);
	ASSERT_EQ(::pwrite(fd, first.data(), first.size(), 0), static_cast<ssize_t>(first.size()));
	struct stat st{};
	ASSERT_EQ(::fstat(fd, &st), 0);
	const uint64_t file_id = st.st_ino;

	std::vector<Fmap> fmaps{fmap_of(f)};
	std::atomic<bool> done{false};
	std::atomic<uint64_t> max_size{2 * kMiB};
	const std::vector<uint64_t> dev_sizes{256 * kMiB};

	std::vector<std::vector<Answer>> answers(bpf::bpf_strategies().size());
	std::vector<std::thread> readers;
	size_t k = 0;
	for (bpf::Strategy s : bpf::bpf_strategies()) {
		auto r = bpf::make_resolver(s, {.pin_dir = bpf::pin_dir(bpf::kDefaultBpffsRoot, inst, s),
						.reuse_pinned = true});
		ASSERT_TRUE(r.ok()) << r.error().message();
		readers.emplace_back([&, k, res = std::shared_ptr<bpf::Resolver>(std::move(*r))] {
			std::mt19937_64 rng(k + 1);
			while (!done.load()) {
				const uint64_t off = (rng() % (max_size.load() + 4 * kMiB)) & ~uint64_t{4095};
				auto a = res->resolve({.file_id = file_id, .offset = off, .length = 4096});
				if (a.ok())
					answers[k].push_back({off, *a});
			}
		});
		k++;
	}
	std::atomic<uint64_t> mount_reads{0}, mount_bad{0};
	std::thread mount_reader([&] {
		int rfd = ::open(f.c_str(), O_RDONLY);
		std::string got(first.size(), '\0');
		while (!done.load()) {
			if (::pread(rfd, got.data(), got.size(), 0) != static_cast<ssize_t>(got.size()) ||
			    got != first)
				mount_bad++;
			mount_reads++;
		}
		::close(rfd);
	});

	// 30 growths of 2 MiB, each after a spacer file took the unit behind
	// the file's end, so that every growth adds an extent (up to 31: hash
	// still holds it).
	for (int step = 0; step < 30; step++) {
		ASSERT_EQ(run({"creat", in_mnt("spacer" + std::to_string(step)), "--size", "2M"}).code, 0);
		const uint64_t size = 2 * kMiB * static_cast<uint64_t>(step + 2);
		ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0) << std::strerror(errno);
		max_size = size;
		fmaps.push_back(fmap_of(f));
		ASSERT_EQ(fmaps.back().file_size, size);
	}
	done = true;
	for (auto &t : readers)
		t.join();
	mount_reader.join();
	::close(fd);
	EXPECT_EQ(fmaps.back().simple().size(), 31u);

	for (size_t s = 0; s < answers.size(); s++) {
		uint64_t ok = 0, mixed = 0;
		for (const Answer &a : answers[s]) {
			bool belongs = false;
			for (const Fmap &fm : fmaps)
				belongs = belongs || resolve_native(fm, a.offset, 4096, dev_sizes) == a.got;
			ok += belongs;
			mixed += !belongs;
			if (!belongs && mixed == 1)
				ADD_FAILURE() << bpf::strategy_name(bpf::bpf_strategies()[s]) << ": offset "
					      << a.offset << " resolved to " << a.got
					      << ", which no fmap the file had gives";
		}
		EXPECT_EQ(mixed, 0u) << bpf::strategy_name(bpf::bpf_strategies()[s]);
		EXPECT_GT(ok, 100u) << bpf::strategy_name(bpf::bpf_strategies()[s]) << ": too few answers to mean anything";
	}
	EXPECT_GT(mount_reads.load(), 10u);
	EXPECT_EQ(mount_bad.load(), 0u) << "the first 2 MiB changed or moved while the file grew";
	// And the maps end with the last fmap.
	for (bpf::Strategy s : bpf::bpf_strategies()) {
		auto r = bpf::make_resolver(s, {.pin_dir = bpf::pin_dir(bpf::kDefaultBpffsRoot, inst, s),
						.reuse_pinned = true});
		ASSERT_TRUE(r.ok());
		for (uint64_t off = 0; off < fmaps.back().file_size; off += 2 * kMiB)
			EXPECT_EQ(*(*r)->resolve({.file_id = file_id, .offset = off, .length = 4096}),
				  resolve_native(fmaps.back(), off, 4096, dev_sizes))
				<< bpf::strategy_name(s) << " at " << off;
	}
}

TEST_F(Daxfmapd, AtMountEveryStrategyIsFilledWithTheFilesTheLogHolds)
{
	DAXFMAP_REQUIRE_BPF();
	mkfs("256M");
	const std::string inst = "daxfmapd-fill-" + std::to_string(::getpid());
	mount({"--no-bpf"});
	for (int i = 0; i < 20; i++)
		ASSERT_EQ(run({"creat", in_mnt("f" + std::to_string(i)), "--size", std::to_string(1 + i % 3) + "M"}).code, 0);
	ASSERT_EQ(run({"creat", in_mnt("striped"), "--size", "16M", "--strips", "4"}).code, 0);
	umount();
	Outcome m = mount({"--bpf-instance", inst});
	EXPECT_EQ(slurp(path("daemon.log")).find("refused"), std::string::npos) << slurp(path("daemon.log"));
	Outcome v = run({"verify", mnt_, "--queries", "100"});
	EXPECT_EQ(v.code, 0) << v.out << v.err;
	EXPECT_CONTAINS(v.out, "21 files");
	EXPECT_CONTAINS(v.out, "OK");
}

} // namespace
} // namespace daxfmap::testing

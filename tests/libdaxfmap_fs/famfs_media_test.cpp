// SPDX-License-Identifier: GPL-2.0-only
// famfs media, read-only: the sample device famfs's own code wrote
// (tests/data/famfs, with its ground truth) mounts with every file's size,
// mode, owner, runs and content as famfs wrote them, fsck counts what famfs's
// fsck counts, and each kind of bad famfs media gets a precise error without
// a crash and without a byte written.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap_fs/famfs_media.hpp"
#include "libdaxfmap_fs/filesystem.hpp"

namespace daxfmap::fs {
namespace {

const std::string kData = std::string(DAXFMAP_SOURCE_DIR) + "/tests/data/famfs";

std::string sh_out(const std::string &cmd)
{
	std::string out;
	if (FILE *p = popen(cmd.c_str(), "r")) {
		char buf[256];
		while (fgets(buf, sizeof(buf), p))
			out += buf;
		pclose(p);
	}
	return out;
}

std::string sha256_of(const std::string &path)
{
	const std::string out = sh_out("sha256sum '" + path + "'");
	return out.substr(0, out.find(' '));
}

// The superblock and the log (what a write would change first) and the
// file's size and mtime: a cheaper "nothing was written" than a whole hash.
std::string metadata_print(const std::string &path)
{
	struct stat st {};
	::stat(path.c_str(), &st);
	return sh_out("head -c 10485760 '" + path + "' | sha256sum") + std::to_string(st.st_size) + "@" +
	       std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

class FamfsSample : public ::testing::Test {
protected:
	static void SetUpTestSuite()
	{
		if (sh_out("command -v xz").empty())
			return;
		char dir[] = "/tmp/daxfmap-famfs-XXXXXX";
		if (!mkdtemp(dir))
			return;
		dir_ = dir;
		image_ = dir_ + "/famfs-small.img";
		const std::string cmd = "xz -dc '" + kData + "/famfs-small.img.xz' | dd of='" + image_ +
					"' bs=1M conv=sparse status=none";
		if (std::system(cmd.c_str()) != 0)
			image_.clear();
		std::ifstream in(kData + "/famfs-small.ground-truth.json");
		truth_ = nlohmann::json::parse(in);
	}
	static void TearDownTestSuite()
	{
		if (!dir_.empty())
			(void)std::system(("rm -rf '" + dir_ + "'").c_str());
	}
	void SetUp() override
	{
		if (image_.empty())
			GTEST_SKIP() << "xz is not installed (scripts/setup installs xz-utils): the famfs sample "
					"cannot be unpacked, test SKIPPED";
	}

	// A copy of the sample changed by `edit`, for one bad-media case.
	std::string corrupted(const std::string &name, const std::function<void(int fd)> &edit)
	{
		const std::string copy = dir_ + "/" + name + ".img";
		EXPECT_EQ(std::system(("cp --sparse=always '" + image_ + "' '" + copy + "'").c_str()), 0);
		int fd = ::open(copy.c_str(), O_RDWR);
		EXPECT_GE(fd, 0);
		edit(fd);
		::close(fd);
		return copy;
	}

	static std::unique_ptr<Device> open_ro(const std::string &path)
	{
		auto d = Device::open(path, DeviceOptions{.read_only = true});
		EXPECT_TRUE(d) << (d ? "" : d.error().message());
		return d ? std::move(*d) : nullptr;
	}

	static inline std::string dir_, image_;
	static inline nlohmann::json truth_;
};

constexpr off_t kEntry0 = 0x200000 + 48;
off_t entry_at(int i) { return kEntry0 + 544 * i; }

void put64(int fd, off_t at, uint64_t v) { ASSERT_EQ(::pwrite(fd, &v, 8, at), 8); }

// Rewrites entry i's CRC so that only the change made to it is wrong.
void fix_entry_crc(int fd, int i)
{
	uint8_t e[544];
	ASSERT_EQ(::pread(fd, e, sizeof(e), entry_at(i)), 544);
	const uint64_t crc = crc32(crc32(0, nullptr, 0), e, 536);
	put64(fd, entry_at(i) + 536, crc);
}

TEST_F(FamfsSample, MountsWithEveryFileAsFamfsWroteIt)
{
	auto fs = FileSystem::mount(open_ro(image_));
	ASSERT_TRUE(fs) << fs.error().message();
	EXPECT_EQ((*fs)->media(), Media::Famfs);
	EXPECT_TRUE((*fs)->read_only());
	EXPECT_FALSE((*fs)->replay_report().damage);
	const std::vector<uint64_t> dev_sizes{(*fs)->superblock().device_size};
	for (const auto &f : truth_["files"]) {
		const std::string path = f["path"];
		auto a = (*fs)->lookup_path(path);
		ASSERT_TRUE(a) << path << ": " << a.error().message();
		EXPECT_EQ(a->size, f["size"].get<uint64_t>()) << path;
		EXPECT_EQ(a->mode & 07777, f["mode"].get<uint32_t>()) << path;
		EXPECT_EQ(a->uid, f["uid"].get<uint32_t>()) << path;
		EXPECT_EQ(a->gid, f["gid"].get<uint32_t>()) << path;
		EXPECT_EQ(a->flags, f["flags"].get<uint32_t>()) << path;
		auto fmap = (*fs)->fmap(a->ino);
		ASSERT_TRUE(fmap);
		for (const auto &run : f["file_to_device_map"]) {
			const uint64_t off = run["file_offset"], dev = run["device_offset"], len = run["length"];
			for (uint64_t at : {off, off + len - 1}) {
				const Resolution r = resolve_native(*fmap, at, 1, dev_sizes);
				ASSERT_TRUE(r.ok()) << path << " at " << at;
				EXPECT_EQ(r.device_offset, dev + (at - off)) << path << " at " << at;
			}
		}
		std::vector<uint8_t> content(a->size);
		auto n = (*fs)->read(a->ino, 0, content);
		ASSERT_TRUE(n);
		ASSERT_EQ(*n, a->size);
		const std::string tmp = dir_ + "/content";
		std::ofstream(tmp, std::ios::binary).write(reinterpret_cast<const char *>(content.data()),
							    static_cast<std::streamsize>(content.size()));
		EXPECT_EQ(sha256_of(tmp), f["sha256"].get<std::string>()) << path;
	}
	for (const auto &d : truth_["directories"]) {
		auto a = (*fs)->lookup_path(d["path"].get<std::string>());
		ASSERT_TRUE(a) << d["path"];
		EXPECT_TRUE(a->is_dir());
		EXPECT_EQ(a->mode & 07777, d["mode"].get<uint32_t>());
	}
	auto w = (*fs)->create_file(kRootIno, "new", 0644, 0, 0, 0);
	ASSERT_FALSE(w);
	EXPECT_EQ(w.error().errnum, EROFS);
	EXPECT_NE(w.error().message().find("famfs media"), std::string::npos) << w.error().message();
	fs->reset();
	EXPECT_EQ(sha256_of(image_), sh_out("cut -d' ' -f1 '" + kData + "/famfs-small.img.sha256'").substr(0, 64))
		<< "nothing was written";
}

TEST_F(FamfsSample, FsckCountsWhatFamfsFsckCounts)
{
	auto dev = open_ro(image_);
	auto r = fsck(*dev);
	ASSERT_TRUE(r);
	EXPECT_TRUE(r->clean()) << (r->problems.empty() ? "" : r->problems[0].message());
	EXPECT_EQ(r->media, Media::Famfs);
	// famfs fsck: "17 of 15420 entries used, 0 bad log entries detected, 11 files, 6 directories".
	EXPECT_EQ(r->famfs_log_used, 17u);
	EXPECT_EQ(r->famfs_log_slots, 15420u);
	EXPECT_EQ(r->entries, 17u);
	EXPECT_EQ(r->files, 11u);
	EXPECT_EQ(r->dirs, 7u) << "six and the root";
	// "Allocated bytes: 186646528": famfs's bitmap counts the superblock and
	// the log as allocated too; daxfmap's data area starts after them.
	EXPECT_EQ(r->used_units * kUnit + (2 + 8) * (uint64_t{1} << 20), 186646528u);
	EXPECT_TRUE(r->warnings.empty());
}

struct BadCase {
	std::string name;
	std::function<void(int fd)> edit;
	bool mounts;          // read-only with the damage reported, else refused
	std::string expect;   // in the error or the damage
};

TEST_F(FamfsSample, EveryKindOfBadMediaGetsAPreciseErrorAndNothingIsWritten)
{
	const std::vector<BadCase> cases{
		{"magic", [](int fd) { put64(fd, 0, 0x87b282fe); }, false, "not a daxfmap file system"},
		{"version", [](int fd) { put64(fd, 8, 47); }, false, "famfs superblock.version"},
		{"sb-crc", [](int fd) { put64(fd, 96, 1); }, false, "famfs superblock.crc"},
		{"log-crc", [](int fd) { put64(fd, 0x200000 + 24, 1); }, false, "famfs log.crc"},
		{"entry-crc", [](int fd) { put64(fd, entry_at(9) + 536, 1); }, true, "log entry 9.crc"},
		{"seqnum",
		 [](int fd) {
			 put64(fd, entry_at(10), 99);
			 fix_entry_crc(fd, 10);
		 },
		 true, "log entry 10.seqnum"},
		{"past-device",
		 [](int fd) {
			 put64(fd, entry_at(11) + 136 + 8, uint64_t{4} << 30); // rootfile-4m at 4 GiB
			 fix_entry_crc(fd, 11);
		 },
		 true, "famfs log entry 11"},
		{"collision",
		 [](int fd) {
			 uint64_t other = 0;
			 ASSERT_EQ(::pread(fd, &other, 8, entry_at(6) + 136 + 8), 8); // dir1/file-2m's unit
			 put64(fd, entry_at(9) + 136 + 8, other);                      // tiny.txt onto it
			 fix_entry_crc(fd, 9);
		 },
		 true, "already in use"},
		{"dotdot",
		 [](int fd) {
			 ASSERT_EQ(::pwrite(fd, "../x.txt", 9, entry_at(9) + 40), 9);
			 fix_entry_crc(fd, 9);
		 },
		 true, "log entry 9.relpath"},
		{"no-nul",
		 [](int fd) {
			 const std::string eighty(80, 'p');
			 ASSERT_EQ(::pwrite(fd, eighty.data(), 80, entry_at(9) + 40), 80);
			 fix_entry_crc(fd, 9);
		 },
		 true, "a NUL within 80 bytes"},
		{"no-parent",
		 [](int fd) {
			 ASSERT_EQ(::pwrite(fd, "nodir/t.txt", 12, entry_at(9) + 40), 12);
			 fix_entry_crc(fd, 9);
		 },
		 true, "nodir"},
	};
	for (const auto &c : cases) {
		const std::string img = corrupted(c.name, c.edit);
		const std::string before = metadata_print(img);
		{
			auto fs = FileSystem::mount(open_ro(img));
			if (!c.mounts) {
				ASSERT_FALSE(fs) << c.name;
				EXPECT_NE(fs.error().message().find(c.expect), std::string::npos)
					<< c.name << ": " << fs.error().message();
			} else {
				ASSERT_TRUE(fs) << c.name << ": " << fs.error().message();
				ASSERT_TRUE((*fs)->replay_report().damage) << c.name;
				EXPECT_NE((*fs)->replay_report().damage->reason.find(c.expect), std::string::npos)
					<< c.name << ": " << (*fs)->replay_report().damage->reason;
				EXPECT_TRUE((*fs)->lookup_path("dir1/file-2m")) << c.name << ": entries before it served";
			}
		}
		auto dev = open_ro(img);
		auto r = fsck(*dev);
		ASSERT_TRUE(r) << c.name;
		EXPECT_FALSE(r->clean()) << c.name << ": fsck never calls damage clean";
		EXPECT_EQ(metadata_print(img), before) << c.name << ": nothing written";
		::unlink(img.c_str());
	}
}

TEST_F(FamfsSample, EntriesFamfsSkipsAreSkippedWithAWarning)
{
	const std::string img = corrupted("absolute", [](int fd) {
		ASSERT_EQ(::pwrite(fd, "/tiny.txt", 10, entry_at(9) + 40), 10);
		fix_entry_crc(fd, 9);
	});
	auto fs = FileSystem::mount(open_ro(img));
	ASSERT_TRUE(fs) << fs.error().message();
	EXPECT_FALSE((*fs)->replay_report().damage);
	ASSERT_EQ((*fs)->replay_report().warnings.size(), 1u);
	EXPECT_NE((*fs)->replay_report().warnings[0].find("an absolute path"), std::string::npos);
	EXPECT_FALSE((*fs)->lookup_path("tiny.txt"));
	EXPECT_TRUE((*fs)->lookup_path("private/odd-size.bin")) << "the entries after it are replayed";
}

} // namespace
} // namespace daxfmap::fs

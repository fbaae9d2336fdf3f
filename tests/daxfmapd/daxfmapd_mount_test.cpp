// SPDX-License-Identifier: GPL-2.0-only
// daxfmapd on real FUSE mounts: an emulated device in a scratch directory,
// mounted, used and unmounted through the daxfmap CLI.  Needs root and
// /dev/fuse; skips loudly without them.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "daxfmapd/client.hpp"
#include "daxfmapd/path_probe.hpp"
#include "libdaxfmap/fmap_text.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/wire_codec.hpp"
#include "libdaxfmap_bpf/pinned.hpp"
#include "libdaxfmap_bpf/resolver.hpp"
#include "support/bpf_env.hpp"
#include "support/cli_fixture.hpp"
#include "support/daxfmapd_fixture.hpp"

namespace daxfmap::testing {
namespace {

// A deterministic pattern that differs per file and per offset.
std::string make_pattern(uint64_t seed, uint64_t size)
{
	// pattern(), eight bytes at a time (fast enough under sanitizers).
	std::string s(size + 8, '\0');
	for (uint64_t i = 0; i < size; i += 8) {
		uint64_t x = (i / 8 + 1) * 0x9E3779B97F4A7C15ull ^ (seed * 0xD1B54A32D192ED03ull);
		x ^= x >> 29;
		std::memcpy(s.data() + i, &x, 8); // little-endian: byte k is x >> 8k
	}
	s.resize(size);
	return s;
}

// A whole file in one read (the fixture's slurp goes byte by byte).
std::string contents(const std::string &file)
{
	std::ifstream in(file, std::ios::binary | std::ios::ate);
	std::string s(static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
	in.seekg(0);
	in.read(s.data(), static_cast<std::streamsize>(s.size()));
	return s;
}

void write_file(const std::string &file, const std::string &data)
{
	int fd = ::open(file.c_str(), O_WRONLY);
	ASSERT_GE(fd, 0) << file << ": " << std::strerror(errno);
	ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()))
		<< file << ": " << std::strerror(errno);
	ASSERT_EQ(::close(fd), 0);
}

TEST_F(Daxfmapd, FilesOfEveryLayoutReadBackThroughTheMountAndFromTheDeviceAndAfterRemount)
{
	mkfs();
	mount();
	struct Case {
		std::string name;
		std::vector<std::string> args;
		uint64_t size;
	};
	const std::vector<Case> cases = {
		{"simple", {"--size", "8M"}, 8 * kMiB},
		{"simple-odd", {"--size", "5000001"}, 5000001},
		{"striped4", {"--size", "24M", "--strips", "4", "--chunk", "2M"}, 24 * kMiB},
		{"striped2x4M", {"--size", "10M", "--strips", "2", "--chunk", "4M"}, 10 * kMiB},
	};
	std::vector<Fmap> fmaps;
	for (size_t i = 0; i < cases.size(); i++) {
		std::vector<std::string> a{"creat", in_mnt(cases[i].name)};
		a.insert(a.end(), cases[i].args.begin(), cases[i].args.end());
		Outcome r = run(a);
		ASSERT_EQ(r.code, 0) << r.err;
		struct stat st;
		ASSERT_EQ(::stat(in_mnt(cases[i].name).c_str(), &st), 0);
		EXPECT_EQ(static_cast<uint64_t>(st.st_size), cases[i].size);
		write_file(in_mnt(cases[i].name), make_pattern(i, cases[i].size));
		fmaps.push_back(fmap_of(in_mnt(cases[i].name)));
		EXPECT_EQ(fmaps.back().is_simple(), cases[i].args.size() == 2) << cases[i].name;
	}
	for (size_t i = 0; i < cases.size(); i++) {
		const std::string want = make_pattern(i, cases[i].size);
		EXPECT_TRUE(contents(in_mnt(cases[i].name)) == want) << cases[i].name << " through the mount";
		EXPECT_TRUE(read_from_device(fmaps[i]) == want) << cases[i].name << " from the device";
	}
	umount();
	mount();
	for (size_t i = 0; i < cases.size(); i++) {
		EXPECT_EQ(fmap_of(in_mnt(cases[i].name)), fmaps[i]) << cases[i].name << " after replay";
		EXPECT_TRUE(contents(in_mnt(cases[i].name)) == make_pattern(i, cases[i].size))
			<< cases[i].name << " after remount";
	}
	umount();
	Outcome f = run({"fsck", dev_});
	EXPECT_EQ(f.code, 0) << f.out << f.err;
}

TEST_F(Daxfmapd, MmapReadsAndWritesThroughTheMount)
{
	mkfs();
	mount();
	ASSERT_EQ(run({"creat", in_mnt("m"), "--size", "6M", "--strips", "3"}).code, 0);
	const std::string want = make_pattern(7, 6 * kMiB);
	{
		int fd = ::open(in_mnt("m").c_str(), O_RDWR);
		ASSERT_GE(fd, 0) << std::strerror(errno);
		void *p = ::mmap(nullptr, want.size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
		std::memcpy(p, want.data(), want.size());
		ASSERT_EQ(::msync(p, want.size(), MS_SYNC), 0) << std::strerror(errno);
		ASSERT_EQ(::munmap(p, want.size()), 0);
		ASSERT_EQ(::close(fd), 0);
	}
	EXPECT_TRUE(read_from_device(fmap_of(in_mnt("m"))) == want) << "mmap stores reached the device";
	// And a fresh mapping reads what is there.
	umount();
	mount();
	int fd = ::open(in_mnt("m").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0);
	void *p = ::mmap(nullptr, want.size(), PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
	EXPECT_EQ(std::memcmp(p, want.data(), want.size()), 0);
	::munmap(p, want.size());
	::close(fd);
}

TEST_F(Daxfmapd, WritePastEndOfFileGrowsTheFileAndTheDeviceHoldsTheBytesAtTheNewFmap)
{
	mkfs();
	mount();
	ASSERT_EQ(run({"creat", in_mnt("f"), "--size", "2M"}).code, 0);
	ASSERT_EQ(run({"creat", in_mnt("g"), "--size", "2M"}).code, 0); // right after f
	int fd = ::open(in_mnt("f").c_str(), O_WRONLY);
	ASSERT_GE(fd, 0);
	const std::string data(4096, 'x');
	ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 2 * kMiB - 100), 4096) << std::strerror(errno);
	::close(fd);
	struct stat st;
	ASSERT_EQ(::stat(in_mnt("f").c_str(), &st), 0);
	EXPECT_EQ(st.st_size, static_cast<off_t>(2 * kMiB - 100 + 4096));
	EXPECT_EQ(st.st_blocks * 512, static_cast<off_t>(4 * kMiB)) << "one more 2 MiB unit";
	const Fmap fm = fmap_of(in_mnt("f"));
	EXPECT_EQ(fm.file_size, static_cast<uint64_t>(st.st_size));
	EXPECT_EQ(fm.simple().size(), 2u) << "g holds the unit after f's: a second extent";
	const std::string dev_bytes = read_from_device(fm);
	EXPECT_EQ(dev_bytes.substr(2 * kMiB - 100), data);
	umount();
	mount();
	EXPECT_EQ(fmap_of(in_mnt("f")), fm) << "the RESIZE entry replays";
	EXPECT_EQ(slurp(in_mnt("f")).substr(2 * kMiB - 100), data);
}

TEST_F(Daxfmapd, GetmapPrintsFamfsYamlAndJsonOfTheFilesFmap)
{
	mkfs();
	mount();
	ASSERT_EQ(run({"mkdir", in_mnt("dir")}).code, 0);
	ASSERT_EQ(run({"creat", in_mnt("dir/s"), "--size", "16M", "--strips", "4", "--mode", "0600"}).code, 0);
	Outcome y = run({"getmap", in_mnt("dir/s")});
	ASSERT_EQ(y.code, 0) << y.err;
	auto rec = parse_yaml(y.out);
	ASSERT_TRUE(rec.ok()) << rec.error().message() << "\n" << y.out;
	EXPECT_EQ(rec->path, "dir/s");
	EXPECT_EQ(rec->mode, 0600u);
	EXPECT_EQ(rec->fmap.file_size, 16 * kMiB);
	EXPECT_EQ(rec->fmap, fmap_of(in_mnt("dir/s")));
	EXPECT_CONTAINS(y.out, "striped_ext_list");
	Outcome j = run({"getmap", in_mnt("dir/s"), "--json"});
	ASSERT_EQ(j.code, 0) << j.err;
	auto rj = parse_json(j.out);
	ASSERT_TRUE(rj.ok()) << rj.error().message();
	EXPECT_EQ(rj->fmap, rec->fmap);
	// Not a daxfmap file: a clear error.
	Outcome bad = run({"getmap", path("dev.img")});
	EXPECT_NE(bad.code, 0);
	EXPECT_CONTAINS(bad.err, "not a file in a daxfmap mount");
}

TEST_F(Daxfmapd, MountSaysWhichPathIsInForceAndWhy)
{
	mkfs();
	Outcome r = mount({"--no-bpf"});
	// No stock kernel offers bit 43, and the daemon attaches no resolver
	// to a BPF hook (if the kernel has one): plain FUSE.
	const std::string expected = "plain";
	EXPECT_CONTAINS(r.out, "path in force: " + expected + " (");
	auto x = daemon::get_xattr(mnt_, daemon::kXattrPath);
	ASSERT_TRUE(x.ok()) << x.error().message();
	EXPECT_EQ(*x, expected);
	EXPECT_CONTAINS(r.out, "did not offer FUSE_DAX_FMAP");
	EXPECT_CONTAINS(r.out, "bpf: not in use (--no-bpf)");
}

TEST_F(Daxfmapd, StrategyIsCheckedAndWithoutTheKernelsHookTheMountKeepsItsPath)
{
	mkfs();
	Outcome bad = run({"mount", dev_, mnt_, "--strategy", "lru"});
	EXPECT_EQ(bad.code, 2) << bad.err;
	EXPECT_CONTAINS(bad.err, "--strategy");
	EXPECT_FALSE(listed_in_proc_mounts(mnt_));
	std::string why;
	if (daemon::find_bpf_hook("/sys/kernel/btf/vmlinux", why))
		GTEST_SKIP() << "this kernel has the BPF fmap hook: the guest test hook covers it";
	Outcome r = mount({"--strategy", "hash"});
	EXPECT_NE(r.out.find("path in force: "), std::string::npos) << r.out;
	EXPECT_EQ(r.out.find("path in force: bpf-hook"), std::string::npos) << r.out;
	EXPECT_EQ(r.out.find("daxfmapd: bpf-hook:"), std::string::npos) << r.out;
	EXPECT_FALSE(daemon::get_xattr(mnt_, daemon::kXattrHook).ok());
	Outcome j = run({"status", "--json", mnt_});
	ASSERT_EQ(j.code, 0) << j.err;
	EXPECT_CONTAINS(j.out, "\"hook\": null");
}

TEST_F(Daxfmapd, BpfMapsFollowCreatesAndDeletesAndVerifyMountpointAgrees)
{
	DAXFMAP_REQUIRE_BPF();
	mkfs();
	Outcome m = mount({"--bpf-instance", "daxfmapd-test-" + std::to_string(::getpid())});
	EXPECT_CONTAINS(m.out, "bpf: instance daxfmapd-test-");
	ASSERT_EQ(run({"creat", in_mnt("a"), "--size", "8M"}).code, 0);
	ASSERT_EQ(run({"creat", in_mnt("b"), "--size", "24M", "--strips", "4"}).code, 0);
	ASSERT_EQ(run({"creat", in_mnt("c"), "--size", "4M"}).code, 0);
	struct stat cst, ast;
	ASSERT_EQ(::stat(in_mnt("c").c_str(), &cst), 0);
	ASSERT_EQ(::stat(in_mnt("a").c_str(), &ast), 0);
	ASSERT_EQ(::unlink(in_mnt("c").c_str()), 0);
	// The daemon's maps, attached as they are: file id = st_ino; the deleted
	// file is gone from every strategy.
	const std::string inst = "daxfmapd-test-" + std::to_string(::getpid());
	const Fmap afmap = fmap_of(in_mnt("a"));
	for (bpf::Strategy s : bpf::bpf_strategies()) {
		auto r = bpf::make_resolver(s, {.pin_dir = bpf::pin_dir(bpf::kDefaultBpffsRoot, inst, s),
						.reuse_pinned = true});
		ASSERT_TRUE(r.ok()) << r.error().message();
		auto gone = (*r)->resolve({.file_id = cst.st_ino, .offset = 0, .length = 4096});
		ASSERT_TRUE(gone.ok());
		EXPECT_EQ(gone->status, DAXFMAP_E_NO_FILE) << bpf::strategy_name(s);
		auto here = (*r)->resolve({.file_id = ast.st_ino, .offset = 3 * kMiB, .length = kMiB});
		ASSERT_TRUE(here.ok());
		EXPECT_EQ(*here, resolve_native(afmap, 3 * kMiB, kMiB, std::vector<uint64_t>{256 * kMiB}))
			<< bpf::strategy_name(s);
	}
	Outcome v = run({"verify", mnt_, "--queries", "200"});
	EXPECT_EQ(v.code, 0) << v.out << v.err;
	EXPECT_CONTAINS(v.out, "2 files");
	EXPECT_CONTAINS(v.out, "OK");
	umount();
	struct stat st;
	EXPECT_NE(::stat(("/sys/fs/bpf/daxfmap/daxfmapd-test-" + std::to_string(::getpid())).c_str(), &st), 0)
		<< "the instance is unpinned at unmount";
}

TEST_F(Daxfmapd, KillNineDuringACopyLosesNoCompletedFileAndFsckIsClean)
{
	mkfs("512M");
	mount();
	const int kFiles = 40;
	const uint64_t kSize = 3 * kMiB + 12345;
	const std::string src = path("src");
	ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
	std::vector<std::string> args{"cp", "-v"};
	for (int i = 0; i < kFiles; i++) {
		const std::string f = src + "/f" + std::to_string(i);
		spit(f, make_pattern(100 + i, kSize));
		args.push_back(f);
	}
	args.push_back(mnt_);
	auto pid = daemon::get_xattr(mnt_, daemon::kXattrPid);
	ASSERT_TRUE(pid.ok());
	const pid_t daemon_pid = std::atoi(pid->c_str());

	// The copy runs in a child; it is killed under it after a few files.
	const std::string log = path("cp.out");
	pid_t cp = ::fork();
	if (cp == 0) {
		int fo = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = ::open(path("cp.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		::dup2(fo, 1);
		::dup2(fe, 2);
		std::vector<char *> argv{const_cast<char *>(kCli.c_str())};
		for (auto &a : args)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		::execv(kCli.c_str(), argv.data());
		::_exit(127);
	}
	ASSERT_GT(cp, 0);
	auto copied = [&] {
		std::vector<std::string> names;
		std::istringstream in(slurp(log));
		for (std::string line; std::getline(in, line);)
			if (line.rfind("copied ", 0) == 0)
				names.push_back(line.substr(line.rfind('/') + 1));
		return names;
	};
	while (copied().size() < 5) {
		int st;
		if (::waitpid(cp, &st, WNOHANG) == cp)
			FAIL() << "cp ended before the kill: " << slurp(path("cp.err"));
		::usleep(1000);
	}
	ASSERT_EQ(::kill(daemon_pid, SIGKILL), 0);
	int st = 0;
	ASSERT_EQ(::waitpid(cp, &st, 0), cp);
	const std::vector<std::string> done = copied();
	ASSERT_GE(done.size(), 5u);

	// The dead mount goes first (lazily: nobody answers it any more).
	Outcome u = run({"umount", "--lazy", mnt_});
	EXPECT_EQ(u.code, 0) << u.err;
	ASSERT_FALSE(listed_in_proc_mounts(mnt_));
	Outcome f = run({"fsck", dev_});
	EXPECT_EQ(f.code, 0) << f.out << f.err;
	mount();
	for (const std::string &name : done)
		EXPECT_TRUE(contents(in_mnt(name)) == make_pattern(100 + std::stoi(name.substr(1)), kSize))
			<< name << " was copied before the kill";
	// Anything else there was created: empty (not allocated yet) or its size.
	for (int i = 0; i < kFiles; i++) {
		struct stat fst;
		if (::stat(in_mnt("f" + std::to_string(i)).c_str(), &fst) == 0) {
			EXPECT_TRUE(fst.st_size == 0 || static_cast<uint64_t>(fst.st_size) == kSize) << i;
		}
	}
	umount();
	f = run({"fsck", dev_});
	EXPECT_EQ(f.code, 0) << f.out << f.err;
}

TEST_F(Daxfmapd, BadInputIsAClearErrorWithANonZeroExitAndOverwritesNothing)
{
	// Unknown device.
	Outcome r = run({"mount", path("nope.img"), mnt_});
	EXPECT_NE(r.code, 0);
	EXPECT_CONTAINS(r.err, "nope.img");
	EXPECT_FALSE(listed_in_proc_mounts(mnt_));
	r = run({"mkfs", path("nope.img")});
	EXPECT_NE(r.code, 0);
	EXPECT_CONTAINS(r.err, "nope.img");
	// Too small for the metadata.
	r = run({"mkfs", "emulated:" + path("small.img") + ":4M"});
	EXPECT_NE(r.code, 0);
	EXPECT_FALSE(r.err.empty());
	// Bad options.
	r = run({"mkfs", "emulated:" + path("x.img")});
	EXPECT_EQ(r.code, 2) << r.err;
	r = run({"mount", dev_, mnt_, "--message-path", "maybe"});
	EXPECT_EQ(r.code, 2) << r.err;
	r = run({"creat", in_mnt("f"), "--size", "lots"});
	EXPECT_EQ(r.code, 2) << r.err;

	mkfs("64M");
	const std::string image = contents(dev_);
	// An existing file system is not overwritten without --force.
	r = run({"mkfs", dev_});
	EXPECT_NE(r.code, 0);
	EXPECT_CONTAINS(r.err, "--force");
	r = run({"mkfs", "emulated:" + dev_ + ":64M"});
	EXPECT_NE(r.code, 0);
	EXPECT_TRUE(contents(dev_) == image) << "mkfs wrote over an existing file system";

	// A path too long, a full device.
	mount();
	r = run({"creat", in_mnt(std::string(300, 'n')), "--size", "2M"});
	EXPECT_NE(r.code, 0);
	EXPECT_CONTAINS(r.err, "File name too long");
	r = run({"creat", in_mnt("huge"), "--size", "1G"});
	EXPECT_NE(r.code, 0);
	EXPECT_CONTAINS(r.err, "data area");
	struct stat st;
	EXPECT_NE(::stat(in_mnt("huge").c_str(), &st), 0) << "a failed creat leaves nothing behind";
	r = run({"creat", in_mnt("bad-stripes"), "--size", "8M", "--strips", "2", "--chunk", "3M"});
	EXPECT_NE(r.code, 0);
	EXPECT_NE(::stat(in_mnt("bad-stripes").c_str(), &st), 0);
	umount();
	Outcome f = run({"fsck", dev_});
	EXPECT_EQ(f.code, 0) << f.out << f.err;

	// A corrupt superblock: mount refuses and writes nothing.
	{
		std::fstream io(dev_, std::ios::in | std::ios::out | std::ios::binary);
		io.seekp(0);
		io.write("garbage!", 8);
	}
	const std::string corrupt = contents(dev_);
	r = run({"mount", dev_, mnt_});
	EXPECT_NE(r.code, 0);
	EXPECT_CONTAINS(r.err, "daxfmapd:");
	EXPECT_FALSE(listed_in_proc_mounts(mnt_));
	EXPECT_TRUE(contents(dev_) == corrupt);
	f = run({"fsck", dev_});
	EXPECT_NE(f.code, 0);
}

TEST_F(Daxfmapd, CorruptLogEntryMountsReadOnlyFsckFailsAndNothingIsWrittenOverIt)
{
	mkfs("64M");
	mount();
	ASSERT_EQ(run({"creat", in_mnt("a"), "--size", "2M"}).code, 0);
	ASSERT_EQ(run({"creat", in_mnt("b"), "--size", "2M"}).code, 0);
	umount();
	// A payload byte of the first entry (the log starts at 2 MiB): valid
	// entries follow it, so this is corruption, not a torn append.
	{
		std::fstream io(dev_, std::ios::in | std::ios::out | std::ios::binary);
		io.seekg(2 * kMiB + 40);
		char c = 0;
		io.read(&c, 1);
		c = static_cast<char>(c ^ 0x5a);
		io.seekp(2 * kMiB + 40);
		io.write(&c, 1);
	}
	const std::string damaged = contents(dev_);
	Outcome f = run({"fsck", dev_});
	EXPECT_EQ(f.code, 1) << f.out << f.err;
	EXPECT_CONTAINS(f.out, "log damage");
	Outcome m = mount();
	EXPECT_CONTAINS(m.out, "READ-ONLY");
	EXPECT_CONTAINS(m.err, "log damage");
	Outcome c = run({"creat", in_mnt("c"), "--size", "2M"});
	EXPECT_NE(c.code, 0);
	umount();
	EXPECT_TRUE(contents(dev_) == damaged) << "the damaged log was written to";
}

// The mount's options field in /proc/mounts ("ro,nosuid,..."), or "".
std::string mount_options(const std::string &mnt)
{
	std::ifstream in("/proc/mounts");
	for (std::string line; std::getline(in, line);) {
		std::istringstream f(line);
		std::string src, point, type, options;
		f >> src >> point >> type >> options;
		if (point == mnt)
			return options;
	}
	return "";
}

void overwrite(const std::string &file, uint64_t at, const std::string &bytes)
{
	int fd = ::open(file.c_str(), O_WRONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at)),
		  static_cast<ssize_t>(bytes.size()));
	::close(fd);
}

TEST_F(Daxfmapd, CreateAllocateUnlinkCyclesFarBeyondTheLogKeepTheMountWritable)
{
	device_on_tmpfs();
	Outcome mk = run({"mkfs", "emulated:" + dev_ + ":128M", "--log-size", "2M"});
	ASSERT_EQ(mk.code, 0) << mk.err;
	mount();
	ASSERT_EQ(run({"creat", in_mnt("kept"), "--size", "2M"}).code, 0);
	// The cycle; before compaction a 2 MiB log was full after about
	// 5,400 of them.
	const std::string f = in_mnt("cycle");
	for (int i = 0; i < 6500; i++) {
		int fd = ::open(f.c_str(), O_CREAT | O_WRONLY, 0644);
		ASSERT_GE(fd, 0) << "round " << i << ": " << std::strerror(errno);
		const std::string v = "size=2M";
		ASSERT_EQ(::fsetxattr(fd, "user.daxfmap.allocate", v.data(), v.size(), 0), 0)
			<< "round " << i << ": " << std::strerror(errno);
		::close(fd);
		ASSERT_EQ(::unlink(f.c_str()), 0) << "round " << i << ": " << std::strerror(errno);
	}
	umount();
	Outcome fsck = run({"fsck", dev_});
	EXPECT_EQ(fsck.code, 0) << fsck.out << fsck.err;
	EXPECT_CONTAINS(fsck.out, "log: ");
	EXPECT_CONTAINS(fsck.out, "clean");
	Outcome j = run({"fsck", "--json", dev_});
	EXPECT_CONTAINS(j.out, "\"used_percent\"");
	mount();
	EXPECT_EQ(::access(in_mnt("kept").c_str(), F_OK), 0);
	EXPECT_NE(::access(f.c_str(), F_OK), 0);
}

TEST_F(Daxfmapd, FullLogIsNamedAsTheLogNotAFullDeviceAndRemovalsStillWork)
{
	device_on_tmpfs();
	Outcome mk = run({"mkfs", "emulated:" + dev_ + ":64M", "--log-size", "2M"});
	ASSERT_EQ(mk.code, 0) << mk.err;
	mount({"--no-bpf"});
	const std::string name(240, 'd');
	int n = 0;
	for (; n < 100000; n++)
		if (::mkdir(in_mnt(name + std::to_string(n)).c_str(), 0755) != 0)
			break;
	ASSERT_EQ(errno, ENOSPC) << "after " << n << " directories";
	Outcome c = run({"creat", in_mnt("f"), "--size", "2M"});
	EXPECT_NE(c.code, 0);
	EXPECT_CONTAINS(c.err, "metadata log is full");
	EXPECT_EQ(c.err.find("data area"), std::string::npos) << c.err;
	for (int i = 0; i < n; i++)
		ASSERT_EQ(::rmdir(in_mnt(name + std::to_string(i)).c_str()), 0) << i << ": " << std::strerror(errno);
	EXPECT_EQ(run({"creat", in_mnt("f"), "--size", "2M"}).code, 0);
}

TEST_F(Daxfmapd, UnlinkedOpenAndMappedFileKeepsItsBytesUntilClosedThenItsSpaceIsFreed)
{
	mkfs("32M"); // 13 data units
	mount({"--no-bpf"});
	ASSERT_EQ(run({"creat", in_mnt("old"), "--size", "4M"}).code, 0);
	const std::string mine = make_pattern(7, 4 * kMiB);
	write_file(in_mnt("old"), mine);
	int fd = ::open(in_mnt("old").c_str(), O_RDWR);
	ASSERT_GE(fd, 0);
	void *map = ::mmap(nullptr, 4 * kMiB, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(map, MAP_FAILED);
	ASSERT_EQ(::unlink(in_mnt("old").c_str()), 0);
	struct statvfs before{};
	ASSERT_EQ(::statvfs(mnt_.c_str(), &before), 0);
	// Every free unit to other files, each filled with its own bytes.
	int others = 0;
	for (;; others++) {
		const std::string f = in_mnt("new" + std::to_string(others));
		if (run({"creat", f, "--size", "2M"}).code != 0)
			break;
		write_file(f, make_pattern(100 + others, 2 * kMiB));
	}
	EXPECT_EQ(static_cast<uint64_t>(others), before.f_bfree) << "the unlinked file's units stayed taken";
	std::string got(4 * kMiB, '\0');
	ASSERT_EQ(::pread(fd, got.data(), got.size(), 0), static_cast<ssize_t>(got.size()))
		<< std::strerror(errno);
	EXPECT_TRUE(got == mine) << "read(2) on the unlinked file returned other bytes";
	EXPECT_EQ(std::memcmp(map, mine.data(), mine.size()), 0) << "its mapping shows other bytes";
	ASSERT_EQ(::munmap(map, 4 * kMiB), 0);
	ASSERT_EQ(::close(fd), 0);
	// The kernel forgets the inode once nothing holds it; the space returns.
	struct statvfs after{};
	for (int i = 0; i < 100; i++) {
		ASSERT_EQ(::statvfs(mnt_.c_str(), &after), 0);
		if (after.f_bfree >= 2)
			break;
		::usleep(20000);
	}
	EXPECT_EQ(after.f_bfree, 2u);
	EXPECT_EQ(run({"creat", in_mnt("reuse"), "--size", "4M"}).code, 0);
}

TEST_F(Daxfmapd, StatusSaysThePathTheCountersAndTheSpace)
{
	mkfs("64M");
	mount({"--no-bpf"});
	Outcome t = run({"status", mnt_});
	EXPECT_EQ(t.code, 0) << t.err;
	EXPECT_CONTAINS(t.out, "path in force");
	EXPECT_CONTAINS(t.out, "get_fmap answered");
	Outcome j = run({"status", "--json", mnt_});
	ASSERT_EQ(j.code, 0) << j.err;
	EXPECT_CONTAINS(j.out, "\"path\": \"plain\"");
	EXPECT_CONTAINS(j.out, "\"get_fmap\": 0");
	EXPECT_CONTAINS(j.out, "\"log_half\": 4194304");
	Outcome bad = run({"status", path("")});
	EXPECT_EQ(bad.code, 2);
	EXPECT_CONTAINS(bad.err, "daxfmap mount");
}

TEST_F(Daxfmapd, RandomBytesOverTheLogAreDamageNotAnEmptyFileSystem)
{
	mkfs("64M");
	mount();
	ASSERT_EQ(run({"creat", in_mnt("a"), "--size", "2M"}).code, 0);
	umount();
	// dd if=/dev/urandom of=IMG bs=1M seek=2 count=8 conv=notrunc
	std::string junk(8 * kMiB, '\0');
	uint64_t x = 0x243F6A8885A308D3ull;
	for (auto &c : junk) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		c = static_cast<char>(x);
	}
	overwrite(dev_, 2 * kMiB, junk);
	Outcome f = run({"fsck", dev_});
	EXPECT_EQ(f.code, 1) << f.out << f.err;
	EXPECT_CONTAINS(f.out, "NOT CLEAN");
	Outcome m = mount();
	EXPECT_CONTAINS(m.out, "READ-ONLY");
	EXPECT_CONTAINS(mount_options(mnt_), "ro");
	EXPECT_NE(run({"creat", in_mnt("b"), "--size", "2M"}).code, 0);
}

TEST_F(Daxfmapd, StrayByteAtTheLogsEndIsNotCleanUntilRepairedAndThenCreatesWork)
{
	mkfs("64M");
	mount();
	ASSERT_EQ(run({"creat", in_mnt("a"), "--size", "2M"}).code, 0);
	umount();
	// The last byte of the live (first) half of the default 8 MiB log.
	overwrite(dev_, 2 * kMiB + 4 * kMiB - 1, "\x01");
	Outcome f = run({"fsck", dev_});
	EXPECT_EQ(f.code, 1) << f.out;
	EXPECT_CONTAINS(f.out, "past the committed end");
	Outcome r = run({"fsck", "--repair", dev_});
	EXPECT_EQ(r.code, 0) << r.out << r.err;
	EXPECT_CONTAINS(r.out, "zeroed");
	Outcome m = mount();
	EXPECT_EQ(m.out.find("READ-ONLY"), std::string::npos) << m.out;
	EXPECT_EQ(run({"creat", in_mnt("b"), "--size", "2M"}).code, 0);
	EXPECT_EQ(::access(in_mnt("a").c_str(), F_OK), 0);
}

TEST_F(Daxfmapd, ReadOnlyMountIsRoInProcMountsAndRefusedBesideAWriter)
{
	mkfs("64M");
	mount();
	const std::string ro_mnt = path("ro");
	ASSERT_EQ(::mkdir(ro_mnt.c_str(), 0755), 0);
	Outcome beside = run({"mount", "--read-only", dev_, ro_mnt});
	EXPECT_NE(beside.code, 0);
	EXPECT_CONTAINS(beside.err, "read-write");
	EXPECT_FALSE(listed_in_proc_mounts(ro_mnt));
	EXPECT_EQ(mount_options(mnt_).rfind("rw", 0), 0u) << mount_options(mnt_);
	umount();
	mount({"--read-only"});
	EXPECT_EQ(mount_options(mnt_).rfind("ro", 0), 0u) << mount_options(mnt_);
}

TEST_F(Daxfmapd, TimesAreLoggedNeverSilentlyIgnored)
{
	mkfs("64M");
	mount();
	ASSERT_EQ(run({"creat", in_mnt("f"), "--size", "2M"}).code, 0);
	const std::string f = in_mnt("f");
	const timespec set[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT}, {.tv_sec = 86400, .tv_nsec = 5}};
	ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), set, 0), 0) << std::strerror(errno);
	struct stat st{};
	ASSERT_EQ(::stat(f.c_str(), &st), 0);
	EXPECT_EQ(st.st_mtim.tv_sec, 86400);
	const timespec atime_only[2] = {{.tv_sec = 1, .tv_nsec = 0}, {.tv_sec = 0, .tv_nsec = UTIME_OMIT}};
	EXPECT_NE(::utimensat(AT_FDCWD, f.c_str(), atime_only, 0), 0) << "atime is not kept";
	EXPECT_EQ(errno, EPERM);
	write_file(f, "bytes");
	ASSERT_EQ(::stat(f.c_str(), &st), 0);
	const time_t written = st.st_mtim.tv_sec;
	EXPECT_GT(written, 86400) << "a write moves mtime";
	umount();
	mount();
	ASSERT_EQ(::stat(f.c_str(), &st), 0);
	EXPECT_EQ(st.st_mtim.tv_sec, written) << "and it was logged at close";
}

} // namespace
} // namespace daxfmap::testing

// SPDX-License-Identifier: GPL-2.0-only
// The FUSE peer against the real daxfmapd, over a socketpair handed to it as
// its FUSE fd: the FUSE_DAX_FMAP message path end to end, without a kernel
// that offers it.  Needs no root and no FUSE mount (an emulated device file,
// --no-bpf); skipped, loudly, when daxfmapd is not built.
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "libdaxfmap/native_resolver.hpp"
#include "support/fuse_peer.hpp"

namespace daxfmap::peer {
namespace {

constexpr uint64_t MiB = uint64_t{1} << 20;

#ifdef DAXFMAPD_PATH
constexpr const char *kDaemon = DAXFMAPD_PATH;
#else
constexpr const char *kDaemon = nullptr;
#endif

std::string slurp(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `argv` with stdout and stderr appended to `log`; returns the pid.
// Descriptors without close-on-exec (the server's end of the socketpair)
// are inherited.
pid_t spawn(const std::vector<std::string> &argv, const std::string &log)
{
	pid_t pid = ::fork();
	if (pid == 0) {
		int fo = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
		int fi = ::open("/dev/null", O_RDONLY);
		if (fo < 0 || fi < 0 || ::dup2(fi, 0) < 0 || ::dup2(fo, 1) < 0 || ::dup2(fo, 2) < 0)
			::_exit(127);
		std::vector<char *> args;
		for (const auto &a : argv)
			args.push_back(const_cast<char *>(a.c_str()));
		args.push_back(nullptr);
		::execv(args[0], args.data());
		::_exit(127);
	}
	return pid;
}

// The exit status, or -1 if it has not exited within `timeout` (then it is
// killed).
int reap(pid_t pid, std::chrono::milliseconds timeout)
{
	const auto end = std::chrono::steady_clock::now() + timeout;
	int status = 0;
	for (;;) {
		pid_t r = ::waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		if (std::chrono::steady_clock::now() > end) {
			::kill(pid, SIGKILL);
			::waitpid(pid, &status, 0);
			return -1;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
}

class PeerDaemonTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		if (!kDaemon)
			GTEST_SKIP() << "daxfmapd is not built (no daxfmapd target): the message-path "
					"peer test against the real daemon is SKIPPED";
		const char *tmp = std::getenv("TMPDIR");
		std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/daxfmap-peer-XXXXXX";
		ASSERT_NE(::mkdtemp(templ.data()), nullptr) << std::strerror(errno);
		dir_ = templ;
		device_ = dir_ + "/dev.img";
		log_ = dir_ + "/log";
		// A sparse 64 MiB emulated device, made a file system by the CLI.
		int fd = ::open(device_.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
		ASSERT_GE(fd, 0) << std::strerror(errno);
		ASSERT_EQ(::ftruncate(fd, off_t(64 * MiB)), 0) << std::strerror(errno);
		::close(fd);
		int rc = reap(spawn({DAXFMAP_CLI_PATH, "mkfs", device_}, log_),
			      std::chrono::milliseconds(30000));
		ASSERT_EQ(rc, 0) << "daxfmap mkfs " << device_ << ":\n" << slurp(log_);
	}

	void TearDown() override
	{
		stop();
		std::error_code ec;
		if (!dir_.empty())
			std::filesystem::remove_all(dir_, ec);
	}

	// Starts daxfmapd on the device with a fresh peer.
	void start(const std::vector<std::string> &extra = {})
	{
		auto p = FusePeer::make_pair();
		ASSERT_TRUE(p) << p.error().message();
		std::vector<std::string> argv{kDaemon, device_, "--fuse-fd", std::to_string(p->second),
					      "--no-bpf"};
		// The peer opens no device: the image file may serve the message path.
		if (std::find(extra.begin(), extra.end(), "--message-path") == extra.end())
			argv.insert(argv.end(), {"--message-path", "any-device"});
		argv.insert(argv.end(), extra.begin(), extra.end());
		pid_ = spawn(argv, log_);
		::close(p->second);
		ASSERT_GT(pid_, 0);
		peer_.emplace(std::move(p->first));
	}

	// DESTROY, hang up, and expect a clean exit.
	void stop(bool expect_clean = false)
	{
		if (pid_ <= 0)
			return;
		if (peer_ && expect_clean) {
			auto d = peer_->destroy();
			EXPECT_TRUE(d) << d.error().message() << "\n" << slurp(log_);
		}
		if (peer_)
			peer_->close();
		peer_.reset();
		int rc = reap(pid_, std::chrono::milliseconds(10000));
		pid_ = -1;
		if (expect_clean) {
			EXPECT_EQ(rc, 0) << "daxfmapd did not exit cleanly after DESTROY and hang-up:\n"
					 << slurp(log_);
		}
	}

	// A file of `size` bytes with its space ("size=S[,strips=N,chunk=C]"),
	// created through the protocol as `daxfmap creat` does through a mount.
	uint64_t make_file(const std::string &name, const std::string &spec)
	{
		auto c = peer_->create(FUSE_ROOT_ID, name, S_IFREG | 0644, O_RDWR | O_CREAT | O_EXCL);
		EXPECT_TRUE(c) << c.error().message() << "\n" << slurp(log_);
		if (!c)
			return 0;
		auto x = peer_->setxattr(c->first.nodeid(), "user.daxfmap.allocate",
					 std::span(reinterpret_cast<const uint8_t *>(spec.data()), spec.size()));
		EXPECT_TRUE(x) << x.error().message() << "\n" << slurp(log_);
		EXPECT_TRUE(peer_->release(c->first.nodeid(), c->second.fh, O_RDWR));
		return c->first.nodeid();
	}

	std::string dir_, device_, log_;
	pid_t pid_ = -1;
	std::optional<FusePeer> peer_;
};

TEST_F(PeerDaemonTest, MessagePathNegotiatesAndServesTheFileSystemsFmaps)
{
	ASSERT_NO_FATAL_FAILURE(start());
	auto init = peer_->init(true);
	ASSERT_TRUE(init) << init.error().message() << "\n" << slurp(log_);
	EXPECT_TRUE(init->dax_fmap) << "daxfmapd did not accept FUSE_DAX_FMAP:\n" << slurp(log_);
	EXPECT_EQ(init->major, 7u);
	// The daemon reports the path once its INIT reply is out: by now, or soon.
	std::string log;
	for (int i = 0; i < 200 && (log = slurp(log_)).find("path in force") == std::string::npos; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	EXPECT_NE(log.find("path in force: message"), std::string::npos) << log;

	const uint64_t simple = make_file("simple", "size=6291456");
	const uint64_t striped = make_file("striped", "size=16777216,strips=4,chunk=2097152");
	ASSERT_TRUE(simple && striped);

	// Data written through FUSE WRITE lands where the fmap says.
	Bytes pattern(96 * 1024);
	for (size_t i = 0; i < pattern.size(); ++i)
		pattern[i] = uint8_t(i * 7 + i / 4096);
	const uint64_t at = 2 * MiB - 32 * 1024; // across a 2 MiB boundary
	for (const char *name : {"simple", "striped"}) {
		SCOPED_TRACE(name);
		auto e = peer_->lookup(FUSE_ROOT_ID, name);
		ASSERT_TRUE(e) << e.error().message();
		auto o = peer_->open(e->nodeid(), O_RDWR);
		ASSERT_TRUE(o) << o.error().message();
		auto w = peer_->write(e->nodeid(), o->fh, at, pattern);
		ASSERT_TRUE(w) << w.error().message() << "\n" << slurp(log_);
		EXPECT_EQ(*w, pattern.size());
		auto r = peer_->read(e->nodeid(), o->fh, at, uint32_t(pattern.size()));
		ASSERT_TRUE(r) << r.error().message();
		EXPECT_EQ(*r, pattern);
		ASSERT_TRUE(peer_->release(e->nodeid(), o->fh, O_RDWR));
	}

	int dev = ::open(device_.c_str(), O_RDONLY);
	ASSERT_GE(dev, 0) << std::strerror(errno);
	std::map<std::string, Bytes> served;
	for (const char *name : {"simple", "striped"}) {
		SCOPED_TRACE(name);
		auto f = peer_->open_with_fmap(FUSE_ROOT_ID, name);
		ASSERT_TRUE(f) << f.error().message() << "\n" << slurp(log_);
		served[name] = f->fmap_bytes;
		// The file system's own view of the fmap, through its xattr.
		auto x = peer_->getxattr(f->entry.nodeid(), "user.daxfmap.fmap");
		ASSERT_TRUE(x) << x.error().message();
		EXPECT_EQ(f->fmap_bytes, *x);
		if (std::string(name) == "simple") {
			EXPECT_EQ(f->entry.nodeid(), simple);
			EXPECT_TRUE(f->fmap.is_simple());
			EXPECT_EQ(f->fmap.file_size, 6 * MiB);
		} else {
			EXPECT_EQ(f->entry.nodeid(), striped);
			ASSERT_FALSE(f->fmap.is_simple());
			ASSERT_EQ(f->fmap.interleaved().size(), 1u);
			EXPECT_EQ(f->fmap.interleaved()[0].strips.size(), 4u);
			EXPECT_EQ(f->fmap.interleaved()[0].chunk_size, 2 * MiB);
			EXPECT_EQ(f->fmap.file_size, 16 * MiB);
		}
		ASSERT_EQ(f->devices.size(), 1u);
		EXPECT_EQ(f->devices[0].index, 0u);
		EXPECT_FALSE(f->devices[0].reply.name.empty());

		// Resolve as the kernel would and read the device directly.
		for (uint64_t off = 0; off < pattern.size();) {
			Resolution res = resolve_native(f->fmap, at + off, pattern.size() - off);
			ASSERT_TRUE(res.ok()) << res;
			Bytes got(res.length);
			ASSERT_EQ(::pread(dev, got.data(), got.size(), off_t(res.device_offset)),
				  ssize_t(got.size()));
			ASSERT_TRUE(std::equal(got.begin(), got.end(), pattern.begin() + off))
				<< "device bytes at " << hex(res.device_offset) << " differ";
			off += res.length;
		}
		ASSERT_TRUE(peer_->release(f->entry.nodeid(), f->fh));
	}
	::close(dev);

	// A file without its space has no fmap V10 accepts: the open fails with
	// an errno, and the protocol is intact.
	auto c = peer_->create(FUSE_ROOT_ID, "empty", S_IFREG | 0644, O_RDWR | O_CREAT | O_EXCL);
	ASSERT_TRUE(c) << c.error().message();
	ASSERT_TRUE(peer_->release(c->first.nodeid(), c->second.fh, O_RDWR));
	auto empty = peer_->open_with_fmap(FUSE_ROOT_ID, "empty");
	ASSERT_FALSE(empty);
	EXPECT_FALSE(is_violation(empty.error())) << empty.error().message();

	// GET_DAXDEV: exactly 280 bytes for device 0, an error for one never named.
	auto d0 = peer_->get_daxdev(0);
	ASSERT_TRUE(d0) << d0.error().message();
	EXPECT_EQ(d0->error, 0);
	EXPECT_EQ(d0->payload.size(), 280u);
	EXPECT_TRUE(decode_daxdev(d0->payload));
	auto d7 = peer_->get_daxdev(7);
	ASSERT_TRUE(d7) << d7.error().message();
	EXPECT_LT(d7->error, 0) << "GET_DAXDEV 7 was answered";
	EXPECT_TRUE(d7->payload.empty());
	stop(true);

	// A new daemon rebuilds every fmap from the log: the same replies.
	ASSERT_NO_FATAL_FAILURE(start());
	auto again = peer_->init(true);
	ASSERT_TRUE(again && again->dax_fmap) << slurp(log_);
	for (const auto &[name, bytes] : served) {
		auto f = peer_->open_with_fmap(FUSE_ROOT_ID, name);
		ASSERT_TRUE(f) << name << ": " << f.error().message() << "\n" << slurp(log_);
		EXPECT_EQ(f->fmap_bytes, bytes) << name << ": fmap changed across a restart";
		EXPECT_TRUE(peer_->release(f->entry.nodeid(), f->fh));
	}
	stop(true);
}

TEST_F(PeerDaemonTest, WithoutBit43GetFmapIsEnosysAndFilesSurviveARestart)
{
	ASSERT_NO_FATAL_FAILURE(start());
	auto init = peer_->init(true);
	ASSERT_TRUE(init) << init.error().message() << "\n" << slurp(log_);
	const uint64_t ino = make_file("kept", "size=4194304");
	ASSERT_NE(ino, 0u);
	auto before = peer_->getxattr(ino, "user.daxfmap.fmap");
	ASSERT_TRUE(before) << before.error().message();
	stop(true);

	// A new daemon replays the log; this kernel does not offer bit 43.
	ASSERT_NO_FATAL_FAILURE(start());
	auto plain = peer_->init(false);
	ASSERT_TRUE(plain) << plain.error().message() << "\n" << slurp(log_);
	EXPECT_FALSE(plain->dax_fmap);
	auto e = peer_->lookup(FUSE_ROOT_ID, "kept");
	ASSERT_TRUE(e) << e.error().message() << "\n" << slurp(log_);
	EXPECT_EQ(e->out.attr.size, 4 * MiB);
	auto after = peer_->getxattr(e->nodeid(), "user.daxfmap.fmap");
	ASSERT_TRUE(after) << after.error().message();
	EXPECT_EQ(*after, *before);
	auto g = peer_->get_fmap(e->nodeid());
	ASSERT_TRUE(g) << g.error().message();
	EXPECT_EQ(g->error, -ENOSYS) << "GET_FMAP answered without FUSE_DAX_FMAP";
	auto o = peer_->open_with_fmap(FUSE_ROOT_ID, "kept");
	ASSERT_FALSE(o);
	EXPECT_EQ(o.error().errnum, ENOTSUP);
	stop(true);
}

TEST_F(PeerDaemonTest, MessagePathOffDeclinesBit43)
{
	ASSERT_NO_FATAL_FAILURE(start({"--message-path", "off"}));
	auto init = peer_->init(true);
	ASSERT_TRUE(init) << init.error().message() << "\n" << slurp(log_);
	EXPECT_FALSE(init->dax_fmap);
	auto g = peer_->get_daxdev(0);
	ASSERT_TRUE(g) << g.error().message();
	EXPECT_EQ(g->error, -ENOSYS);
	stop(true);
}

TEST_F(PeerDaemonTest, AnImageFileDeclinesBit43ByDefaultAndSaysWhy)
{
	// What a kernel with the series would do with GET_DAXDEV's name of an
	// image file: open it as a block device and fail every open (ENOTBLK).
	ASSERT_NO_FATAL_FAILURE(start({"--message-path", "on"}));
	auto init = peer_->init(true);
	ASSERT_TRUE(init) << init.error().message() << "\n" << slurp(log_);
	EXPECT_FALSE(init->dax_fmap);
	stop(true);
	EXPECT_NE(slurp(log_).find("pmem block devices in fsdax mode"), std::string::npos) << slurp(log_);
}

} // namespace
} // namespace daxfmap::peer

// SPDX-License-Identifier: GPL-2.0-only
// The file system's use of the log: compaction keeps a busy file system
// writable for ever, a crash at any step of it (or a kill -9 anywhere) loses
// nothing acknowledged, the log's and the data area's reserves, and times.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <iostream>
#include <sstream>
#include <csignal>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "libdaxfmap_fs/filesystem.hpp"
#include "fs_test_util.hpp"

namespace daxfmap::fs {
namespace {

using testing::MiB;
using testing::TempDevice;

constexpr uint64_t kSmallLog = 2 * MiB; // two 1 MiB halves

// Everything a mount shows, one line per entry: path, type, mode, owner,
// size, time, fmap ranges.
std::vector<std::string> listing(const FileSystem &fs)
{
	std::vector<std::string> out;
	std::vector<std::pair<Ino, std::string>> todo{{kRootIno, ""}};
	while (!todo.empty()) {
		auto [dir, prefix] = todo.back();
		todo.pop_back();
		auto entries = fs.readdir(dir);
		for (const auto &e : *entries) {
			auto a = fs.getattr(e.ino);
			std::string line = prefix + e.name + " " + std::to_string(a->mode) + " " +
					   std::to_string(a->uid) + ":" + std::to_string(a->gid) + " " +
					   std::to_string(a->size) + " t" + std::to_string(a->time_ns);
			if (e.is_dir) {
				todo.emplace_back(e.ino, prefix + e.name + "/");
			} else {
				for (const auto &r : fmap_ranges(*fs.fmap(e.ino)))
					line += " " + hex(r.offset) + "+" + hex(r.length);
			}
			out.push_back(line);
		}
	}
	std::sort(out.begin(), out.end());
	return out;
}

TEST(LogCompaction, CreateAllocateDeleteCyclesFarBeyondTheLogNeverFillIt)
{
	TempDevice t(256 * MiB);
	auto fs = t.mkfs_and_mount(kSmallLog);
	ASSERT_TRUE(fs);
	auto d = fs->mkdir(kRootIno, "keep", 0755, 1000, 1000);
	ASSERT_TRUE(d);
	// The cycle that filled the default 8 MiB log after 21,845 rounds, on a
	// 2 MiB log (about 5,400 rounds filled it before compaction).
	const int rounds = 12000;
	for (int i = 0; i < rounds; i++) {
		auto f = fs->create_file(kRootIno, "f", 0644, 1000, 1000, 0);
		ASSERT_TRUE(f) << "round " << i << ": " << f.error().message();
		auto a = fs->allocate(f->ino, 2 * MiB);
		ASSERT_TRUE(a) << "round " << i << ": " << a.error().message();
		ASSERT_TRUE(fs->unlink(kRootIno, "f")) << "round " << i;
		if (i % 1000 == 0) {
			ASSERT_TRUE(fs->create_file(d->ino, "k" + std::to_string(i), 0600, 1000, 1000,
						    4 * MiB));
		}
	}
	const StatFs st = fs->statfs();
	EXPECT_GE(st.compactions, 3u);
	EXPECT_LT(st.log_used, st.log_size);
	const auto want = listing(*fs);
	EXPECT_EQ(want.size(), 1u + rounds / 1000);
	fs.reset();

	auto again = t.mount();
	ASSERT_TRUE(again);
	EXPECT_FALSE(again->replay_report().damage);
	EXPECT_EQ(listing(*again), want);
	auto rep = fsck(again->device());
	ASSERT_TRUE(rep);
	EXPECT_TRUE(rep->clean());
	EXPECT_GT(rep->log_half, 0u);
	EXPECT_LE(rep->log_used, rep->log_half);
}

TEST(LogCompaction, ARemovalAlwaysFindsRoomAndUsersCannotTakeTheReserve)
{
	TempDevice t(64 * MiB);
	auto fs = t.mkfs_and_mount(kSmallLog);
	ASSERT_TRUE(fs);
	const std::string name(240, 'u');
	int n = 0;
	Result<Attr> r = Error{};
	while ((r = fs->mkdir(kRootIno, name + std::to_string(n), 0755, 1000, 1000)))
		n++;
	ASSERT_EQ(r.error().errnum, ENOSPC);
	EXPECT_NE(r.error().message().find("metadata log"), std::string::npos) << r.error().message();
	EXPECT_NE(r.error().message().find("kept free"), std::string::npos) << r.error().message();
	EXPECT_EQ(r.error().message().find("device"), std::string::npos)
		<< "a full log is not a full device: " << r.error().message();
	// Root still can, and a half-created file of a user can be removed.
	ASSERT_TRUE(fs->mkdir(kRootIno, "root-can", 0755, 0, 0));
	auto half = fs->create_file(kRootIno, "half", 0644, 0, 0, 0);
	ASSERT_TRUE(half);
	for (int i = 0; i < n; i++)
		ASSERT_TRUE(fs->rmdir(kRootIno, name + std::to_string(i))) << i;
	ASSERT_TRUE(fs->unlink(kRootIno, "half"));
	EXPECT_TRUE(fs->mkdir(kRootIno, "user-again", 0755, 1000, 1000));
}

TEST(LogCompaction, UsersCannotTakeTheDataReserve)
{
	TempDevice t(128 * MiB);
	auto fs = t.mkfs_and_mount();
	ASSERT_TRUE(fs);
	const StatFs st = fs->statfs();
	ASSERT_GT(st.reserved_units, 0u);
	const uint64_t user_units = st.free_units - st.reserved_units;
	ASSERT_TRUE(fs->create_file(kRootIno, "user", 0644, 1000, 1000, user_units * kUnit));
	auto more = fs->create_file(kRootIno, "more", 0644, 1000, 1000, kUnit);
	ASSERT_FALSE(more);
	EXPECT_EQ(more.error().errnum, ENOSPC);
	EXPECT_NE(more.error().message().find("reserved"), std::string::npos) << more.error().message();
	EXPECT_EQ(fs->statfs().free_units, st.reserved_units) << "the refused file took nothing";
	EXPECT_TRUE(fs->create_file(kRootIno, "root", 0644, 0, 0, kUnit));
}

// A namespace with something of each kind, then a compaction with the
// device copied at each of its durable steps: every copy mounts to exactly
// the namespace (the compaction changes the log, never what it says).
TEST(LogCompaction, CrashAtEachStepOfACompactionMountsTheSameNamespace)
{
	TempDevice t(128 * MiB);
	std::vector<std::vector<uint8_t>> snaps;
	const Device *devp = nullptr;
	MountOptions opts;
	opts.crash_point = [&](std::string_view step) {
		if (step.starts_with("compact"))
			snaps.emplace_back(devp->base(), devp->base() + devp->size());
	};
	auto fs = t.mkfs_and_mount(kSmallLog, opts);
	ASSERT_TRUE(fs);
	devp = &fs->device();
	auto a = fs->mkdir(kRootIno, "a", 0750, 1, 2);
	auto b = fs->mkdir(a->ino, "b", 0700, 3, 4);
	ASSERT_TRUE(fs->create_file(b->ino, "deep", 0640, 5, 6, 6 * MiB));
	ASSERT_TRUE(fs->create_file(kRootIno, "striped", 0600, 0, 0, 16 * MiB, Layout::striped(4, 2 * MiB)));
	ASSERT_TRUE(fs->create_file(a->ino, "empty", 0644, 0, 0, 0));
	ASSERT_TRUE(fs->create_file(kRootIno, "gone", 0644, 0, 0, 2 * MiB));
	ASSERT_TRUE(fs->unlink(kRootIno, "gone"));
	auto timed = fs->create_file(kRootIno, "timed", 0644, 0, 0, 2 * MiB);
	ASSERT_TRUE(fs->set_mtime(timed->ino, 123456789));
	const auto want = listing(*fs);
	ASSERT_TRUE(fs->compact());
	ASSERT_EQ(snaps.size(), 3u);
	EXPECT_EQ(listing(*fs), want);
	fs.reset();

	for (size_t i = 0; i < snaps.size(); i++) {
		SCOPED_TRACE("crash after compaction step " + std::to_string(i));
		TempDevice copy(snaps[i].size());
		std::memcpy(copy.open()->base(), snaps[i].data(), snaps[i].size());
		// The snapshot was taken while mounted: the writer mark is set.
		ASSERT_TRUE(repair_log(*copy.open()));
		auto m = copy.mount();
		ASSERT_TRUE(m);
		EXPECT_FALSE(m->replay_report().damage);
		EXPECT_EQ(listing(*m), want);
	}
}

// A child process creates, writes and deletes files on a small log, compacts
// every 25 operations, and reports each operation once it returned; it is
// killed with SIGKILL at random moments.  Every acknowledged operation must be there
// after remount, with its bytes; the one in flight is either whole or absent.
TEST(LogCompaction, KillNineAnywhereLosesNothingAcknowledged)
{
	TempDevice t(512 * MiB);
	ASSERT_TRUE(t.mkfs_and_mount(kSmallLog));
	std::mt19937 rng(20261202);
	std::set<std::string> live;   // on the media after the last round
	std::set<std::string> unwritten; // creates that landed unacknowledged: bytes unknown
	uint64_t next = 0, compactions = 0, acked = 0;
	for (int round = 0; round < 12; round++) {
		int pipefd[2];
		ASSERT_EQ(pipe(pipefd), 0);
		const uint64_t first = next;
		pid_t pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			close(pipefd[0]);
			auto fs = FileSystem::mount(t.open());
			if (!fs)
				_exit(2);
			std::mt19937 crng(static_cast<unsigned>(first));
			std::vector<std::string> mine(live.begin(), live.end());
			for (uint64_t i = first;; i++) {
				std::string line;
				if (mine.size() >= 150 || (!mine.empty() && crng() % 3 == 0)) {
					size_t k = crng() % mine.size();
					if (!(*fs)->unlink(kRootIno, mine[k]))
						_exit(3);
					line = "D " + mine[k];
					mine.erase(mine.begin() + static_cast<long>(k));
				} else {
					std::string name = "f" + std::to_string(i);
					auto f = (*fs)->create_file(kRootIno, name, 0644, 0, 0, 2 * MiB);
					if (!f)
						_exit(4);
					std::vector<uint8_t> bytes(4096, static_cast<uint8_t>(i));
					if (!(*fs)->write(f->ino, 0, bytes))
						_exit(5);
					line = "C " + name;
					mine.push_back(name);
				}
				// Compact often, so that kills land inside compactions too
				// (zeroing a half takes longer than an append).
				if (i % 25 == 0 && !(*fs)->compact())
					_exit(7);
				line += " " + std::to_string((*fs)->statfs().compactions) + "\n";
				if (write(pipefd[1], line.data(), line.size()) !=
				    static_cast<ssize_t>(line.size()))
					_exit(6);
			}
		}
		close(pipefd[1]);
		usleep(20000 + rng() % 150000);
		kill(pid, SIGKILL);
		int status = 0;
		waitpid(pid, &status, 0);
		ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself: " << status;
		std::string all;
		char buf[4096];
		for (ssize_t n; (n = read(pipefd[0], buf, sizeof(buf))) > 0;)
			all.append(buf, static_cast<size_t>(n));
		close(pipefd[0]);
		std::istringstream in(all);
		char op;
		std::string name;
		uint64_t c = 0;
		uint64_t max_seen = next;
		while (in >> op >> name >> c) {
			if (op == 'C') {
				live.insert(name);
				max_seen = std::max<uint64_t>(max_seen, std::stoull(name.substr(1)) + 1);
			} else {
				live.erase(name);
			}
			compactions = std::max(compactions, c);
			acked++;
		}
		next = max_seen;

		auto fs = t.mount();
		ASSERT_TRUE(fs) << "round " << round;
		ASSERT_FALSE(fs->replay_report().damage && fs->replay_report().damage->corrupt)
			<< fs->replay_report().damage->reason;
		std::set<std::string> seen;
		auto entries = fs->readdir(kRootIno);
		for (const auto &e : *entries)
			seen.insert(e.name);
		// Acknowledged state, except for the one operation in flight.
		size_t missing = 0, extra = 0;
		for (const auto &n : live)
			missing += !seen.count(n);
		for (const auto &n : seen)
			extra += !live.count(n);
		EXPECT_LE(missing + extra, 1u) << "round " << round << ": " << missing
					       << " acknowledged files lost, " << extra << " unexpected";
		for (const auto &n : seen) {
			if (!live.count(n)) {
				unwritten.insert(n);
				continue;
			}
			if (unwritten.count(n))
				continue;
			auto a = fs->lookup(kRootIno, n);
			std::vector<uint8_t> got(4096);
			ASSERT_TRUE(fs->read(a->ino, 0, got));
			EXPECT_EQ(got[0], static_cast<uint8_t>(std::stoull(n.substr(1)))) << n;
		}
		live = seen;
		// New names from past the newest on the media (an unacknowledged
		// create may have landed there).
		for (const auto &n : seen)
			next = std::max<uint64_t>(next, std::stoull(n.substr(1)) + 1);
		auto rep = fsck(fs->device());
		ASSERT_TRUE(rep);
		EXPECT_TRUE(rep->clean()) << rep->problems.front().message();
	}
	std::cout << "acknowledged operations: " << acked << ", most compactions in one child: "
		  << compactions << "\n";
	EXPECT_GT(acked, 100u);
	EXPECT_GT(compactions, 0u) << "the kills never met a log that had compacted";
}

TEST(FileTimes, SetMtimeIsLoggedAndWritesMoveItAtSync)
{
	TempDevice t(64 * MiB);
	Ino ino = 0;
	uint64_t written = 0;
	{
		auto fs = t.mkfs_and_mount();
		auto f = fs->create_file(kRootIno, "f", 0644, 0, 0, 2 * MiB);
		ASSERT_TRUE(f);
		ino = f->ino;
		auto set = fs->set_mtime(ino, 1000000000ull * 86400);
		ASSERT_TRUE(set);
		EXPECT_EQ(set->time_ns, 1000000000ull * 86400);
		std::vector<uint8_t> one(1, 7);
		ASSERT_TRUE(fs->write(ino, 0, one));
		written = fs->getattr(ino)->time_ns;
		EXPECT_GT(written, 1000000000ull * 86400) << "a write moves mtime at once";
		ASSERT_TRUE(fs->sync_written(ino));
		auto root = fs->set_mtime(kRootIno, 5);
		ASSERT_FALSE(root);
		EXPECT_EQ(root.error().errnum, EPERM);
	}
	auto fs = t.mount();
	ASSERT_TRUE(fs);
	EXPECT_EQ(fs->getattr(ino)->time_ns, written) << "and sync_written logged it";
}

} // namespace
} // namespace daxfmap::fs

// SPDX-License-Identifier: GPL-2.0-only
// kill -9 during a stream of creates, grows, shrinks, renames (onto new names
// and over existing files), chmods and deletes, with compactions between:
// after every kill the namespace is what the acknowledged operations made,
// or that plus the one in flight, whole; fsck is clean; no file's first bytes
// moved or changed.
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "libdaxfmap_fs/filesystem.hpp"
#include "fs_test_util.hpp"

namespace daxfmap::fs {
namespace {

using testing::MiB;
using testing::TempDevice;

struct FileState {
	uint64_t size = 0;
	uint32_t mode = 0;
	uint8_t fill = 0; // the first min(size, 4096) bytes
	bool operator==(const FileState &) const = default;
};
using Model = std::map<std::string, FileState>;

struct Op {
	char kind = 0; // C create, G grow, S shrink, R rename, M chmod, D delete
	std::string a, b;
	uint64_t size = 0;
	uint32_t mode = 0;
	uint8_t fill = 0;
};

// The next operation for `m`: the child and the parent draw the same ones.
Op next_op(std::mt19937 &rng, const Model &m, uint64_t &serial)
{
	auto pick = [&] {
		auto it = m.begin();
		std::advance(it, static_cast<long>(rng() % m.size()));
		return it;
	};
	const unsigned r = rng() % 6;
	if (m.size() < 4 || (r == 0 && m.size() < 60)) {
		const uint64_t n = serial++;
		return {.kind = 'C', .a = "f" + std::to_string(n), .size = 4096 * (1 + rng() % 700),
			.mode = 0644, .fill = static_cast<uint8_t>(n | 1)};
	}
	auto it = pick();
	switch (r) {
	case 1:
		return {.kind = 'G', .a = it->first, .size = it->second.size + 1 + rng() % (5 * MiB)};
	case 2:
		return {.kind = 'S', .a = it->first, .size = std::max<uint64_t>(4096, it->second.size / 2)};
	case 3: {
		if (rng() % 2) {
			auto other = pick();
			if (other != it)
				return {.kind = 'R', .a = it->first, .b = other->first};
		}
		return {.kind = 'R', .a = it->first, .b = "r" + std::to_string(serial++)};
	}
	case 4:
		return {.kind = 'M', .a = it->first, .mode = 0600 | static_cast<uint32_t>(rng() & 077)};
	default:
		return {.kind = 'D', .a = it->first};
	}
}

void apply_op(Model &m, const Op &op)
{
	switch (op.kind) {
	case 'C': m[op.a] = {.size = op.size, .mode = op.mode, .fill = op.fill}; break;
	case 'G':
	case 'S': m[op.a].size = op.size; break;
	case 'R': {
		FileState f = m[op.a];
		m.erase(op.a);
		m[op.b] = f;
		break;
	}
	case 'M': m[op.a].mode = op.mode; break;
	case 'D': m.erase(op.a); break;
	}
}

bool run_op(FileSystem &fs, const Op &op)
{
	auto ino = [&](const std::string &name) { return fs.lookup(kRootIno, name)->ino; };
	switch (op.kind) {
	case 'C': {
		auto f = fs.create_file(kRootIno, op.a, op.mode, 0, 0, op.size);
		if (!f)
			return false;
		std::vector<uint8_t> head(std::min<uint64_t>(op.size, 4096), op.fill);
		return fs.write(f->ino, 0, head).ok() && fs.fsync(f->ino).ok();
	}
	case 'G':
	case 'S': return fs.resize(ino(op.a), op.size).ok();
	case 'R': return fs.rename(kRootIno, op.a, kRootIno, op.b).ok();
	case 'M': return fs.set_attr(ino(op.a), op.mode, std::nullopt, std::nullopt).ok();
	case 'D': return fs.unlink(kRootIno, op.a).ok();
	}
	return false;
}

// What the media holds, as a model; the first bytes of each file are checked
// against `expect` (when it names the file) by the caller.
Model read_model(const FileSystem &fs, std::map<std::string, std::vector<uint8_t>> *heads)
{
	Model m;
	auto entries = fs.readdir(kRootIno);
	EXPECT_TRUE(entries);
	for (const auto &e : *entries) {
		auto a = fs.getattr(e.ino);
		std::vector<uint8_t> head(std::min<uint64_t>(a->size, 4096));
		EXPECT_TRUE(fs.read(e.ino, 0, head));
		m[e.name] = {.size = a->size, .mode = a->mode & 07777, .fill = head.empty() ? uint8_t{0} : head[0]};
		(*heads)[e.name] = std::move(head);
	}
	return m;
}

TEST(NamespaceCrash, KillNineDuringGrowsRenamesAndDeletesLeavesTheAcknowledgedStateOrOneMore)
{
	constexpr uint64_t kLog = 2 * MiB; // compacts often
	TempDevice t(512 * MiB);
	ASSERT_TRUE(t.mkfs_and_mount(kLog));
	Model model;
	uint64_t serial = 0, acked_total = 0;
	for (unsigned round = 0; round < 10; round++) {
		const unsigned seed = 7000 + round;
		int pipefd[2];
		ASSERT_EQ(pipe(pipefd), 0);
		pid_t pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			close(pipefd[0]);
			auto fs = FileSystem::mount(t.open());
			if (!fs)
				_exit(2);
			std::mt19937 rng(seed);
			Model m = model;
			uint64_t s = serial;
			for (uint64_t i = 1;; i++) {
				Op op = next_op(rng, m, s);
				if (!run_op(**fs, op))
					_exit(3);
				apply_op(m, op);
				if (i % 20 == 0 && !(*fs)->compact())
					_exit(4);
				if (write(pipefd[1], "+", 1) != 1)
					_exit(5);
			}
		}
		close(pipefd[1]);
		std::mt19937 delay(seed);
		usleep(30000 + delay() % 200000);
		kill(pid, SIGKILL);
		int status = 0;
		waitpid(pid, &status, 0);
		ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << ": the child stopped by itself, "
						 << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		uint64_t acked = 0;
		char buf[4096];
		for (ssize_t n; (n = read(pipefd[0], buf, sizeof(buf))) > 0;)
			acked += static_cast<uint64_t>(n);
		close(pipefd[0]);
		acked_total += acked;

		// The same draws as the child: the acknowledged state, and the one
		// the operation in flight would have made.
		std::mt19937 rng(seed);
		Model done = model;
		uint64_t s = serial;
		for (uint64_t i = 0; i < acked; i++)
			apply_op(done, next_op(rng, done, s));
		Model one_more = done;
		uint64_t s_more = s;
		const Op in_flight = next_op(rng, one_more, s_more);
		apply_op(one_more, in_flight);
		// A create is two steps here (the file, then its first bytes): killed
		// between them, the file is there and reads as zeros.
		Model created_only = one_more;
		if (in_flight.kind == 'C')
			created_only[in_flight.a].fill = 0;

		auto fs = t.mount();
		ASSERT_TRUE(fs) << "round " << round;
		ASSERT_FALSE(fs->replay_report().damage && fs->replay_report().damage->corrupt)
			<< fs->replay_report().damage->reason;
		std::map<std::string, std::vector<uint8_t>> heads;
		Model seen = read_model(*fs, &heads);
		const bool as_acked = seen == done,
			   with_in_flight = seen == one_more || (in_flight.kind == 'C' && seen == created_only);
		EXPECT_TRUE(as_acked || with_in_flight)
			<< "round " << round << ": after " << acked << " acknowledged operations the media "
			<< "holds " << seen.size() << " files, the model " << done.size() << " (or "
			<< one_more.size() << " with the one in flight)";
		for (const auto &[name, head] : heads) {
			const std::vector<uint8_t> &h = head; // clang 14 cannot capture a structured binding
			EXPECT_TRUE(std::all_of(h.begin(), h.end(), [&h](uint8_t b) { return b == h[0]; }))
				<< name << ": its first bytes moved or changed";
		}
		auto rep = fsck(fs->device());
		ASSERT_TRUE(rep);
		EXPECT_TRUE(rep->clean()) << rep->problems.front().message();
		model = with_in_flight && !as_acked ? (seen == one_more ? one_more : created_only) : done;
		serial = with_in_flight && !as_acked ? s_more : s;
		if (::testing::Test::HasFailure())
			break;
	}
	std::cout << "acknowledged operations: " << acked_total << "\n";
	EXPECT_GT(acked_total, 100u);
}

} // namespace
} // namespace daxfmap::fs

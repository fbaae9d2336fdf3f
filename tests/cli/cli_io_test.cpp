// SPDX-License-Identifier: GPL-2.0-only
// The CLI's files and streams: what -o does to each kind of path, how much
// of an input it reads, and what it does when stdout cannot be written.
// Everything it touches is created in the test's scratch directory.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "libdaxfmap/fmap_text.hpp"
#include "libdaxfmap/limits.hpp"
#include "support/cli_fixture.hpp"

namespace daxfmap {
namespace {

using namespace daxfmap::testing;

const std::string kSimple = kExamples + "simple-multi.yaml";

bool is_fifo(const std::string &p)
{
	struct stat st {};
	return ::lstat(p.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

bool is_symlink_to(const std::string &p, const std::string &target)
{
	struct stat st {};
	if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode))
		return false;
	std::string buf(4096, '\0');
	const ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size());
	return n >= 0 && buf.substr(0, static_cast<size_t>(n)) == target;
}

// Ignores SIGPIPE in this process while it lives: the tests write into
// FIFOs whose reader (the CLI) goes away.
class NoSigpipe {
public:
	NoSigpipe() { old_ = std::signal(SIGPIPE, SIG_IGN); }
	~NoSigpipe() { std::signal(SIGPIPE, old_); }

private:
	void (*old_)(int);
};

// A FIFO's reader, open from the start (so a writer's open() does not
// block) and without blocking (what the writer wrote is in the pipe
// buffer by the time it exits; the outputs here are far smaller).
class FifoReader {
public:
	explicit FifoReader(const std::string &fifo) : fd_(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC))
	{
		EXPECT_GE(fd_, 0) << fifo << ": " << std::strerror(errno);
	}
	~FifoReader()
	{
		if (fd_ >= 0)
			::close(fd_);
	}
	// Everything written so far.
	std::string take()
	{
		std::string data;
		char buf[4096];
		for (ssize_t n; (n = ::read(fd_, buf, sizeof(buf))) > 0;)
			data.append(buf, static_cast<size_t>(n));
		return data;
	}

private:
	int fd_;
};

// ---- -o: what each kind of path gets ------------------------------------------

class CliOutput : public Cli {
protected:
	void SetUp() override
	{
		Cli::SetUp();
		Outcome r = run({"encode", kSimple, "-o", path("want.bin")});
		ASSERT_EQ(r.code, 0) << r.err;
		want_ = slurp(path("want.bin"));
		ASSERT_FALSE(want_.empty());
	}
	std::string want_;
};

TEST_F(CliOutput, EncodeIntoAFifoWritesThroughItAndLeavesAFifo)
{
	const std::string fifo = path("fifo");
	ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
	FifoReader reader(fifo);
	Outcome r = run({"encode", kSimple, "-o", fifo});
	EXPECT_EQ(r.code, 0) << r.err;
	EXPECT_EQ(reader.take(), want_);
	EXPECT_TRUE(is_fifo(fifo));
}

TEST_F(CliOutput, DecodeThroughASymlinkToAFifoKeepsBoth)
{
	const std::string fifo = path("fifo"), link = path("link");
	ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
	ASSERT_EQ(::symlink("fifo", link.c_str()), 0);
	FifoReader reader(fifo);
	Outcome r = run({"decode", "--to", "json", path("want.bin"), "-o", link});
	EXPECT_EQ(r.code, 0) << r.err;
	auto back = parse_json(reader.take());
	ASSERT_TRUE(back.ok()) << back.error().message();
	EXPECT_EQ(back->fmap.file_size, parse_yaml(slurp(kSimple))->fmap.file_size);
	EXPECT_TRUE(is_fifo(fifo));
	EXPECT_TRUE(is_symlink_to(link, "fifo"));
}

TEST_F(CliOutput, EncodeThroughASymlinkReplacesItsTargetNotTheLink)
{
	const std::string target = path("target.bin"), link = path("link.bin");
	spit(target, "old contents");
	ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
	ASSERT_EQ(::symlink("target.bin", link.c_str()), 0);
	Outcome r = run({"encode", kSimple, "-o", link});
	EXPECT_EQ(r.code, 0) << r.err;
	EXPECT_TRUE(is_symlink_to(link, "target.bin"));
	EXPECT_EQ(slurp(target), want_);
	struct stat st {};
	ASSERT_EQ(::stat(target.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600u) << "the replaced file keeps its mode";
}

TEST_F(CliOutput, EncodeThroughADanglingSymlinkCreatesItsTarget)
{
	const std::string link = path("link.bin");
	ASSERT_EQ(::mkdir(path("sub").c_str(), 0755), 0);
	// Relative to the link's directory, through a chain of two links.
	ASSERT_EQ(::symlink("sub/hop", link.c_str()), 0);
	ASSERT_EQ(::symlink("new.bin", path("sub/hop").c_str()), 0);
	Outcome r = run({"encode", kSimple, "-o", link});
	EXPECT_EQ(r.code, 0) << r.err;
	EXPECT_TRUE(is_symlink_to(link, "sub/hop"));
	EXPECT_TRUE(is_symlink_to(path("sub/hop"), "new.bin"));
	EXPECT_EQ(slurp(path("sub/new.bin")), want_);
}

TEST_F(CliOutput, DirectoriesAndSymlinkLoopsAreRefusedAndLeftAlone)
{
	ASSERT_EQ(::mkdir(path("dir").c_str(), 0755), 0);
	ASSERT_EQ(::symlink("dir", path("to-dir").c_str()), 0);
	for (const char *name : {"dir", "to-dir"}) {
		Outcome r = run({"encode", kSimple, "-o", path(name)});
		EXPECT_EQ(r.code, 2) << name;
		EXPECT_CONTAINS(r.err, "(EISDIR)");
	}
	EXPECT_TRUE(is_symlink_to(path("to-dir"), "dir"));

	ASSERT_EQ(::symlink("loop-b", path("loop-a").c_str()), 0);
	ASSERT_EQ(::symlink("loop-a", path("loop-b").c_str()), 0);
	Outcome r = run({"encode", kSimple, "-o", path("loop-a")});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "(ELOOP)");
	EXPECT_TRUE(is_symlink_to(path("loop-a"), "loop-b"));
}

TEST_F(CliOutput, OwnDescriptorPathsWriteToThatDescriptor)
{
	// The fixture's stdout is a regular file: it is written, not replaced.
	Outcome r = run({"encode", kSimple, "-o", "/proc/self/fd/1"});
	EXPECT_EQ(r.code, 0) << r.err;
	EXPECT_EQ(r.out, want_);
	r = run({"decode", path("want.bin"), "-o", "/dev/fd/2"});
	EXPECT_EQ(r.code, 0) << r.err;
	EXPECT_CONTAINS(r.err, "simple_ext_list:");
}

// ---- How much input is read -------------------------------------------------

uint64_t v10_cap()
{
	return max_text_bytes(limits_for(Profile::V10));
}

TEST_F(Cli, EveryVerbRefusesInputLargerThanTheProfileCapNamingIt)
{
	// Sparse: far more than any v10 fmap, far less than a disk.
	const std::string big = path("big.bin");
	spit(big, "");
	ASSERT_EQ(::truncate(big.c_str(), 64 << 20), 0);
	const std::vector<std::vector<std::string>> calls = {
		{"validate", big}, {"encode", big, "-o", path("out.bin")}, {"decode", big}, {"resolve", big, "0"}};
	for (const auto &args : calls) {
		Outcome r = run(args);
		EXPECT_EQ(r.code, 2) << args[0] << ": " << r.out << r.err;
		EXPECT_CONTAINS(r.err, "expected an fmap file of at most " + std::to_string(v10_cap()) + " bytes");
		EXPECT_CONTAINS(r.err, "found 67108864 bytes (EFBIG)");
	}
	EXPECT_FALSE(std::filesystem::exists(path("out.bin")));
}

TEST_F(Cli, InputOfExactlyTheCapIsReadAndOneByteMoreIsNot)
{
	// A valid fmap padded with a comment to exactly the cap.
	std::string text = slurp(kSimple) + "#";
	ASSERT_LT(text.size(), v10_cap());
	text += std::string(v10_cap() - text.size() - 1, 'x') + "\n";
	ASSERT_EQ(text.size(), v10_cap());
	spit(path("cap.yaml"), text);
	Outcome r = run({"validate", path("cap.yaml")});
	EXPECT_EQ(r.code, 0) << r.err;

	spit(path("over.yaml"), "#" + text);
	r = run({"validate", path("over.yaml")});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "at most " + std::to_string(v10_cap()) + " bytes");
	// Read from stdin: the same cap.
	r = run({"validate", "-"}, "#" + text);
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "-: expected an fmap file of at most " + std::to_string(v10_cap()) + " bytes");
}

TEST_F(Cli, AFifoThatNeverEndsIsReadOnlyUpToTheCap)
{
	NoSigpipe no_sigpipe;
	const std::string fifo = path("endless");
	ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
	std::atomic<uint64_t> written{0};
	std::atomic<bool> stop{false};
	std::thread writer([&] {
		const int fd = ::open(fifo.c_str(), O_WRONLY);
		if (fd < 0)
			return;
		const std::string chunk(4096, ' ');
		// Until the reader goes (EPIPE), or the test gives up on it.
		while (!stop) {
			const ssize_t n = ::write(fd, chunk.data(), chunk.size());
			if (n <= 0)
				break;
			written += static_cast<uint64_t>(n);
		}
		::close(fd);
	});
	Outcome r = run({"validate", fifo});
	stop = true;
	// Unblocks a writer still waiting for a reader; one that is writing
	// gets EPIPE once this reader is gone too.
	::close(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK));
	writer.join();
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "found more (EFBIG)");
	// What was read, plus what the pipe buffered before the reader left.
	const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
	ASSERT_GE(fd, 0);
	const uint64_t pipe_buffer = static_cast<uint64_t>(::fcntl(fd, F_GETPIPE_SZ));
	::close(fd);
	EXPECT_LE(written.load(), v10_cap() + 1 + pipe_buffer + 4096);
}

// ---- stdout that cannot be written ------------------------------------------

TEST_F(Cli, EveryVerbFailsWhenStdoutIsAPipeWithNoReader)
{
	const std::string bin = path("i.bin");
	ASSERT_EQ(run({"encode", kSimple, "-o", bin}).code, 0);
	const std::vector<std::vector<std::string>> calls = {
		{"validate", kSimple},
		{"validate", "--json", kSimple},
		{"validate", kExamples + "invalid-short.yaml"}, // exit 1 otherwise
		{"resolve", kSimple, "0"},
		{"resolve", "--json", kSimple, "0"},
		{"resolve", "--all", kSimple, "0"},
		{"decode", bin},
		{"encode", kSimple, "-o", "-"},
		{"--help"},
		{"validate", "--help"},
	};
	for (const auto &args : calls) {
		int p[2];
		ASSERT_EQ(::pipe(p), 0);
		::close(p[0]); // nobody will ever read
		Outcome r = run_with_stdout(p[1], args);
		::close(p[1]);
		EXPECT_EQ(r.code, 2) << args[0] << " " << args.back() << ": " << r.err;
		EXPECT_CONTAINS(r.err, "stdout: cannot write: Broken pipe (EPIPE)");
	}
}

// ---- resolve --json without an answer: validate --json's object ---------------

TEST_F(Cli, ResolveJsonPrintsValidatesVerdictWhenItCannotResolve)
{
	spit(path("cut.bin"), slurp(kExamples + "interleaved-4x2M.bin").substr(0, 100));
	spit(path("junk.yaml"), "file: [");
	const struct {
		std::string file;
		int code;
	} cases[] = {
		{kExamples + "invalid-short.yaml", 1}, // the kernel refuses it
		{kExamples + "multidev-extended.yaml", 1}, // with a hint
		{path("cut.bin"), 1},                  // wire bytes that do not decode
		{path("junk.yaml"), 2},                // text that is not an fmap
		{path("absent.yaml"), 2},              // no file
	};
	for (const auto &c : cases) {
		Outcome res = run({"resolve", "--json", c.file, "0"});
		EXPECT_EQ(res.code, c.code) << c.file << ": " << res.err;
		Outcome val = run({"validate", "--json", c.file});
		EXPECT_EQ(val.code, c.code) << c.file;
		auto got = parse(res.out);
		auto want = parse(val.out)["files"][0];
		EXPECT_EQ(got, want) << c.file;
		EXPECT_FALSE(got.value("valid", false)) << c.file;
	}
}

TEST_F(Cli, JsonOutputSurvivesBytesThatAreNotUtf8)
{
	const std::string name = path("bad-\xff-name.yaml");
	spit(name, "file:\n  \xfe" "key: 1\n");
	for (const std::vector<std::string> &args :
	     {std::vector<std::string>{"validate", "--json", name}, {"resolve", "--json", name, "0"}}) {
		Outcome r = run(args);
		EXPECT_EQ(r.code, 2) << args[0] << ": " << r.err;
		auto j = parse(r.out);
		const auto &file = args[0] == "validate" ? j["files"][0] : j;
		EXPECT_EQ(file["readable"], false);
		EXPECT_CONTAINS(file["error"]["found"].get<std::string>(), "unknown key \"\\xfekey\"");
	}
}

} // namespace
} // namespace daxfmap

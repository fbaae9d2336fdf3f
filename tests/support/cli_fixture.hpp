// SPDX-License-Identifier: GPL-2.0-only
// The CLI test fixture: runs the built daxfmap binary in a scratch directory
// and captures its exit status, stdout and stderr.
#pragma once

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace daxfmap::testing {

inline const std::string kCli = DAXFMAP_CLI_PATH;
inline const std::string kExamples = std::string(DAXFMAP_SOURCE_DIR) + "/examples/fmaps/";

struct Outcome {
	int code = -1;
	std::string out;
	std::string err;
};

inline std::string slurp(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(const std::string &path, const std::string &data)
{
	std::ofstream(path, std::ios::binary) << data;
}

inline nlohmann::json parse(const std::string &text)
{
	auto j = nlohmann::json::parse(text, nullptr, false);
	EXPECT_FALSE(j.is_discarded()) << "not JSON:\n" << text;
	return j;
}

// Each test gets a scratch directory, removed afterwards.
class Cli : public ::testing::Test {
protected:
	void SetUp() override
	{
		const char *tmp = std::getenv("TMPDIR");
		std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/daxfmap-cli-XXXXXX";
		ASSERT_NE(::mkdtemp(templ.data()), nullptr) << std::strerror(errno);
		dir_ = templ;
	}
	void TearDown() override
	{
		std::error_code ec;
		if (!dir_.empty())
			std::filesystem::remove_all(dir_, ec);
	}

	std::string path(const std::string &name) const { return dir_ + "/" + name; }

	// Runs the CLI with stdout and stderr captured through files (no pipe
	// can fill up), stdin from `input`.
	Outcome run(const std::vector<std::string> &args, const std::string &input = "") const
	{
		return spawn(args, input, -1);
	}

	// Runs the CLI with `stdout_fd` as its stdout (out stays empty) and
	// SIGPIPE ignored, so that a write to a closed pipe fails with EPIPE
	// instead of killing it.
	Outcome run_with_stdout(int stdout_fd, const std::vector<std::string> &args) const
	{
		return spawn(args, "", stdout_fd);
	}

	Outcome spawn(const std::vector<std::string> &args, const std::string &input, int stdout_fd) const
	{
		const std::string in = path(".stdin"), out = path(".stdout"), err = path(".stderr");
		spit(in, input);
		spit(out, "");
		pid_t pid = ::fork();
		if (pid == 0) {
			if (stdout_fd >= 0)
				::signal(SIGPIPE, SIG_IGN); // kept across exec
			int fi = ::open(in.c_str(), O_RDONLY);
			int fo = stdout_fd >= 0 ? stdout_fd : ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
			int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fi < 0 || fo < 0 || fe < 0 || ::dup2(fi, 0) < 0 || ::dup2(fo, 1) < 0 || ::dup2(fe, 2) < 0)
				::_exit(127);
			std::vector<char *> argv{const_cast<char *>(kCli.c_str())};
			for (const auto &a : args)
				argv.push_back(const_cast<char *>(a.c_str()));
			argv.push_back(nullptr);
			::execv(kCli.c_str(), argv.data());
			::_exit(127);
		}
		Outcome r;
		int status = 0;
		if (pid < 0 || ::waitpid(pid, &status, 0) != pid) {
			ADD_FAILURE() << "cannot run " << kCli;
			return r;
		}
		// A signal (a crash, an abort) is never an acceptable answer.
		EXPECT_TRUE(WIFEXITED(status)) << "daxfmap killed by signal " << WTERMSIG(status);
		r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		r.out = slurp(out);
		r.err = slurp(err);
		return r;
	}

	std::string dir_;
};

#define EXPECT_CONTAINS(haystack, needle) \
	EXPECT_NE((haystack).find(needle), std::string::npos) << "no \"" << (needle) << "\" in:\n" << (haystack)

} // namespace daxfmap::testing

// SPDX-License-Identifier: GPL-2.0-only
#include "cli/output.hpp"

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <optional>
#include <ostream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/fd_io.hpp"

namespace daxfmap::cli {

namespace {

// Symlinks followed before giving up, as the kernel's own limit.
constexpr int kMaxLinkHops = 40;

// The descriptor a path names in this process, if it is one of ours.
std::optional<int> own_descriptor(std::string_view p)
{
	if (p == "-" || p == "/dev/stdout")
		return STDOUT_FILENO;
	if (p == "/dev/stderr")
		return STDERR_FILENO;
	for (std::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
		if (!p.starts_with(prefix) || p.size() == prefix.size())
			continue;
		p.remove_prefix(prefix.size());
		int fd = -1;
		auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), fd);
		if (ec == std::errc() && end == p.data() + p.size())
			return fd;
		return std::nullopt;
	}
	return std::nullopt;
}

// What `path` leads to once its symlinks are followed.
struct Target {
	enum Kind { Descriptor, Missing, Regular, Directory, Other } kind;
	std::string path; // the last link's target: what to create or replace
	int fd = -1;      // Descriptor
	mode_t mode = 0;  // Regular
};

std::string directory_of(const std::string &p)
{
	const auto slash = p.rfind('/');
	return slash == std::string::npos ? "" : p.substr(0, slash + 1);
}

Result<Target> follow(const std::string &path)
{
	std::string p = path;
	for (int hop = 0; hop <= kMaxLinkHops; hop++) {
		if (auto fd = own_descriptor(p))
			return Target{Target::Descriptor, p, *fd};
		struct stat st {};
		if (::lstat(p.c_str(), &st) != 0) {
			if (errno == ENOENT)
				return Target{Target::Missing, p};
			return sys_error(errno, path, "cannot stat " + p);
		}
		if (!S_ISLNK(st.st_mode)) {
			if (S_ISREG(st.st_mode))
				return Target{Target::Regular, p, -1, st.st_mode & 07777};
			return Target{S_ISDIR(st.st_mode) ? Target::Directory : Target::Other, p};
		}
		// /proc links to pipes and sockets read back as "pipe:[N]", no
		// path: what the kernel reaches through them is written through.
		if (::stat(p.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
			return Target{S_ISDIR(st.st_mode) ? Target::Directory : Target::Other, p};
		std::string link(PATH_MAX, '\0');
		const ssize_t n = ::readlink(p.c_str(), link.data(), link.size());
		if (n < 0)
			return sys_error(errno, path, "cannot read the symlink " + p);
		link.resize(static_cast<size_t>(n));
		p = link.starts_with('/') ? link : directory_of(p) + link;
	}
	return sys_error(ELOOP, path, "cannot follow its symlinks");
}

Result<void> write_descriptor(int fd, std::string_view data, const std::string &path)
{
	// What the verb printed before goes first.
	std::fflush(fd == STDERR_FILENO ? stderr : stdout);
	return write_all(fd, data, path == "-" ? "stdout" : path);
}

Result<void> write_through(const std::string &path, const std::string &target, std::string_view data)
{
	Fd fd(::open(target.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC));
	if (fd.get() < 0)
		return sys_error(errno, path, "cannot open");
	if (auto w = write_all(fd.get(), data, path); !w)
		return w;
	return fd.close(path);
}

// Same directory, so that rename() is atomic and never crosses devices.
Result<void> replace(const std::string &path, const std::string &target, mode_t mode, std::string_view data)
{
	const std::string dir = directory_of(target);
	const std::string base = target.substr(dir.size());
	if (base.empty())
		return sys_error(EISDIR, path, "cannot write");
	std::string tmp = dir + "." + base + ".tmp.XXXXXX";
	Fd fd(::mkstemp(tmp.data()));
	if (fd.get() < 0)
		return sys_error(errno, path, "cannot create a temporary file in " + (dir.empty() ? "." : dir));
	auto fail = [&](Error e) -> Result<void> {
		::unlink(tmp.c_str());
		return e;
	};
	if (auto w = write_all(fd.get(), data, path); !w)
		return fail(w.error());
	if (::fchmod(fd.get(), mode) < 0)
		return fail(sys_error(errno, path, "cannot set the mode of " + tmp));
	if (::fsync(fd.get()) < 0)
		return fail(sys_error(errno, path, "cannot sync " + tmp));
	if (auto c = fd.close(tmp); !c)
		return fail(c.error());
	if (::rename(tmp.c_str(), target.c_str()) < 0)
		return fail(sys_error(errno, path, "cannot rename " + tmp + " to " + target));
	return {};
}

} // namespace

Result<void> write_output(const std::string &path, std::string_view data)
{
	auto t = follow(path);
	if (!t)
		return t.error();
	switch (t->kind) {
	case Target::Descriptor: return write_descriptor(t->fd, data, path);
	case Target::Missing: return replace(path, t->path, 0644, data);
	case Target::Regular: return replace(path, t->path, t->mode, data);
	case Target::Directory: return sys_error(EISDIR, path, "cannot write");
	case Target::Other: return write_through(path, t->path, data);
	}
	return {};
}

Result<void> flush_stdout(std::ostream &out)
{
	errno = 0;
	out.flush();
	const bool flushed = std::fflush(stdout) == 0;
	const int err = errno;
	if (flushed && out && !std::ferror(stdout))
		return {};
	return sys_error(err ? err : EIO, "stdout", "cannot write");
}

} // namespace daxfmap::cli

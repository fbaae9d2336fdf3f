// SPDX-License-Identifier: GPL-2.0-only
// daxfmap cp SRC... DST: copies regular files into a daxfmap mount, each one
// read whole first, then created with its size (files are preallocated)
// and filled.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/fd_io.hpp"
#include "cli/report.hpp"
#include "daxfmapd/client.hpp"
#include "libdaxfmap/size_parse.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::vector<std::string> args; // SRC... DST
	std::string strips;
	std::string chunk;
	bool verbose = false;
};

// 1 MiB: the daemon's max_write, one FUSE request per call.
constexpr size_t kBuffer = size_t{1} << 20;

// Copies `in` to `out` until EOF, or until more than `max` bytes came (it
// stops one byte past, so the caller can tell).  Returns the bytes copied.
Result<uint64_t> copy_fd(int in, const std::string &in_name, int out, const std::string &out_name,
			 uint64_t max = UINT64_MAX)
{
	std::vector<char> buf(kBuffer);
	uint64_t done = 0;
	while (done <= max) {
		const uint64_t left = max - done; // + 1 would wrap for max = UINT64_MAX
		const size_t want = left < buf.size() ? static_cast<size_t>(left) + 1 : buf.size();
		const ssize_t n = ::read(in, buf.data(), want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sys_error(errno, in_name, "cannot read");
		if (n == 0)
			break;
		if (auto w = write_all(out, {buf.data(), static_cast<size_t>(n)}, out_name); !w)
			return w.error();
		done += static_cast<uint64_t>(n);
	}
	return done;
}

// An unlinked temporary file: it holds a source until its size is known,
// and disappears with its descriptor.
Result<int> make_spool()
{
	const char *tmp = std::getenv("TMPDIR");
	std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/daxfmap-cp-XXXXXX";
	const int fd = ::mkostemp(name.data(), O_CLOEXEC);
	if (fd < 0)
		return sys_error(errno, name, "cannot create a temporary file");
	::unlink(name.c_str());
	return fd;
}

// Free bytes in the file system that will hold `dst`.
Result<uint64_t> free_space(const std::string &dst)
{
	std::string dir = std::filesystem::path(dst).parent_path().string();
	if (dir.empty())
		dir = ".";
	struct statvfs vfs {};
	if (::statvfs(dir.c_str(), &vfs) != 0)
		return sys_error(errno, dir, "cannot statvfs");
	return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

// A daxfmap file's size is fixed when it is created (its space is allocated
// then), so it must be known first, and st_size does not tell it: /proc
// and /sys files say 0 or 4096 whatever they hold, and a file may grow as
// it is read.  So the source is read to EOF into a spool first (a temporary
// file, not memory: a source may be as large as the device), at most one
// byte past the free space; only then is the copy created, at the size
// read, and filled from the spool.  Whatever fails, no copy is left.
Result<void> copy_one(const std::string &src, const std::string &dst, const std::string &striping)
{
	Fd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
	if (in.get() < 0)
		return sys_error(errno, src, "cannot open");
	struct stat st;
	if (::fstat(in.get(), &st) != 0)
		return sys_error(errno, src, "cannot stat");
	if (!S_ISREG(st.st_mode))
		return sys_error(S_ISDIR(st.st_mode) ? EISDIR : EINVAL, src, "not a regular file");

	auto room = free_space(dst);
	if (!room)
		return room.error();
	auto spool_fd = make_spool();
	if (!spool_fd)
		return spool_fd.error();
	Fd spool(*spool_fd);
	auto size = copy_fd(in.get(), src, spool.get(), "the temporary copy of " + src, *room);
	if (!size)
		return size.error();
	if (*size > *room)
		return Error{.errnum = ENOSPC,
			     .field = src,
			     .expected = "at most " + std::to_string(*room) + " bytes, the free space where " + dst +
					 " goes",
			     .found = "more"};
	if (::lseek(spool.get(), 0, SEEK_SET) != 0)
		return sys_error(errno, "the temporary copy of " + src, "cannot seek");

	auto created = daemon::create_allocated(dst, st.st_mode & 07777, "size=" + std::to_string(*size) + striping);
	if (!created)
		return created.error();
	Fd out(*created);
	auto fail = [&](Error e) -> Result<void> {
		(void)out.close(dst);
		::unlink(dst.c_str());
		return e;
	};
	auto copied = copy_fd(spool.get(), "the temporary copy of " + src, out.get(), dst);
	if (!copied)
		return fail(copied.error());
	if (*copied != *size)
		return fail(Error{.errnum = EIO,
				  .field = "the temporary copy of " + src,
				  .expected = std::to_string(*size) + " bytes",
				  .found = std::to_string(*copied)});
	if (auto c = out.close(dst); !c)
		return fail(c.error());
	return {};
}

int run(Io &io, const Options &o)
{
	if (o.args.size() < 2) {
		print_failure(io, "cp", {.errnum = EINVAL, .field = "arguments", .expected = "SRC... DST"});
		return kExitUsage;
	}
	std::string striping;
	if (!o.strips.empty()) {
		auto s = parse_size(o.strips, "--strips");
		auto c = parse_size(o.chunk.empty() ? "2M" : o.chunk, "--chunk");
		for (const Error *e : {s ? nullptr : &s.error(), c ? nullptr : &c.error()})
			if (e) {
				print_failure(io, "cp", *e);
				return kExitUsage;
			}
		striping = ",strips=" + std::to_string(*s) + ",chunk=" + std::to_string(*c);
	}
	const std::string &dst = o.args.back();
	struct stat st;
	const bool dst_dir = ::stat(dst.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
	if (o.args.size() > 2 && !dst_dir) {
		print_failure(io, "cp", {.errnum = ENOTDIR, .field = dst, .expected = "a directory when copying several files"});
		return kExitUsage;
	}
	int code = kExitOk;
	for (size_t i = 0; i + 1 < o.args.size(); i++) {
		const std::string &src = o.args[i];
		const std::string target =
			dst_dir ? (std::filesystem::path(dst) / std::filesystem::path(src).filename()).string() : dst;
		if (auto r = copy_one(src, target, striping); !r) {
			print_failure(io, "cp", r.error());
			code = kExitInvalid;
			continue;
		}
		if (o.verbose)
			io.out << "copied " << src << " -> " << target << "\n" << std::flush;
	}
	return code;
}

} // namespace

Verb add_cp(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("cp", "Copy files into a daxfmap mount");
	cmd->add_option("ARGS", o->args, "SRC... DST (DST a directory when there are several sources)")->required();
	cmd->add_option("--strips,-N", o->strips, "Stripe each copy over N strips");
	cmd->add_option("--chunk,-C", o->chunk, "Chunk size when striping (default 2M)");
	cmd->add_flag("--verbose,-v", o->verbose, "Print a line for each file copied");
	cmd->footer("Each source is read to its end first, into a temporary file in $TMPDIR (its\n"
		    "st_size is not trusted: /proc files say 0), then its copy is created at that\n"
		    "size, its space allocated at once, and filled.  A copy that fails is removed.\n\n"
		    "Example:\n  daxfmap cp data/*.bin /mnt/dax/data/");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

// SPDX-License-Identifier: GPL-2.0-only
// daxfmap cp SRC... DST: copies regular files into a daxfmap mount, each one
// created with its final size first (files are preallocated), then filled.
#include <cerrno>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.hpp"
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

Result<void> copy_one(const std::string &src, const std::string &dst, const std::string &striping)
{
	int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return daemon::sys_error(errno, src, "cannot open");
	struct stat st;
	if (::fstat(in, &st) != 0) {
		const int err = errno;
		::close(in);
		return daemon::sys_error(err, src, "cannot stat");
	}
	if (!S_ISREG(st.st_mode)) {
		::close(in);
		return daemon::sys_error(S_ISDIR(st.st_mode) ? EISDIR : EINVAL, src, "not a regular file");
	}
	auto out = daemon::create_allocated(dst, st.st_mode & 07777,
					    "size=" + std::to_string(st.st_size) + striping);
	if (!out) {
		::close(in);
		return out.error();
	}
	std::vector<char> buf(kBuffer);
	Result<void> r;
	for (;;) {
		ssize_t n = ::read(in, buf.data(), buf.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = daemon::sys_error(errno, src, "read");
			break;
		}
		if (n == 0)
			break;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = ::write(*out, buf.data() + done, static_cast<size_t>(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				r = daemon::sys_error(w < 0 ? errno : EIO, dst, "write");
				break;
			}
			done += w;
		}
		if (!r)
			break;
	}
	::close(in);
	if (::close(*out) != 0 && r)
		r = daemon::sys_error(errno, dst, "close");
	return r;
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
	cmd->footer("Each copy is created with the source's size (its space allocated at once),\n"
		    "then filled; a copy that cannot be allocated is not created.\n\n"
		    "Example:\n  daxfmap cp data/*.bin /mnt/dax/data/");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

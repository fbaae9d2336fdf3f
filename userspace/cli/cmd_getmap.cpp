// SPDX-License-Identifier: GPL-2.0-only
// daxfmap getmap FILE [--json]: a file's fmap as the daemon would send it in
// GET_FMAP (read through the mount), as famfs-compatible YAML or JSON.
#include <cerrno>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "daxfmapd/client.hpp"
#include "libdaxfmap/fmap_text.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string file;
	bool json = false;
};

// The path of `real` relative to the root of the mount it is on: the
// highest ancestor on the same device.
std::string relative_to_mount(const std::string &real, dev_t dev)
{
	std::filesystem::path p = real, root = real;
	for (std::filesystem::path q = p.parent_path(); !q.empty(); q = q.parent_path()) {
		struct stat st;
		if (::stat(q.c_str(), &st) != 0 || st.st_dev != dev)
			break;
		root = q;
		if (q == q.root_path())
			break;
	}
	return p.lexically_relative(root).string();
}

int run(Io &io, const Options &o)
{
	char real[PATH_MAX];
	struct stat st;
	if (::realpath(o.file.c_str(), real) == nullptr || ::stat(real, &st) != 0) {
		print_failure(io, "getmap", daemon::sys_error(errno, o.file, "cannot open"));
		return kExitUsage;
	}
	if (!S_ISREG(st.st_mode)) {
		print_failure(io, "getmap", daemon::sys_error(S_ISDIR(st.st_mode) ? EISDIR : EINVAL, o.file,
							      "not a regular file"));
		return kExitUsage;
	}
	auto bytes = daemon::get_xattr(real, daemon::kXattrFmap);
	if (!bytes) {
		Error e = bytes.error();
		if (e.errnum == ENODATA || e.errnum == ENOTSUP)
			e.found += " (not a file in a daxfmap mount)";
		print_failure(io, "getmap", e);
		return kExitUsage;
	}
	FileRecord rec;
	if (!bytes->empty() && st.st_size != 0) { // an empty file has no extents yet
		const auto *p = reinterpret_cast<const uint8_t *>(bytes->data());
		auto d = decode_fmap({p, bytes->size()}, limits_for(Profile::Extended));
		if (!d) {
			print_failure(io, "getmap", d.error());
			return kExitInvalid;
		}
		rec.fmap = std::move(d->fmap);
	}
	rec.path = relative_to_mount(real, st.st_dev);
	rec.mode = st.st_mode & 07777;
	rec.uid = st.st_uid;
	rec.gid = st.st_gid;
	rec.fmap.file_size = static_cast<uint64_t>(st.st_size);
	if (auto flags = daemon::get_xattr(real, daemon::kXattrFlags); flags)
		rec.flags = static_cast<uint32_t>(std::strtoul(flags->c_str(), nullptr, 10));
	io.out << (o.json ? to_json(rec) + "\n" : to_yaml(rec));
	return kExitOk;
}

} // namespace

Verb add_getmap(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("getmap", "Show a file's fmap, read through a daxfmap mount");
	cmd->add_option("FILE", o->file, "A file in a daxfmap mount")->required();
	cmd->add_flag("--json", o->json, "JSON instead of famfs YAML");
	cmd->footer("The fmap is the daemon's GET_FMAP reply (xattr user.daxfmap.fmap), with the\n"
		    "path relative to the mount and the file's mode, uid and gid.\n\n"
		    "Example:\n  daxfmap getmap /mnt/dax/a");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

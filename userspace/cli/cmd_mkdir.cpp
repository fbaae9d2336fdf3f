// SPDX-License-Identifier: GPL-2.0-only
// daxfmap mkdir PATH... [--mode M] [-p]: directories in a daxfmap mount.
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "daxfmapd/client.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::vector<std::string> paths;
	std::string mode = "0755";
	bool parents = false;
};

int run(Io &io, const Options &o)
{
	char *end = nullptr;
	const unsigned long mode = std::strtoul(o.mode.c_str(), &end, 8);
	if (o.mode.empty() || *end || mode > 07777) {
		print_failure(io, "mkdir", {.errnum = EINVAL, .field = "--mode", .expected = "octal permission bits",
					    .found = "'" + o.mode + "'"});
		return kExitUsage;
	}
	int code = kExitOk;
	for (const std::string &p : o.paths) {
		std::vector<std::string> todo{p};
		if (o.parents) {
			// Every missing ancestor, outermost first.
			todo.clear();
			for (std::filesystem::path q = p; !q.empty() && q != q.root_path(); q = q.parent_path()) {
				struct stat st;
				if (::stat(q.c_str(), &st) == 0)
					break;
				todo.insert(todo.begin(), q.string());
			}
		}
		for (const std::string &d : todo)
			if (::mkdir(d.c_str(), static_cast<mode_t>(mode)) != 0 && !(o.parents && errno == EEXIST)) {
				print_failure(io, "mkdir", daemon::sys_error(errno, d, "cannot create directory"));
				code = kExitInvalid;
				break;
			}
	}
	return code;
}

} // namespace

Verb add_mkdir(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("mkdir", "Create directories in a daxfmap mount");
	cmd->add_option("PATH", o->paths, "Directories to create")->required();
	cmd->add_option("--mode,-m", o->mode, "Permission bits, octal")->capture_default_str();
	cmd->add_flag("--parents,-p", o->parents, "Create missing parents; an existing directory is fine");
	cmd->footer("Example:\n  daxfmap mkdir -p /mnt/dax/data/set1");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

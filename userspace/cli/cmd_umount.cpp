// SPDX-License-Identifier: GPL-2.0-only
// daxfmap umount MOUNTPOINT: unmounts a daxfmap file system and waits for
// its daemon to finish (it unpins its BPF instance on the way out).
#include <cerrno>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include <limits.h>
#include <stdlib.h>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "daxfmapd/client.hpp"
#include "daxfmapd/launch.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string mountpoint;
	bool lazy = false;
	int wait_seconds = 30;
};

int run(Io &io, const Options &o)
{
	char real[PATH_MAX];
	const std::string mnt = ::realpath(o.mountpoint.c_str(), real) ? real : o.mountpoint;
	pid_t pid = 0;
	if (auto v = daemon::get_xattr(mnt, daemon::kXattrPid); v)
		pid = static_cast<pid_t>(std::atol(v->c_str()));
	else if (v.error().errnum == ENODATA || v.error().errnum == ENOTSUP) {
		print_failure(io, "umount", {.errnum = EINVAL, .field = mnt, .expected = "a daxfmap mount",
					     .found = "no daemon answers there"});
		return kExitInvalid;
	}
	// (ENOTCONN: the daemon is gone; the mount can still be taken away.)
	auto r = daemon::unmount_and_wait(mnt, pid, o.lazy, std::chrono::seconds(o.wait_seconds));
	if (!r) {
		print_failure(io, "umount", r.error());
		return kExitInvalid;
	}
	return kExitOk;
}

} // namespace

Verb add_umount(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("umount", "Unmount a daxfmap file system and wait for its daemon");
	cmd->add_option("MOUNTPOINT", o->mountpoint, "The mount")->required();
	cmd->add_flag("--lazy,-l", o->lazy, "Detach now even if files are open (MNT_DETACH)");
	cmd->add_option("--wait", o->wait_seconds, "Seconds to wait for the daemon to exit")->capture_default_str();
	cmd->footer("Example:\n  daxfmap umount /mnt/dax");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

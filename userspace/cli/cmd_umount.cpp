// SPDX-License-Identifier: GPL-2.0-only
// daxfmap umount MOUNTPOINT: unmounts a daxfmap file system and waits for
// its daemon to finish (it unpins its BPF instance on the way out).
#include <cerrno>
#include <chrono>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "daxfmapd/client.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string mountpoint;
	bool lazy = false;
	int wait_seconds = 30;
};

bool alive(pid_t pid)
{
	if (::kill(pid, 0) != 0)
		return false;
	// A zombie has finished; its parent may just not have reaped it yet.
	std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
	std::string line;
	std::getline(in, line);
	const size_t close = line.rfind(')');
	return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

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
	if (::umount2(mnt.c_str(), o.lazy ? MNT_DETACH : 0) != 0) {
		Error e = daemon::sys_error(errno, mnt, "umount");
		if (errno == EBUSY)
			e.found += " (files are open; --lazy detaches it now)";
		print_failure(io, "umount", e);
		return kExitInvalid;
	}
	if (pid > 0) {
		const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.wait_seconds);
		while (alive(pid)) {
			if (std::chrono::steady_clock::now() > deadline) {
				io.err << "daxfmap umount: " << mnt << " unmounted, but daxfmapd (pid " << pid
				       << ") is still running after " << o.wait_seconds << " s\n";
				return kExitInvalid;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
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

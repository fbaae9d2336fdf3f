// SPDX-License-Identifier: GPL-2.0-only
// Starting daxfmapd on a mount and taking the mount down again, as
// `daxfmap mount` / `daxfmap umount` and the benchmark do it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

#include "libdaxfmap/result.hpp"

namespace daxfmap::daemon {

// daxfmapd beside the running program (a build tree or an install), else
// $DAXFMAPD, else "daxfmapd" from the PATH.
std::string find_daemon();

struct LaunchOptions {
	std::string daemon;                   // path of daxfmapd (find_daemon())
	std::string device;
	std::string mountpoint;
	std::vector<std::string> extra_args;  // e.g. --no-bpf, --read-only
	bool detach = true;                   // a session of its own, stdout to /dev/null
	std::string log;                      // detached: the daemon's log file, or none
};

struct Launched {
	pid_t pid = -1;
	std::string report; // the daemon's mount report ("path in force: ...")
};

// Starts the daemon in the background and returns once the mount serves
// requests, with the daemon's report.  If the daemon gives up first (it says
// why on stderr), an Error with its exit status: errnum EINVAL for a usage
// error (exit 2), EIO otherwise.
Result<Launched> launch_daemon(const LaunchOptions &o);

// Whether pid is still running (a zombie counts as finished).
bool process_alive(pid_t pid);

// Unmounts `mountpoint` (MNT_DETACH if lazy) and waits up to `wait` for its
// daemon (pid, if > 0) to exit.  EBUSY says files are still open.
Result<void> unmount_and_wait(const std::string &mountpoint, pid_t pid, bool lazy,
			      std::chrono::milliseconds wait);

} // namespace daxfmap::daemon

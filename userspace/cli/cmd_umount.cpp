// SPDX-License-Identifier: GPL-2.0-only
// daxfmap umount MOUNTPOINT: unmounts a daxfmap file system and waits for
// its daemon to finish (it unpins its BPF instance on the way out).  A
// daemon that died (killed with -9) unpinned nothing: its orphaned
// instances are removed here, also when the mount itself is already gone.
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include <limits.h>
#include <stdlib.h>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "daxfmapd/client.hpp"
#include "daxfmapd/launch.hpp"
#include "libdaxfmap_bpf/pin_owner.hpp"
#include "libdaxfmap_bpf/pinned.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string mountpoint;
	bool lazy = false;
	int wait_seconds = 30;
	std::string bpffs_root = bpf::kDefaultBpffsRoot;
};

// The mountpoint as the daemon recorded it (its realpath).  A mount whose
// daemon is gone cannot be resolved (ENOTCONN): then its parent's realpath
// and its name.
std::string canonical_mountpoint(const std::string &m)
{
	char real[PATH_MAX];
	if (::realpath(m.c_str(), real))
		return real;
	const std::filesystem::path p = std::filesystem::path(m).lexically_normal();
	const std::string parent = p.has_parent_path() ? p.parent_path().string() : ".";
	if (p.has_filename() && ::realpath(parent.c_str(), real))
		return (std::filesystem::path(real) / p.filename()).string();
	return m;
}

int run(Io &io, const Options &o)
{
	const std::string mnt = canonical_mountpoint(o.mountpoint);
	pid_t pid = 0;
	bool mounted = true;
	if (auto v = daemon::get_xattr(mnt, daemon::kXattrPid); v)
		pid = static_cast<pid_t>(std::atol(v->c_str()));
	else if (v.error().errnum == ENODATA || v.error().errnum == ENOTSUP)
		mounted = false; // a plain directory: no daxfmap mount (any more)
	// (ENOTCONN: the daemon is gone; the mount can still be taken away.)
	if (mounted) {
		auto r = daemon::unmount_and_wait(mnt, pid, o.lazy, std::chrono::seconds(o.wait_seconds));
		if (!r) {
			print_failure(io, "umount", r.error());
			return kExitInvalid;
		}
	}
	auto orphans = bpf::remove_orphans(o.bpffs_root, mnt);
	if (!orphans) {
		print_failure(io, "umount", orphans.error());
		return kExitInvalid;
	}
	for (const bpf::Orphan &x : *orphans)
		io.out << "daxfmap umount: removed the orphaned BPF instance " << x.instance << " of " << mnt
		       << " (its daxfmapd, pid " << x.owner.pid << ", is gone)\n";
	if (!mounted && orphans->empty()) {
		print_failure(io, "umount", {.errnum = EINVAL, .field = mnt, .expected = "a daxfmap mount",
					     .found = "no daemon answers there, and no orphaned BPF instance of it"});
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
	cmd->add_option("--bpffs-root", o->bpffs_root, "Where the mount's BPF instance is pinned")
		->capture_default_str();
	cmd->footer("The daemon unpins its BPF instance when it exits.  One that died (kill -9)\n"
		    "could not: umount removes the instances pinned for MOUNTPOINT whose daemon is\n"
		    "gone, and says so, also when nothing is mounted there any more.\n\n"
		    "Example:\n  daxfmap umount /mnt/dax");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

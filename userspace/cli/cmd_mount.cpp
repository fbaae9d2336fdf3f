// SPDX-License-Identifier: GPL-2.0-only
// daxfmap mount DEVICE MOUNTPOINT: starts daxfmapd on the device.  In the
// background (the default) it returns once the mount serves requests and
// prints the daemon's report, the path in force among it.
#include <cerrno>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "daxfmapd/client.hpp"
#include "daxfmapd/launch.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string device;
	std::string mountpoint;
	bool foreground = false;
	std::string bpf_instance;
	std::string bpffs_root;
	bool no_bpf = false;
	std::string message_path = "on";
	std::string strategy = "digest";
	std::string log;
	bool read_only = false;
};

int run(Io &io, const Options &o)
{
	const std::string daemon = daemon::find_daemon();
	std::vector<std::string> extra{"--message-path", o.message_path, "--strategy", o.strategy};
	if (!o.bpf_instance.empty())
		extra.insert(extra.end(), {"--bpf-instance", o.bpf_instance});
	if (!o.bpffs_root.empty())
		extra.insert(extra.end(), {"--bpf-root", o.bpffs_root});
	if (o.no_bpf)
		extra.push_back("--no-bpf");
	if (o.read_only)
		extra.push_back("--read-only");
	io.out.flush();
	io.err.flush();
	if (o.foreground) {
		std::vector<std::string> args{daemon, o.device, o.mountpoint};
		args.insert(args.end(), extra.begin(), extra.end());
		std::vector<char *> argv;
		for (auto &a : args)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		::execvp(argv[0], argv.data());
		print_failure(io, "mount", daemon::sys_error(errno, daemon, "cannot run the daemon"));
		return kExitUsage;
	}
	auto l = daemon::launch_daemon({.daemon = daemon, .device = o.device, .mountpoint = o.mountpoint,
					.extra_args = extra, .detach = true, .log = o.log});
	if (l) {
		io.out << l->report;
		return kExitOk;
	}
	// The daemon said why on stderr.
	io.err << "daxfmap mount: " << o.device << " was not mounted on " << o.mountpoint << " ("
	       << l.error().found << ")\n";
	return l.error().errnum == EINVAL ? kExitUsage : kExitInvalid;
}

} // namespace

Verb add_mount(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("mount", "Mount a daxfmap file system (starts daxfmapd)");
	cmd->add_option("DEVICE", o->device, "The device or emulated device file")->required();
	cmd->add_option("MOUNTPOINT", o->mountpoint, "An existing directory")->required();
	cmd->add_flag("--foreground,-F", o->foreground, "Run the daemon in this terminal until unmounted");
	cmd->add_option("--bpf-instance", o->bpf_instance, "Name of the pinned BPF instance (default: from the mountpoint)");
	cmd->add_option("--bpffs-root", o->bpffs_root, "Where to pin it (default: /sys/fs/bpf/daxfmap)");
	cmd->add_flag("--no-bpf", o->no_bpf, "Do not load the BPF strategies");
	cmd->add_option("--message-path", o->message_path, "Accept FUSE_DAX_FMAP when the kernel offers it")
		->check(CLI::IsMember({"on", "off"}))->capture_default_str();
	cmd->add_option("--strategy", o->strategy,
			"BPF strategy bound to the kernel's BPF fmap hook, where there is one")
		->check(CLI::IsMember({"hash", "flat", "digest"}))->capture_default_str();
	cmd->add_option("--log", o->log, "Background daemon's log file (default: none)");
	cmd->add_flag("--read-only", o->read_only, "Mount read-only");
	cmd->footer("Prints which path resolves file offsets for this mount and why: bpf-hook (the\n"
		    "kernel has the BPF fmap hook fuse_dax_fmap_ops and the daemon bound --strategy to\n"
		    "its connection; files the strategy cannot hold, such as hash past 32 extents,\n"
		    "take the message path, and the report says how many), message (the kernel\n"
		    "offered FUSE_DAX_FMAP) or plain (the daemon serves read, write and mmap).  A\n"
		    "hook that cannot be attached leaves the message path, with the reason.  Needs\n"
		    "root.\n\n"
		    "The daemon pins its BPF instance for the mount, recording itself as the owner,\n"
		    "and first removes the instances orphaned by an earlier daemon of the same\n"
		    "mountpoint that died (kill -9).  It refuses a pin tree another user could\n"
		    "change (see daxfmap bpf load --help) and carries on without BPF.\n\n"
		    "Example:\n  daxfmap mount /var/tmp/daxfmap.img /mnt/dax");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

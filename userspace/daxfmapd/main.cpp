// SPDX-License-Identifier: GPL-2.0-only
// daxfmapd DEVICE MOUNTPOINT: the daxfmap file system daemon.  Usually
// started by `daxfmap mount`; runs in the foreground until unmounted.
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include <CLI/CLI.hpp>

#include "daxfmapd/daemon.hpp"

namespace {

int run(int argc, char **argv)
{
	daxfmap::daemon::DaemonOptions o;
	std::string message = "on";
	CLI::App app{"daxfmapd - serves a daxfmap file system over FUSE from a DAX device\n"
		     "(/dev/daxX.Y, /dev/pmemN, or an emulated device file made by daxfmap mkfs).",
		     "daxfmapd"};
	app.add_option("DEVICE", o.device, "The device holding the file system")->required();
	app.add_option("MOUNTPOINT", o.mountpoint, "Where to mount (not with --fuse-fd)");
	app.add_option("--fuse-fd", o.fuse_fd, "Serve this open FUSE connection (e.g. a socket to a test peer)");
	app.add_option("--ready-fd", o.ready_fd, "Write the mount report here, then close it");
	app.add_flag("--background", o.background, "After the mount is ready, detach stdout/stderr");
	app.add_option("--log", o.log_path, "With --background: append the log to this file");
	app.add_option("--bpf-instance", o.bpf_instance, "Pinned BPF instance name (default: from the mountpoint)");
	app.add_option("--bpf-root", o.bpf_root, "bpffs directory of the instances")->capture_default_str();
	app.add_option("--strategy", o.strategy,
		       "The BPF strategy that resolves faults on a kernel with the BPF fmap hook "
		       "(fuse_dax_fmap_ops); files it cannot hold take the message path")
		->check(CLI::IsMember({"hash", "flat", "digest"}))->capture_default_str();
	bool no_bpf = false;
	app.add_flag("--no-bpf", no_bpf, "Do not load the BPF strategies");
	app.add_option("--message-path", message,
		       "Accept FUSE_DAX_FMAP when the kernel offers it (on: for a pmem device only; "
		       "any-device: whatever the device is, for a FUSE peer that stands in for the "
		       "kernel and opens no device)")
		->check(CLI::IsMember({"on", "off", "any-device"}))->capture_default_str();
	app.add_option("--threads", o.threads, "Most FUSE worker threads")->capture_default_str()
		->check(CLI::Range(1, 256));
	app.add_flag("--read-only", o.read_only, "Mount read-only");
	app.add_option("--btf", o.btf_path, "Kernel BTF to probe for a BPF fmap hook")->capture_default_str();
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e) == 0 ? 0 : 2;
	}
	o.bpf = !no_bpf;
	o.message_path = message != "off";
	o.message_path_any_device = message == "any-device";
	if ((o.fuse_fd >= 0) == !o.mountpoint.empty()) {
		std::cerr << "daxfmapd: give either MOUNTPOINT or --fuse-fd, not "
			  << (o.fuse_fd >= 0 ? "both" : "neither") << "\n";
		return 2;
	}
	return daxfmap::daemon::run_daemon(o, std::cerr);
}

} // namespace

int main(int argc, char **argv)
{
	try {
		return run(argc, argv);
	} catch (const std::bad_alloc &) {
		std::cerr << "daxfmapd: out of memory\n";
	} catch (const std::exception &e) {
		std::cerr << "daxfmapd: internal error: " << e.what() << "\n";
	}
	return 1;
}

// SPDX-License-Identifier: GPL-2.0-only
// daxfmapd: serves a daxfmap file system over FUSE (libfuse 3 low level,
// multi-threaded), keeps the BPF maps in sync, and answers the
// FUSE_DAX_FMAP message path when the kernel offers it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace daxfmap::daemon {

struct DaemonOptions {
	std::string device;      // device spec (Device::open)
	std::string mountpoint;  // mount here with mount(2) (unless fuse_fd >= 0)
	int fuse_fd = -1;        // serve this already-open FUSE connection instead
	int ready_fd = -1;       // write the mount report here and close it once INIT is done
	bool background = false; // after ready: stdio to /dev/null (or log), keep serving
	std::string log_path;    // background: append the log here
	bool bpf = true;         // load and sync the BPF strategies
	std::string bpf_instance;                  // empty: derived from the mountpoint
	std::string bpf_root = "/sys/fs/bpf/daxfmap";
	uint32_t bpf_max_files = 65536;
	// The strategy bound to the kernel's BPF hook, where there is one: hash,
	// flat or digest.
	std::string strategy = "digest";
	bool message_path = true; // accept FUSE_DAX_FMAP when offered
	// ... even when the device is not a pmem block device (a stand-in
	// kernel: tests/fuse_peer).
	bool message_path_any_device = false;
	std::string btf_path = "/sys/kernel/btf/vmlinux";
	uint32_t threads = 8;     // most worker threads
	bool read_only = false;
};

// Mounts (or attaches to fuse_fd), serves until unmounted or told to stop
// (SIGINT, SIGTERM, SIGHUP), and returns an exit status: 0 after a clean
// unmount, 1 when the device or the mount is refused (the reason on `err`),
// 2 for bad options.
int run_daemon(const DaemonOptions &opts, std::ostream &err);

} // namespace daxfmap::daemon

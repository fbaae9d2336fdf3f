// SPDX-License-Identifier: GPL-2.0-only
// Who owns a pinned instance, and the orphans no one owns any more.
//
// The owner is recorded when the instance is made, as a bpffs symlink
// <instance>/owner (bpffs holds no regular files) whose target is text:
//   "daxfmapd pid=P start=T mount=M"  a daemon's instance for the mount at M
//   "bpf-load"                        made by `daxfmap bpf load`
// T is the process's start time (clock ticks after boot, /proc/P/stat field
// 22), so that a reused pid is not taken for the daemon.  A daemon's
// instance is in use while process P runs with start time T; once it is
// gone (killed with -9, say) the instance is orphaned: nothing keeps its
// maps in sync and nothing will unpin them.  Pins do not survive a reboot,
// nor do pids, so the record never outlives what it names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "libdaxfmap/result.hpp"

namespace daxfmap::bpf {

inline constexpr const char *kOwnerLink = "owner";

struct PinOwner {
	enum class Kind { Daemon, BpfLoad };
	Kind kind = Kind::BpfLoad;
	pid_t pid = 0;          // Daemon only
	uint64_t start = 0;     // Daemon only: the process's start time
	std::string mountpoint; // Daemon only (empty: a --fuse-fd daemon)
};

enum class PinState {
	InUse,    // its daemon runs
	Orphaned, // its daemon is gone
	Loaded,   // by `daxfmap bpf load`: stays until `daxfmap bpf unload`
	Unknown,  // no owner record (made by hand, or by an older daxfmap)
};

// The start time of a running process; nullopt if it is gone or a zombie.
std::optional<uint64_t> process_start(pid_t pid);

// This process as the daemon serving `mountpoint`.
PinOwner daemon_owner(const std::string &mountpoint);

// Writes the record into an instance directory (it must have none yet).
Result<void> record_owner(const std::string &instance_dir, const PinOwner &owner);
// The record, or nullopt if there is none (or it is not daxfmap's).
std::optional<PinOwner> read_owner(const std::string &instance_dir);
PinState pin_state(const std::optional<PinOwner> &owner);
// "in-use", "orphaned", "loaded", "unknown"
std::string state_name(PinState s);
// One line for people: who owns it and what to do about an orphan.
std::string describe_owner(const std::string &instance, const std::optional<PinOwner> &owner);

struct Orphan {
	std::string instance;
	PinOwner owner;
};

// Unpins every orphaned instance under `root` whose daemon served
// `mountpoint`, and says which.  Nothing under root (or no root): none.
Result<std::vector<Orphan>> remove_orphans(const std::string &root, const std::string &mountpoint);

} // namespace daxfmap::bpf

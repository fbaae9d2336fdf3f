// SPDX-License-Identifier: GPL-2.0-only
// A strategy registered with the daxfmap kernel's BPF hook (struct_ops
// fuse_dax_fmap_ops, bpf/<strategy>_hook.bpf.c) over the maps of a pinned
// instance.  libbpf 1.1.2 registers a legacy .struct_ops map: the
// registration outlives the process, so it is pinned beside the instance
// (kHookPin) for the cleanup of a daemon that died, and ops names are
// system-wide, so each instance's ops get a name of their own, written into
// the object before it is opened (libbpf 1.1.2 cannot set it after open).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libdaxfmap/result.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

struct bpf_map;

namespace daxfmap::bpf {

// The registered ops' map, pinned in the instance directory.
inline constexpr const char *kHookPin = "hook_ops";
// FUSE_DAX_FMAP_OPS_NAME_MAX without the NUL.
inline constexpr size_t kHookNameMax = 15;

// The ops name of an instance: "dxf_" and 11 hex digits of a hash of the
// instance name, so that two instances (two mounts) never share one.
std::string hook_ops_name(std::string_view instance);

// The ELF object of <strategy>_hook (bpf/<strategy>_hook.bpf.c), whose ops
// are named "daxfmap_<strategy>"; empty for native.
std::span<const uint8_t> hook_object(Strategy s);
std::string hook_built_in_name(Strategy s);

// A copy of the BPF object `elf` with the ops name `from` in its
// .struct_ops section replaced by `to` (NUL-padded).  EINVAL if `to` is
// empty or longer than kHookNameMax, or if `from` is not in that section
// exactly once.
Result<std::vector<uint8_t>> patch_ops_name(std::span<const uint8_t> elf, std::string_view from,
					    std::string_view to);

class HookOps {
public:
	// Loads <strategy>_hook over the maps pinned in `maps_dir` (the
	// instance's <root>/<instance>/<strategy>), registers its ops as
	// `name`, and pins the registration at `pin_path`.  EEXIST: ops of that
	// name are registered already.
	static Result<std::unique_ptr<HookOps>> register_ops(Strategy s, const std::string &maps_dir,
							     const std::string &name,
							     const std::string &pin_path);
	// Unregisters (the kernel unbinds every connection bound to the ops
	// and falls back to the message path) and unpins.
	~HookOps();
	HookOps(const HookOps &) = delete;
	HookOps &operator=(const HookOps &) = delete;

	const std::string &name() const { return name_; }
	Strategy strategy() const { return strategy_; }

private:
	HookOps() = default;
	int map_fd_ = -1;
	Strategy strategy_ = Strategy::Digest;
	std::string name_, pin_path_;
};

// Registers the loaded legacy struct_ops map `ops` under the name in its
// ops, through the map alone (no link: Debian's libbpf 1.1.2 makes none for
// a legacy map), and returns a descriptor of the map, which holds the
// registration until its key 0 is deleted (or the map pinned and freed).
// EEXIST if ops of that name are registered already; `name` is for errors.
Result<int> register_struct_ops_map(struct bpf_map *ops, const std::string &name);

// Unregisters the ops pinned at `pin_path` by a daemon that is gone.
// Returns false if nothing is pinned there.
Result<bool> unregister_pinned_ops(const std::string &pin_path);

// Removes a pinned instance directory: the ops registered from it first
// (its kHookPin: a legacy registration belongs to the kernel and survives
// its pin, so unpinned alone the ops would stay registered, bound to no
// daemon, until reboot), then every pin.  What `bpf unload` and the orphan
// cleanup of a mount both do.
Result<void> remove_instance(const std::string &dir);

} // namespace daxfmap::bpf

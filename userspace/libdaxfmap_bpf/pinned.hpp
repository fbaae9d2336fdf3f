// SPDX-License-Identifier: GPL-2.0-only
// Loading daxfmap's strategies as a named instance pinned in bpffs, and
// inspecting what is pinned: /sys/fs/bpf/daxfmap/<instance>/<strategy>/,
// with the instance's owner (pin_owner.hpp).  Only a trusted pin tree
// (pin_tree.hpp) is read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libdaxfmap/result.hpp"
#include "libdaxfmap_bpf/pin_owner.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::bpf {

inline constexpr const char *kDefaultBpffsRoot = "/sys/fs/bpf/daxfmap";

// <root>/<instance>/<strategy>
std::string pin_dir(const std::string &root, const std::string &instance, Strategy s);
// Instance names become bpffs directory names: [A-Za-z0-9_-], 1..64 chars
// (bpffs refuses dots).
Result<void> check_instance_name(const std::string &instance);

struct PinnedMap {
	std::string name, path, type;
	uint32_t id = 0, key_size = 0, value_size = 0, max_entries = 0, mode = 0;
	uint64_t memlock = 0;
	uint64_t entries_used = 0; // fmaps held (file table / hash map), else 0
};

struct PinnedProg {
	std::string name, path, type;
	uint32_t id = 0, mode = 0, verified_insns = 0, xlated_bytes = 0, jited_bytes = 0;
};

struct PinnedStrategy {
	std::string strategy, dir;
	uint32_t dir_mode = 0;
	std::vector<PinnedMap> maps;
	std::vector<PinnedProg> progs;
};

struct PinnedInstance {
	std::string name, dir;
	std::optional<PinOwner> owner;
	PinState state = PinState::Unknown;
	std::vector<PinnedStrategy> strategies;
};

// Every instance under root (none is not an error; no bpffs mounted is).
Result<std::vector<PinnedInstance>> list_instances(const std::string &root);
Result<PinnedInstance> inspect_instance(const std::string &root, const std::string &instance);

} // namespace daxfmap::bpf

// SPDX-License-Identifier: GPL-2.0-only
// daxfmap verify MOUNTPOINT: a live mount's pinned BPF maps against the
// native resolver over each file's fmap, while the mount is in use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::cli {

struct VerifyMountOptions {
	std::string mountpoint;
	std::vector<bpf::Strategy> strategies; // the BPF ones to check
	uint32_t queries = 0;                  // per file
	uint64_t seed = 0;
	std::string bpffs_root;                // where the daemon pinned its instance
	bool json = false;
};

// Exit status: 0 every answer agrees, 1 a mismatch, 2 the check could not run.
int verify_mount(Io &io, const VerifyMountOptions &o);

} // namespace daxfmap::cli

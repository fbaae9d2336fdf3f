// SPDX-License-Identifier: GPL-2.0-only
// Runs the same files and queries through several resolvers and compares
// every answer with the native resolver's, bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <linux/daxfmap.h>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::bpf {

struct StrategyTally {
	Strategy strategy = Strategy::Native;
	uint64_t files_held = 0;
	uint64_t answers = 0;
	uint64_t mismatches = 0;
	uint64_t outside_device = 0;
};

struct DiffReport {
	uint64_t queries = 0;         // answers compared with native's, all strategies together
	uint64_t mismatches = 0;
	uint64_t outside_device = 0;  // OK answers that leave their device
	uint64_t refused_files = 0;   // files a strategy could not hold (hash)
	std::vector<std::string> first_failures; // a few, for the test log
	std::vector<StrategyTally> per_resolver; // in the order of the resolvers
	// Native's answers by status: proves the queries reached every path.
	uint64_t by_status[DAXFMAP_STATUS_MAX] = {};
};

struct DiffSetup {
	std::vector<Fmap> files;          // file i gets file id i
	std::vector<uint64_t> devices;    // device sizes shared by all files
	uint32_t queries_per_file = 200;
	uint64_t seed = 1;
};

// Installs setup.files into every resolver (replacing what file ids
// 0..n-1 held), then compares.  resolvers[0] must be the native one.
DiffReport run_differential(const std::vector<Resolver *> &resolvers, const DiffSetup &setup);

// Device sizes that fit every file's ranges exactly (the maximum end per
// device over all files).
std::vector<uint64_t> devices_for(const std::vector<Fmap> &files);

} // namespace daxfmap::bpf

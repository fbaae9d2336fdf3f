// SPDX-License-Identifier: GPL-2.0-only
// The benchmark's scenarios.  Each returns rows of medians over repeats; the
// strategies are measured in turn inside every repeat, so that a noisy
// machine shifts them all alike and the ratios to native hold.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "bench/stats.hpp"
#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::bench {

enum class Layout {
	Simple,      // mixed 2 MiB-multiple extent lengths: digest searches
	SimplePow2,  // one power-of-two length: digest shifts
	Interleaved, // 2 strips per interleaved extent, power-of-two chunks
};
std::string_view layout_name(Layout l);

struct Config {
	bool quick = false;
	unsigned repeats = 5;
	std::vector<uint32_t> extent_counts{1, 2, 32, 1024, 32768, 1u << 20};
	std::vector<Layout> layouts{Layout::Simple, Layout::SimplePow2, Layout::Interleaved};
	std::vector<bpf::Strategy> strategies{bpf::Strategy::Native, bpf::Strategy::Hash,
					      bpf::Strategy::Flat, bpf::Strategy::Digest};
	uint64_t seed = 1;
	double target_ms = 20;          // per timed repeat
	std::string daemon;             // open: daxfmapd to run (empty: find_daemon())
	std::string work_dir;           // open: where its device and mount go (empty: /dev/shm)
	std::string open_mount;         // open on the daxfmap kernel: a message-path daxfmapd mount
	// fault: extent counts (over 32 need fuse.dax_fmap_max_reply), the
	// fsdax device the files map, the test FUSE server that serves them.
	std::vector<uint32_t> fault_extents{1, 32};
	std::string dax_device;
	std::string fmapsrv = "fmapsrv";
	// fault: the designs measured against the message path, each bound to
	// a mount of its own with the kernel's BPF hook (hookctl registers them):
	// const, hash, flat, digest, fallback.
	std::vector<std::string> fault_designs{"const", "digest", "fallback", "hash", "flat"};
	std::string hookctl = "hookctl";
	std::ostream *progress = nullptr; // progress lines (stderr), or none
};

struct Row {
	std::string scenario; // resolve | open | update | memory | fault | fs | fault
	std::string strategy;
	std::string layout;
	uint32_t extents = 0;  // top-level extents of the fmap
	uint64_t ranges = 0;   // extents + strips: the device ranges
	std::string pattern;   // sequential | random, or "-"
	std::string metric;    // ns_per_lookup | us_per_open | extents_per_s | us_per_swap | bytes_per_extent
	                       // | us_per_pte_fault | us_per_pmd_fault | MiB_per_s_read
	               // | us_per_first_open | ratio_<metric> (fault: a design / message)
	std::string unit;
	Summary value;
	double ratio = NAN;    // value.median / the baseline's, where that means something
	std::string baseline = "native"; // what ratio compares with (open: "message", fault: "1 extent")
	uint64_t iterations = 0; // lookups per repeat (resolve)
	uint64_t extra = 0;    // memory: total bytes of the strategy's maps
	std::string note;      // why there is no value (a bounded layout refused it), caps
};

// The fmap a scenario uses for (layout, extents); interleaved counts are
// capped by the extended profile's 32 MiB reply (the note says so).
Fmap bench_fmap(Layout l, uint32_t extents, uint64_t seed, std::string *note);

std::vector<Row> run_resolve(const Config &c);
// Needs root (a FUSE mount); rows note why when the mount cannot be had.
std::vector<Row> run_open(const Config &c);
std::vector<Row> run_update(const Config &c);
std::vector<Row> run_memory(const Config &c);
// Needs the daxfmap kernel, root, an fsdax device and fmapsrv; one row
// noting why when any is missing.
std::vector<Row> run_fault(const Config &c);
// The file system's creates, grows and renames per second, and a mount of a
// 100K-entry log (replay, then the BPF maps filled one file at a time
// against upsert_many).  No FUSE, no root.
std::vector<Row> run_fs(const Config &c);

} // namespace daxfmap::bench

// SPDX-License-Identifier: GPL-2.0-only
// Compilers from an fmap to each BPF strategy's map layout (uapi/linux/daxfmap.h).
// Pure functions: no kernel needed, so the layouts are unit-tested directly.
// Each refuses, with a message naming the limit, an fmap it cannot hold; none
// ever truncates.  Input must be valid under the extended profile.
#pragma once

#include <cstdint>
#include <vector>

#include <linux/daxfmap.h>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/result.hpp"

namespace daxfmap::bpf {

// Strategy "hash": the whole fmap inline in one value.
Result<daxfmap_hash_fmap> compile_hash(const Fmap &fmap, uint64_t file_id, uint64_t gen);

// A file's run of pool entries plus the file-table fields that describe it
// (base and seq are filled in when the run is placed).
template <typename Entry>
struct Run {
	std::vector<Entry> entries;
	daxfmap_file file{}; // ext_type, nextents, file_size, nentries, shift, nstrips_total
};

// Strategy "flat": the wire order, one entry per extent, header and strip.
Result<Run<daxfmap_flat_ent>> compile_flat(const Fmap &fmap);

// Strategy "digest": the compiled index described in the uapi header.  Runs
// that would search (simple with non-uniform lengths, interleaved) get a
// bucket index from two extents on: measured in the kernel, a lookup whose
// bucket holds one extent skips the search call and beats even a one-step
// search, so no larger threshold pays.
Result<Run<daxfmap_digest_ent>> compile_digest(const Fmap &fmap);

} // namespace daxfmap::bpf

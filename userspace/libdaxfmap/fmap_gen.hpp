// SPDX-License-Identifier: GPL-2.0-only
// Seeded random fmaps, queries and device tables: synthetic workloads for the
// tests, `daxfmap verify` and the benchmark.
//
// Everything is a pure function of its options and of a std::mt19937_64 the
// caller owns (or a seed), so a failing case is reproduced from its seed.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/limits.hpp"

namespace daxfmap::gen {

using Rng = std::mt19937_64;

enum class Layout { Simple, Interleaved, Any };

// Extent lengths (simple) or nbytes (interleaved).
enum class Lengths {
	UniformPow2,          // all the same power-of-two multiple of 2 MiB
	UniformPow2ShortLast, // the same, but the last one shorter (still 2 MiB aligned)
	Mixed,                // any multiples of 2 MiB, now and then a very large one
	Any,                  // one of the above, picked per fmap
};

enum class Chunks {
	Pow2,     // 2 MiB << k
	Multiple, // any multiple of 2 MiB, powers of two included
	Any,      // per interleaved extent, either
};

// file_size relative to the sum of extent lengths (simple) or of nbytes
// (interleaved).
enum class FileSize {
	ExactSum,     // == the sum
	InLastExtent, // inside the last extent: sum - last < file_size < sum
	Anywhere,     // uniform in [1, sum]
	Any,          // one of the above, picked per fmap
};

struct FmapOptions {
	Layout layout = Layout::Any;
	// V10: devindex 0 only, <= 32 extents, <= 32 strips, reply <= 4096 bytes.
	// Extended: up to 24 devices, the extended extent/strip/reply limits.
	// Generated fmaps always pass validation under this profile; the counts
	// below are clamped to what it allows.
	Profile profile = Profile::Extended;
	uint32_t min_extents = 1;
	uint32_t max_extents = 16;  // up to 1,048,576 (simple) under Extended
	uint32_t min_strips = 1;
	uint32_t max_strips = 8;    // up to 32
	uint32_t devices = 4;       // device indices used: 0..devices-1
	Lengths lengths = Lengths::Any;
	Chunks chunks = Chunks::Any;
	uint32_t max_chunk_units = 16; // chunk_size <= this * 2 MiB (at most 2047)
	// Simple: extent length <= this * 2 MiB (Mixed adds rare extents of up
	// to 64 GiB).
	uint32_t max_len_units = 64;
	// Interleaved: nbytes spans at most this many full stripes.
	uint32_t max_stripes = 4;
	FileSize file_size = FileSize::Any;
	// Leave random 2 MiB-aligned gaps between ranges on a device (otherwise
	// each device is packed from offset 0).
	bool gaps = true;
	// Shift every range up so that the highest one ends just below 2^64
	// (2 MiB aligned): tests overflow-safe arithmetic on valid fmaps.
	bool high_offsets = false;
};

// A random fmap valid under opts.profile: lengths, offsets and chunk sizes
// are 2 MiB multiples, nbytes > 0, each strip holds every full stripe its
// extent's nbytes reaches (strips of one extent are equal unless lengths are
// Mixed, which adds slack), sum >= file_size, no u64 overflow, and ranges on
// a device never overlap.  Linear in the extent count (1M extents in well
// under a second).
Fmap random_fmap(Rng &rng, const FmapOptions &opts = {});
Fmap random_fmap(uint64_t seed, const FmapOptions &opts = {});

// The file bytes resolvable from offset 0 under V10's walk: the sum of the
// simple extent lengths, or of min(nbytes, file_size) over interleaved
// extents up to the first that is 0.  Saturates at UINT64_MAX.
uint64_t mapped_size(const Fmap &fmap);

struct Query {
	uint64_t offset = 0;
	uint64_t length = 0;

	bool operator==(const Query &) const = default;
};

// Queries concentrated where resolvers go wrong: extent starts and ends,
// chunk (or, for simple fmaps, 2 MiB) boundaries, each +-1, the last byte of
// the file and of the mapped range, just and far past the end (UINT64_MAX
// included), plus uniform offsets; lengths from 1 byte to several chunks,
// exactly to the next boundary, and UINT64_MAX.  Never length 0.
class QueryGen {
public:
	// Keeps a reference to fmap: it must outlive the generator.
	QueryGen(const Fmap &fmap, uint64_t seed);
	QueryGen(Fmap &&, uint64_t) = delete; // would dangle

	Query next();
	std::vector<Query> batch(size_t n);
	uint64_t mapped_size() const { return starts_.back(); }

private:
	uint64_t pick(uint64_t lo, uint64_t hi); // uniform in [lo, hi]
	uint64_t random_offset();
	uint64_t random_length(uint64_t offset);
	size_t extent_at(uint64_t offset) const; // walked extent holding offset, or count

	const Fmap &fmap_;
	Rng rng_;
	std::vector<uint64_t> starts_; // file offset of each walked extent, then the end
	std::vector<uint64_t> chunk_;  // per walked extent: its chunk size (2 MiB for simple)
};

enum class Fit {
	Exact, // each referenced device ends exactly at its last range's end
	Slack, // each referenced device is larger by a random amount
};

// A device table for the fmap: sizes[i] for every index up to the largest
// referenced; devices no range refers to get 0 (absent).
std::vector<uint64_t> device_sizes(const Fmap &fmap, Fit fit, Rng &rng);
std::vector<uint64_t> device_sizes(const Fmap &fmap, Fit fit, uint64_t seed);

} // namespace daxfmap::gen

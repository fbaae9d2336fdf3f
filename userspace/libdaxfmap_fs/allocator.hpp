// SPDX-License-Identifier: GPL-2.0-only
// Space in 2 MiB units over [data offset, device size): contiguous and striped
// allocation, frees, and the overlap/bounds checks fsck uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/result.hpp"
#include "libdaxfmap_fs/device.hpp"

namespace daxfmap::fs {

// How a file's space is laid out: simple (nstrips == 0) or striped over
// nstrips strips in chunk-byte chunks.
struct Layout {
	uint32_t nstrips = 0;
	uint64_t chunk = 0; // a power of two, a multiple of 2 MiB

	static Layout simple() { return {}; }
	static Layout striped(uint32_t n, uint64_t chunk_bytes) { return {n, chunk_bytes}; }
	bool is_striped() const { return nstrips != 0; }
	bool operator==(const Layout &) const = default;
};

// EINVAL naming the field when a striped layout is unusable: nstrips outside
// 1..max_strips (the extended profile's 256), chunk not a power of two, not a
// multiple of 2 MiB, or over 1 GiB.
Result<void> check_layout(const Layout &layout, uint32_t max_strips);

// A bitmap of units.  Not thread-safe (the FileSystem holds its lock).
class Allocator {
public:
	// Units cover [data_offset, device_size); both multiples of kUnit.
	Allocator(uint64_t data_offset, uint64_t device_size);

	// An fmap for `size` bytes with device index 0 (size 0: no extents).
	// Simple: one extent if a long enough free run exists, else first-fit
	// pieces, at most max_extents of them.  Striped: one interleaved extent
	// with nbytes = size and nstrips equal strips, each contiguous and a
	// whole number of chunks (ceil(size / (nstrips * chunk)) chunks).
	// ENOSPC with the numbers when it does not fit; nothing is left
	// allocated on failure.
	Result<Fmap> allocate(uint64_t size, const Layout &layout,
			      uint32_t max_extents = kDefaultMaxExtents);

	// The simple fmap `fmap` grown to name at least `size` bytes (rounded up
	// to units), with file_size = size: the last extent grows in place while
	// the units after it are free, the rest comes as allocate() gives it
	// (one run, else first-fit pieces), and adjacent pieces merge.  At most
	// max_extents extents.  ENOSPC, or EINVAL for an interleaved fmap, with
	// nothing allocated.  Space it already names is kept as it is.
	Result<Fmap> grow(const Fmap &fmap, uint64_t size, uint32_t max_extents = kDefaultMaxExtents);
	// The fmap cut to the units that hold [0, keep) (keep rounded up to a
	// unit), file_size = size: the units past it are returned to the pool
	// and their ranges appended to `freed`.  An interleaved fmap is
	// returned as it is (only file_size changes; callers refuse to resize
	// striped files).
	Fmap shrink(const Fmap &fmap, uint64_t keep, uint64_t size, SimpleExtents *freed = nullptr);

	// Marks an existing fmap's ranges used (replay).  EINVAL if a range is
	// not unit aligned, lies outside the data area, or is on a device other
	// than 0; EEXIST if it overlaps space already used.  Nothing is marked on
	// failure.
	Result<void> mark_used(const Fmap &fmap);
	// Returns an fmap's units to the free pool.
	void release(const Fmap &fmap);

	uint64_t data_offset() const { return data_off_; }
	uint64_t total_units() const { return used_.size(); }
	uint64_t free_units() const { return free_; }
	uint64_t used_units() const { return used_.size() - free_; }
	bool unit_used(uint64_t index) const { return used_[index]; }

	static constexpr uint32_t kDefaultMaxExtents = kExtendedMaxExtents;

private:
	// First free run of at least `units` units, or npos.
	uint64_t find_run(uint64_t units) const;
	void set(uint64_t first, uint64_t count, bool used);

	uint64_t data_off_;
	std::vector<bool> used_;
	uint64_t free_;
};

// The device ranges an fmap names (simple extents, or every strip), each as
// (device, offset, length).
std::vector<SimpleExtent> fmap_ranges(const Fmap &fmap);

} // namespace daxfmap::fs

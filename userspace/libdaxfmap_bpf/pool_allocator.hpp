// SPDX-License-Identifier: GPL-2.0-only
// First-fit allocator of pool entries: where each file's run lives in a
// strategy's pool map.  Free ranges are coalesced on release (O(log n));
// allocation takes the first free range that fits (O(free ranges)).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace daxfmap::bpf {

class PoolAllocator {
public:
	explicit PoolAllocator(uint32_t capacity);

	// Index of `count` contiguous free entries, or nullopt if no free range
	// is that long (the pool is full or too fragmented).
	std::optional<uint32_t> allocate(uint32_t count);
	// Returns [base, base + count) to the free ranges.
	void release(uint32_t base, uint32_t count);
	// Marks [base, base + count) used, e.g. when attaching to a pool that
	// already holds runs.  False if any of it is not free.
	bool reserve(uint32_t base, uint32_t count);

	uint32_t capacity() const { return capacity_; }
	uint64_t used() const { return used_; }
	uint32_t largest_free() const;

private:
	uint32_t capacity_;
	uint64_t used_ = 0;
	std::map<uint32_t, uint32_t> free_; // base -> length
};

} // namespace daxfmap::bpf

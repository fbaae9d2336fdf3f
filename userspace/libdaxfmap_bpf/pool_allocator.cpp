// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_bpf/pool_allocator.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace daxfmap::bpf {

PoolAllocator::PoolAllocator(uint32_t capacity) : capacity_(capacity)
{
	if (capacity)
		free_.emplace(0, capacity);
}

std::optional<uint32_t> PoolAllocator::allocate(uint32_t count)
{
	if (count == 0)
		return std::nullopt;
	for (auto it = free_.begin(); it != free_.end(); ++it) {
		if (it->second < count)
			continue;
		const uint32_t base = it->first;
		const uint32_t rest = it->second - count;
		free_.erase(it);
		if (rest)
			free_.emplace(base + count, rest);
		used_ += count;
		return base;
	}
	return std::nullopt;
}

void PoolAllocator::release(uint32_t base, uint32_t count)
{
	if (count == 0)
		return;
	if (uint64_t(base) + count > capacity_)
		throw std::logic_error("PoolAllocator::release: range outside the pool");
	auto next = free_.lower_bound(base);
	if (next != free_.end() && next->first < base + count)
		throw std::logic_error("PoolAllocator::release: range already free");
	uint32_t len = count;
	if (next != free_.end() && next->first == base + count) {
		len += next->second;
		next = free_.erase(next);
	}
	if (next != free_.begin()) {
		auto prev = std::prev(next);
		if (prev->first + prev->second > base)
			throw std::logic_error("PoolAllocator::release: range already free");
		if (prev->first + prev->second == base) {
			prev->second += len;
			used_ -= count;
			return;
		}
	}
	free_.emplace(base, len);
	used_ -= count;
}

bool PoolAllocator::reserve(uint32_t base, uint32_t count)
{
	if (count == 0)
		return true;
	auto it = free_.upper_bound(base);
	if (it == free_.begin())
		return false;
	--it;
	const uint32_t fbase = it->first, flen = it->second;
	if (uint64_t(fbase) + flen < uint64_t(base) + count)
		return false;
	free_.erase(it);
	if (base > fbase)
		free_.emplace(fbase, base - fbase);
	if (uint64_t(fbase) + flen > uint64_t(base) + count)
		free_.emplace(base + count, fbase + flen - base - count);
	used_ += count;
	return true;
}

uint32_t PoolAllocator::largest_free() const
{
	uint32_t best = 0;
	for (const auto &[base, len] : free_)
		best = std::max(best, len);
	return best;
}

} // namespace daxfmap::bpf

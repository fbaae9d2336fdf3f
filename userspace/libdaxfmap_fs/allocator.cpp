// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_fs/allocator.hpp"

#include <cerrno>

#include "libdaxfmap/limits.hpp"

namespace daxfmap::fs {

namespace {

constexpr uint64_t kMaxChunk = uint64_t{1} << 30;
constexpr uint64_t npos = ~uint64_t{0};

Error no_space(uint64_t need_units, uint64_t free_units, std::string why = {})
{
	return Error{.errnum = ENOSPC, .field = "device space",
		     .expected = format_size(need_units * kUnit),
		     .found = format_size(free_units * kUnit) + " free" +
			      (why.empty() ? "" : " (" + why + ")")};
}

} // namespace

Result<void> check_layout(const Layout &layout, uint32_t max_strips)
{
	if (!layout.is_striped())
		return {};
	if (layout.nstrips > max_strips)
		return Error{.errnum = EINVAL, .field = "nstrips",
			     .expected = "1.." + std::to_string(max_strips),
			     .found = std::to_string(layout.nstrips)};
	uint64_t c = layout.chunk;
	if (c == 0 || (c & (c - 1)) != 0 || c % kUnit != 0 || c > kMaxChunk)
		return Error{.errnum = EINVAL, .field = "chunk",
			     .expected = "a power of two from 2 MiB to 1 GiB", .found = hex(c)};
	return {};
}

std::vector<SimpleExtent> fmap_ranges(const Fmap &fmap)
{
	if (fmap.is_simple())
		return fmap.simple();
	std::vector<SimpleExtent> out;
	for (const auto &ie : fmap.interleaved())
		out.insert(out.end(), ie.strips.begin(), ie.strips.end());
	return out;
}

Allocator::Allocator(uint64_t data_offset, uint64_t device_size)
	: data_off_(data_offset),
	  used_(device_size > data_offset ? (device_size - data_offset) / kUnit : 0, false),
	  free_(used_.size())
{
}

uint64_t Allocator::find_run(uint64_t units) const
{
	uint64_t run = 0;
	for (uint64_t i = 0; i < used_.size(); i++) {
		run = used_[i] ? 0 : run + 1;
		if (run == units)
			return i + 1 - units;
	}
	return npos;
}

void Allocator::set(uint64_t first, uint64_t count, bool used)
{
	for (uint64_t i = first; i < first + count; i++) {
		if (used_[i] == used)
			continue;
		used_[i] = used;
		if (used)
			free_--;
		else
			free_++;
	}
}

Result<Fmap> Allocator::allocate(uint64_t size, const Layout &layout, uint32_t max_extents)
{
	Fmap f;
	f.file_size = size;
	if (size == 0) {
		f.extents = SimpleExtents{};
		return f;
	}
	if (size > UINT64_MAX - kUnit)
		return Error{.errnum = EFBIG, .field = "size", .expected = "a size that fits the device",
			     .found = hex(size)};
	if (!layout.is_striped()) {
		uint64_t units = (size + kUnit - 1) / kUnit;
		if (units > free_)
			return no_space(units, free_);
		SimpleExtents exts;
		if (uint64_t first = find_run(units); first != npos) {
			exts.push_back({.device = 0, .offset = data_off_ + first * kUnit,
					.length = units * kUnit});
		} else {
			// First fit, in pieces.
			uint64_t left = units;
			for (uint64_t i = 0; i < used_.size() && left > 0;) {
				if (used_[i]) {
					i++;
					continue;
				}
				uint64_t j = i;
				while (j < used_.size() && !used_[j] && j - i < left)
					j++;
				exts.push_back({.device = 0, .offset = data_off_ + i * kUnit,
						.length = (j - i) * kUnit});
				left -= j - i;
				i = j;
			}
			if (exts.size() > max_extents)
				return no_space(units, free_,
						"free space in " + std::to_string(exts.size()) +
							" pieces, a file may have " +
							std::to_string(max_extents) + " extents");
		}
		for (const auto &e : exts)
			set((e.offset - data_off_) / kUnit, e.length / kUnit, true);
		f.extents = std::move(exts);
		return f;
	}

	if (auto ok = check_layout(layout, kExtendedMaxStrips); !ok)
		return ok.error();
	uint64_t stripe = uint64_t{layout.nstrips} * layout.chunk;
	uint64_t chunks = size / stripe + (size % stripe != 0);
	uint64_t strip_units = chunks * layout.chunk / kUnit;
	if (strip_units * layout.nstrips > free_)
		return no_space(strip_units * layout.nstrips, free_);
	InterleavedExtent ie;
	ie.chunk_size = static_cast<uint32_t>(layout.chunk);
	ie.nbytes = size;
	for (uint32_t s = 0; s < layout.nstrips; s++) {
		uint64_t first = find_run(strip_units);
		if (first == npos) {
			for (const auto &st : ie.strips)
				set((st.offset - data_off_) / kUnit, strip_units, false);
			return no_space(strip_units * layout.nstrips, free_ + s * strip_units,
					"no contiguous " + format_size(strip_units * kUnit) +
						" for strip " + std::to_string(s));
		}
		set(first, strip_units, true);
		ie.strips.push_back({.device = 0, .offset = data_off_ + first * kUnit,
				     .length = strip_units * kUnit});
	}
	f.extents = InterleavedExtents{std::move(ie)};
	return f;
}

Result<void> Allocator::mark_used(const Fmap &fmap)
{
	const uint64_t end = data_off_ + used_.size() * kUnit;
	auto ranges = fmap_ranges(fmap);
	for (size_t k = 0; k < ranges.size(); k++) {
		const auto &r = ranges[k];
		std::string where = "range " + std::to_string(k);
		if (r.device != 0)
			return Error{.errnum = EINVAL, .field = where + ".device", .expected = "0",
				     .found = std::to_string(r.device)};
		if (r.offset % kUnit || r.length % kUnit)
			return Error{.errnum = EINVAL, .field = where,
				     .expected = "2 MiB aligned offset and length",
				     .found = hex(r.offset) + "+" + hex(r.length)};
		if (r.offset < data_off_ || r.offset > end || r.length > end - r.offset)
			return Error{.errnum = EINVAL, .field = where,
				     .expected = "inside the data area [" + hex(data_off_) + ", " +
						 hex(end) + ")",
				     .found = hex(r.offset) + "+" + hex(r.length)};
	}
	for (size_t k = 0; k < ranges.size(); k++) {
		uint64_t first = (ranges[k].offset - data_off_) / kUnit;
		uint64_t n = ranges[k].length / kUnit;
		for (uint64_t i = first; i < first + n; i++) {
			if (!used_[i])
				continue;
			// Undo what this call marked so far.
			for (size_t u = 0; u < k; u++)
				set((ranges[u].offset - data_off_) / kUnit, ranges[u].length / kUnit, false);
			return Error{.errnum = EEXIST, .field = "range " + std::to_string(k),
				     .expected = "space no other range uses",
				     .found = "unit at " + hex(data_off_ + i * kUnit) + " already in use"};
		}
		set(first, n, true);
	}
	return {};
}

void Allocator::release(const Fmap &fmap)
{
	const uint64_t end = data_off_ + used_.size() * kUnit;
	for (const auto &r : fmap_ranges(fmap)) {
		if (r.device != 0 || r.offset < data_off_ || r.offset > end ||
		    r.length > end - r.offset)
			continue;
		set((r.offset - data_off_) / kUnit, r.length / kUnit, false);
	}
}

} // namespace daxfmap::fs

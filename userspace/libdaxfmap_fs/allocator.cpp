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

Result<Fmap> Allocator::grow(const Fmap &fmap, uint64_t size, uint32_t max_extents)
{
	if (!fmap.is_simple())
		return Error{.errnum = EINVAL, .field = "fmap",
			     .expected = "simple extents (a striped file keeps the space it was created with)",
			     .found = "interleaved extents"};
	if (size > UINT64_MAX - kUnit)
		return Error{.errnum = EFBIG, .field = "size", .expected = "a size that fits the device",
			     .found = hex(size)};
	SimpleExtents exts = fmap.simple();
	uint64_t have = 0;
	for (const auto &e : exts)
		have += e.length / kUnit;
	const uint64_t want = (size + kUnit - 1) / kUnit;
	Fmap out;
	out.file_size = size;
	if (want <= have) {
		out.extents = std::move(exts);
		return out;
	}
	uint64_t need = want - have;
	if (need > free_)
		return no_space(need, free_);
	// In place first: the units right after the last extent.
	uint64_t grown = 0, next = 0;
	if (!exts.empty() && exts.back().device == 0 && exts.back().offset >= data_off_) {
		next = (exts.back().offset + exts.back().length - data_off_) / kUnit;
		while (grown < need && next + grown < used_.size() && !used_[next + grown])
			grown++;
	}
	// Taken before the rest is looked for, so that it cannot be handed out twice.
	set(next, grown, true);
	Fmap more;
	if (need > grown) {
		auto got = allocate((need - grown) * kUnit, Layout::simple(), max_extents);
		if (!got) {
			set(next, grown, false);
			return got.error();
		}
		more = std::move(*got);
	}
	if (grown)
		exts.back().length += grown * kUnit;
	for (const auto &e : more.is_simple() ? more.simple() : SimpleExtents{}) {
		if (!exts.empty() && exts.back().device == e.device &&
		    exts.back().offset + exts.back().length == e.offset)
			exts.back().length += e.length;
		else
			exts.push_back(e);
	}
	if (exts.size() > max_extents) {
		release(more);
		set(next, grown, false);
		return no_space(need, free_,
				"the file would have " + std::to_string(exts.size()) +
					" extents, at most " + std::to_string(max_extents) + " are allowed");
	}
	out.extents = std::move(exts);
	return out;
}

Fmap Allocator::shrink(const Fmap &fmap, uint64_t keep, uint64_t size, SimpleExtents *freed)
{
	Fmap out = fmap;
	out.file_size = size;
	if (!fmap.is_simple())
		return out;
	uint64_t keep_bytes = (keep + kUnit - 1) / kUnit * kUnit;
	SimpleExtents kept;
	for (const auto &e : fmap.simple()) {
		if (keep_bytes >= e.length) {
			kept.push_back(e);
			keep_bytes -= e.length;
			continue;
		}
		SimpleExtent gone = e;
		if (keep_bytes > 0) {
			SimpleExtent part = e;
			part.length = keep_bytes;
			kept.push_back(part);
			gone.offset += keep_bytes;
			gone.length -= keep_bytes;
			keep_bytes = 0;
		}
		if (gone.device == 0 && gone.offset >= data_off_)
			set((gone.offset - data_off_) / kUnit, gone.length / kUnit, false);
		if (freed)
			freed->push_back(gone);
	}
	out.extents = std::move(kept);
	return out;
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

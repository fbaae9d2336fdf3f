// SPDX-License-Identifier: GPL-2.0-only
// The reference resolver; the order of checks is documented in the header and
// is part of the contract with the BPF resolvers.
#include "libdaxfmap/native_resolver.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ostream>

namespace daxfmap {

namespace {

constexpr Resolution fail(daxfmap_status s)
{
	return Resolution{.status = s};
}

// Where the query landed inside one extent, before the device checks.
struct Placement {
	uint32_t device;
	uint64_t base;   // device offset of the extent (strip) start
	uint64_t within; // bytes from base
	uint64_t length; // already clipped to the extent (chunk)
};

// Steps 5-7: the device checks, shared by both extent kinds.
Resolution finish(const Placement &p, DeviceSizes sizes)
{
	if (!sizes.empty()) {
		if (p.device >= sizes.size() || sizes[p.device] == 0)
			return fail(DAXFMAP_E_NO_DEVICE);
		const uint64_t size = sizes[p.device];
		// base + within + length <= size, without computing a sum that
		// could wrap.
		if (p.base > size || p.within > size - p.base ||
		    p.length > size - p.base - p.within)
			return fail(DAXFMAP_E_OUT_OF_DEVICE);
	} else {
		constexpr uint64_t kMax = UINT64_MAX;
		if (p.within > kMax - p.base || p.length > kMax - p.base - p.within)
			return fail(DAXFMAP_E_OUT_OF_EXTENT);
	}
	return Resolution{
		.status = DAXFMAP_OK,
		.device = p.device,
		.device_offset = p.base + p.within,
		.length = p.length,
	};
}

Resolution resolve_simple(const SimpleExtents &exts, uint64_t offset, uint64_t req,
			  DeviceSizes sizes)
{
	uint64_t local = offset;
	for (const SimpleExtent &e : exts) {
		if (local < e.length)
			return finish(Placement{
				.device = e.device,
				.base = e.offset,
				.within = local,
				.length = std::min(req, e.length - local),
			}, sizes);
		local -= e.length;
	}
	return fail(DAXFMAP_E_PAST_END);
}

Resolution resolve_interleaved(const InterleavedExtents &exts, uint64_t file_size,
			       uint64_t offset, uint64_t req, DeviceSizes sizes)
{
	uint64_t local = offset;
	for (const InterleavedExtent &ie : exts) {
		// V10 sizes every extent against the whole file, not the rest.
		const uint64_t ext_size = std::min(ie.nbytes, file_size);
		if (ext_size == 0)
			return fail(DAXFMAP_E_PAST_END);
		if (local >= ext_size) {
			local -= ext_size;
			continue;
		}
		if (ie.chunk_size == 0 || ie.strips.empty())
			return fail(DAXFMAP_E_BAD_FMAP);

		const uint64_t chunk_size = ie.chunk_size;
		const uint64_t nstrips = ie.strips.size();
		const uint64_t chunk = local / chunk_size;
		const uint64_t chunk_off = local % chunk_size;
		const uint64_t stripe = chunk / nstrips;
		const SimpleExtent &strip = ie.strips[chunk % nstrips];
		// stripe * chunk_size <= chunk * chunk_size <= local: no overflow.
		const uint64_t within = stripe * chunk_size + chunk_off;
		const uint64_t len = std::min(req, chunk_size - chunk_off);
		if (within > strip.length || len > strip.length - within)
			return fail(DAXFMAP_E_OUT_OF_EXTENT);
		return finish(Placement{
			.device = strip.device,
			.base = strip.offset,
			.within = within,
			.length = len,
		}, sizes);
	}
	return fail(DAXFMAP_E_PAST_END);
}

} // namespace

Resolution resolve_native(const Fmap &fmap, uint64_t offset, uint64_t length,
			  DeviceSizes sizes)
{
	if (length == 0)
		return fail(DAXFMAP_E_BAD_LENGTH);
	if (fmap.is_simple())
		return resolve_simple(fmap.simple(), offset, length, sizes);
	return resolve_interleaved(fmap.interleaved(), fmap.file_size, offset, length, sizes);
}

int status_errno(daxfmap_status s)
{
	switch (s) {
	case DAXFMAP_OK:
		return 0;
	case DAXFMAP_E_BAD_LENGTH:
		return EINVAL;
	case DAXFMAP_E_NO_FILE:
		return ENOENT;
	case DAXFMAP_E_STALE:
		return EAGAIN;
	case DAXFMAP_E_LIMIT:
		return E2BIG;
	case DAXFMAP_E_PAST_END:
	case DAXFMAP_E_NO_DEVICE:
	case DAXFMAP_E_OUT_OF_DEVICE:
	case DAXFMAP_E_OUT_OF_EXTENT:
	case DAXFMAP_E_BAD_FMAP:
	case DAXFMAP_STATUS_MAX:
		break;
	}
	// Every mapping failure is a zero-length mapping to the kernel: -EIO.
	return EIO;
}

std::string_view status_name(daxfmap_status s)
{
	switch (s) {
	case DAXFMAP_OK: return "ok";
	case DAXFMAP_E_PAST_END: return "past-end";
	case DAXFMAP_E_BAD_LENGTH: return "bad-length";
	case DAXFMAP_E_NO_DEVICE: return "no-device";
	case DAXFMAP_E_OUT_OF_DEVICE: return "out-of-device";
	case DAXFMAP_E_OUT_OF_EXTENT: return "out-of-extent";
	case DAXFMAP_E_BAD_FMAP: return "bad-fmap";
	case DAXFMAP_E_NO_FILE: return "no-file";
	case DAXFMAP_E_STALE: return "stale";
	case DAXFMAP_E_LIMIT: return "limit";
	case DAXFMAP_STATUS_MAX: break;
	}
	return "unknown";
}

std::ostream &operator<<(std::ostream &os, const Resolution &r)
{
	os << status_name(r.status);
	if (r.ok() || r.device || r.device_offset || r.length)
		os << " dev " << r.device << " +" << hex(r.device_offset) << " len " << hex(r.length);
	return os;
}

} // namespace daxfmap

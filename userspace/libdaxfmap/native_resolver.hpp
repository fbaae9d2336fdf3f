// SPDX-License-Identifier: GPL-2.0-only
// The reference resolver: the V10 kernel's iomap_begin algorithm over a parsed
// fmap, plus the bounds checks daxfmap adds (see enum daxfmap_status).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <linux/daxfmap.h>

#include "libdaxfmap/fmap.hpp"

namespace daxfmap {

struct Resolution {
	daxfmap_status status = DAXFMAP_OK;
	uint32_t device = 0;        // device index
	uint64_t device_offset = 0; // bytes into the device
	uint64_t length = 0;        // bytes valid from device_offset (0 unless OK)

	bool ok() const { return status == DAXFMAP_OK; }
	bool operator==(const Resolution &) const = default;
};

// Device sizes by index, for bounds checks: sizes[i] is device i's size in
// bytes, 0 for no device.  An empty span disables device checks.
using DeviceSizes = std::span<const uint64_t>;

// Resolve [offset, offset + length) of the file:
//  - simple: walk the extents; the first with local offset < len holds it;
//    length = min(length, len - local).  No clip at file_size, as in V10.
//  - interleaved: per extent of size min(nbytes, file_size), the chunk/strip
//    arithmetic of the uapi header; length = min(length, chunk remainder).
// The returned range never leaves its extent (strip) nor, with sizes given,
// its device: such queries get an error status instead.
Resolution resolve_native(const Fmap &fmap, uint64_t offset, uint64_t length,
			  DeviceSizes sizes = {});

int status_errno(daxfmap_status s);          // positive errno, 0 for OK
std::string_view status_name(daxfmap_status s); // "past-end", ...

} // namespace daxfmap

// SPDX-License-Identifier: GPL-2.0-only
// The reference resolver: the V10 kernel's iomap_begin algorithm over a parsed
// fmap, plus the bounds checks daxfmap adds (see enum daxfmap_status).
//
// Every other resolver (the BPF strategies) must give the same Resolution,
// bit for bit, for every fmap and query, valid or not; hence the exact order
// of checks below, which they implement too.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string_view>

#include <linux/daxfmap.h>

#include "libdaxfmap/fmap.hpp"

namespace daxfmap {

struct Resolution {
	daxfmap_status status = DAXFMAP_OK;
	uint32_t device = 0;        // device index
	uint64_t device_offset = 0; // bytes into the device
	uint64_t length = 0;        // bytes valid from device_offset

	// On any status but OK, device, device_offset and length are all 0, so
	// that two resolvers' answers compare with ==.
	bool ok() const { return status == DAXFMAP_OK; }
	bool operator==(const Resolution &) const = default;
};

// "ok dev 1 +0x200000 len 0x200000" or the status name ("past-end"); also
// what GoogleTest prints for a Resolution.
std::ostream &operator<<(std::ostream &os, const Resolution &r);

// Device sizes by index, for bounds checks: sizes[i] is device i's size in
// bytes, 0 for no device.  An empty span disables device checks.
using DeviceSizes = std::span<const uint64_t>;

// Resolve the file range [offset, offset + length) to the device range that
// holds its first byte, the way V10's iomap_begin does.  All arithmetic is on
// u64; "req" is the requested length.
//
// Order of checks (first failure wins):
//  1. req == 0                                          BAD_LENGTH
//  2. Find the extent, walking from extent 0 with local = offset:
//     simple:      the first i with local < len[i] holds it, else
//                  local -= len[i].  No clip at file_size (V10 leaves that to
//                  the VFS, which clips at i_size above the resolver).
//     interleaved: ext_size = min(nbytes[i], file_size) -- the whole
//                  file_size, not what is left of it, as in V10.  If
//                  ext_size == 0 the walk stops with PAST_END (V10 bails out
//                  there), else the first i with local < ext_size holds it,
//                  else local -= ext_size.
//     Walked off the end of the list                     PAST_END
//  3. interleaved, the extent found: chunk_size == 0 or
//     no strips (nothing to divide by)                   BAD_FMAP
//  4. Position and length inside the extent:
//     simple:      within = local, length = min(req, len[i] - local);
//                  device = devindex[i], base = offset[i].
//     interleaved: chunk = local / chunk_size, chunk_off = local % chunk_size,
//                  stripe = chunk / nstrips, strip = chunk % nstrips,
//                  within = stripe * chunk_size + chunk_off,
//                  length = min(req, chunk_size - chunk_off);
//                  device/base = strips[strip].devindex/.offset.
//                  within + length > strips[strip].len   OUT_OF_EXTENT
//                  (V10 would map past the strip; we refuse.  A simple
//                  extent's length is clipped to the extent, so it cannot
//                  fail here.)
//  5. sizes not empty: device >= sizes.size() or
//     sizes[device] == 0                                 NO_DEVICE
//  6. The device range [base + within, base + within + length):
//     sizes not empty: it must end at or before sizes[device], compared
//       without overflow (a range whose end does not fit in u64 cannot fit
//       any device)                                      OUT_OF_DEVICE
//     sizes empty: its end must fit in u64, i.e.
//       base + within + length <= UINT64_MAX             OUT_OF_EXTENT
//       (the extent itself runs past the address space, so the range cannot
//       lie inside it)
//  7. OK: device, device_offset = base + within, length.
// Only the range returned is checked, not the whole extent: an extent whose
// far end overflows still resolves where the returned range fits.
Resolution resolve_native(const Fmap &fmap, uint64_t offset, uint64_t length,
			  DeviceSizes sizes = {});

// The positive errno a status becomes, 0 for OK:
//   PAST_END, NO_DEVICE, OUT_OF_DEVICE, OUT_OF_EXTENT, BAD_FMAP -> EIO
//     (the kernel turns a zero-length mapping into -EIO)
//   BAD_LENGTH -> EINVAL, NO_FILE -> ENOENT, STALE -> EAGAIN, LIMIT -> E2BIG,
//   any value outside the enum -> EIO.
int status_errno(daxfmap_status s);
// Short kebab-case name: "ok", "past-end", "bad-length", "no-device",
// "out-of-device", "out-of-extent", "bad-fmap", "no-file", "stale", "limit";
// "unknown" for a value outside the enum.
std::string_view status_name(daxfmap_status s);

} // namespace daxfmap

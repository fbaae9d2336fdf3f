// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap/limits.hpp"

#include <cerrno>

#include <linux/fuse_dax_fmap.h>

namespace daxfmap {

namespace {

constexpr Limits kV10{
	.profile = Profile::V10,
	.name = "v10",
	.max_extents = FUSE_DAX_FMAP_MAX_EXTENTS,
	.max_strips = FUSE_DAX_FMAP_MAX_STRIPS,
	.max_devices = 1, // V10 rejects any devindex but 0
	.max_reply_bytes = FUSE_DAX_FMAP_MAX_REPLY,
	.oversize_errno = EINVAL, // the FUSE layer rejects a reply over its buffer
	.strict = false,
};

// Room for the largest fmap the limits allow: 1M simple extents of 24 bytes
// plus the header is 24 MiB + 32 bytes; 32 MiB mirrors the development
// versions' grow-and-retry protocol (which stops at 16 MiB with EFBIG).
constexpr Limits kExtended{
	.profile = Profile::Extended,
	.name = "extended",
	.max_extents = kExtendedMaxExtents,
	.max_strips = kExtendedMaxStrips,
	.max_devices = FUSE_DAX_MAX_DEVICES,
	.max_reply_bytes = 32ull << 20,
	.oversize_errno = EFBIG,
	.strict = true,
};

} // namespace

const Limits &limits_for(Profile p)
{
	return p == Profile::V10 ? kV10 : kExtended;
}

std::optional<Profile> parse_profile(std::string_view name)
{
	if (name == "v10")
		return Profile::V10;
	if (name == "extended")
		return Profile::Extended;
	return std::nullopt;
}

} // namespace daxfmap

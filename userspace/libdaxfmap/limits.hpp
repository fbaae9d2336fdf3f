// SPDX-License-Identifier: GPL-2.0-only
// Validation profiles: the exact V10 kernel rules, or daxfmap's extended limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace daxfmap {

enum class Profile {
	// The V10 kernel's rules and errno, exactly, gaps included: one device
	// (devindex 0), 32 extents, 32 strips, a one-page reply.
	V10,
	// daxfmap's own: up to kMaxDevices devices and kExtendedMaxExtents
	// extents, and the sanity checks V10 lacks (see validate.hpp).
	Extended,
};

struct Limits {
	Profile profile;
	std::string_view name;        // "v10" or "extended"
	uint32_t max_extents;         // nextents upper bound (simple or interleaved)
	uint32_t max_strips;          // strips per interleaved extent
	uint32_t max_devices;         // device indices 0..max_devices-1
	uint64_t max_reply_bytes;     // largest GET_FMAP reply accepted
	int oversize_errno;           // errno for a reply over max_reply_bytes
	bool strict;                  // extended sanity checks (overflow, zero chunk, short strips)
};

inline constexpr uint32_t kExtendedMaxExtents = 1u << 20; // 1,048,576
inline constexpr uint32_t kExtendedMaxStrips = 256;

const Limits &limits_for(Profile p);
std::optional<Profile> parse_profile(std::string_view name);

} // namespace daxfmap

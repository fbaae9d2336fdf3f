// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap/fmap.hpp"

#include <cinttypes>
#include <cstdio>

namespace daxfmap {

size_t Fmap::extent_count() const
{
	return is_simple() ? simple().size() : interleaved().size();
}

size_t Fmap::range_count() const
{
	if (is_simple())
		return simple().size();
	size_t n = 0;
	for (const auto &ie : interleaved())
		n += ie.strips.size();
	return n;
}

uint64_t Fmap::wire_size() const
{
	uint64_t n = sizeof(struct fuse_dax_fmap_header);
	if (is_simple())
		return n + simple().size() * sizeof(struct fuse_dax_simple_ext);
	for (const auto &ie : interleaved())
		n += sizeof(struct fuse_dax_interleaved_ext) +
		     ie.strips.size() * sizeof(struct fuse_dax_simple_ext);
	return n;
}

std::string hex(uint64_t v)
{
	char buf[24];
	std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return buf;
}

std::string format_size(uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (bytes == 0 || bytes % 1024)
		return std::to_string(bytes);
	int u = -1;
	uint64_t v = bytes;
	while (v % 1024 == 0 && v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	return std::to_string(v) + " " + units[u];
}

} // namespace daxfmap

// SPDX-License-Identifier: GPL-2.0-only
// Byte quantities from the command line and text formats.
#pragma once

#include <cstdint>
#include <string_view>

#include "libdaxfmap/result.hpp"

namespace daxfmap {

// "4096", "0x1000", "4K", "2M", "1G", "1T", "2MiB", "0x200000"; suffixes are
// binary (K = 1024).  Rejects junk, negatives and overflow of u64 (ERANGE),
// naming `what` in the error.
Result<uint64_t> parse_size(std::string_view text, std::string_view what = "size");

} // namespace daxfmap

// SPDX-License-Identifier: GPL-2.0-only
// Byte quantities from the command line and text formats.
#pragma once

#include <cstdint>
#include <string_view>

#include "libdaxfmap/result.hpp"

namespace daxfmap {

// "4096", "0x1000", "4K", "2M", "1G", "1T", "2MiB", "0x200000"; suffixes
// K M G T P E, optionally followed by "B" or "iB", any case, are binary
// (K = 1024); blanks around the number and before the suffix are allowed, so
// format_size()'s "2 MiB" reads back.  Hex takes no suffix (0x2B is hex).
// Errors name `what` and quote the text: EINVAL for junk, an empty string or
// a decimal with a leading zero ("010": octal to C, so refused rather than
// guessed); ERANGE for a negative number or one past 2^64 - 1.
Result<uint64_t> parse_size(std::string_view text, std::string_view what = "size");

} // namespace daxfmap

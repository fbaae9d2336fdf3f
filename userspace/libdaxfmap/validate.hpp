// SPDX-License-Identifier: GPL-2.0-only
// Semantic validation of an fmap under a profile.
//
// V10 profile, the kernel's rules in the kernel's order (first errno wins):
//   encoded reply > 4096 bytes (the FUSE layer)    EINVAL
//   nextents < 1 or > 32                          ERANGE
//   (wire only: short buffer, unknown ext_type     EINVAL)
//   interleaved: chunk_size not 2 MiB aligned      EINVAL
//   interleaved: nbytes == 0                       EINVAL
//   interleaved: nstrips < 1 or > 32               EINVAL
//   interleaved: strip lengths < file_size         EINVAL
//   devindex != 0, offset or length not aligned    EINVAL
//   extent (strip) lengths sum < file_size         EINVAL (u64 sum, wraps as in V10)
// Extended profile: the same rules with larger limits, plus checks V10 lacks:
//   device index >= max_devices                    EINVAL
//   chunk_size == 0                                EINVAL
//   offset + length overflows u64                  EOVERFLOW
//   sum of lengths overflows u64                   EOVERFLOW
//   a strip shorter than its share of nbytes       EINVAL
//   reply > max_reply_bytes                        EFBIG
#pragma once

#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/result.hpp"

namespace daxfmap {

struct ValidationReport {
	// Every rule the fmap breaks, in the order the kernel checks them; the
	// first one's errno is the one the kernel returns.
	std::vector<Error> errors;
	// Accepted by the profile but worth knowing (e.g. V10 accepts a
	// chunk_size of 0 or a strip shorter than the data striped onto it).
	std::vector<Error> warnings;

	bool ok() const { return errors.empty(); }
	int errnum() const { return errors.empty() ? 0 : errors.front().errnum; }
};

ValidationReport validate(const Fmap &fmap, const Limits &limits);

// Convenience: the first error, if any.
Result<void> check(const Fmap &fmap, const Limits &limits);

} // namespace daxfmap

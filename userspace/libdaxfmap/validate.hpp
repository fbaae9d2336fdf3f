// SPDX-License-Identifier: GPL-2.0-only
// Semantic validation of an fmap under a profile.
//
// V10 profile: the kernel's rules and errno.  V10 returns at once on some
// rules and only counts others, failing after its walk ("deferred"); the
// errors are listed in the order in which the kernel would fail on them, so
// the first one is where V10 stops and its errno is the one V10 returns:
//   1. encoded reply > 4096 bytes (the FUSE layer)            EINVAL
//   2. nextents < 1 or > 32                                   ERANGE
//      (wire only: short buffer, unknown ext_type             EINVAL)
//   3. per interleaved extent, in order, at once:
//      chunk_size not 2 MiB aligned (0 is aligned)            EINVAL
//      nbytes == 0                                            EINVAL
//   4. interleaved: file_size - sum of strip lengths > 0,
//      as signed 64-bit, wrapping                             EINVAL
//   5. deferred, in walk order, per extent (interleaved: nstrips, then
//      each strip):
//      nstrips < 1 or > 32                                    EINVAL
//      devindex != 0, offset or length not 2 MiB aligned      EINVAL
//   6. sum of extent (strip) lengths < file_size; a u64 sum
//      that wraps, as in V10 (not listed again after 4)       EINVAL
// Not checked by V10, reported as warnings: fmap_version != 1, unknown
// file_type, non-zero reserved fields, chunk_size == 0 (the resolver divides
// by it), a strip shorter than its share of min(nbytes, file_size) (the
// resolver would map past it), offset + length or the length sum wrapping
// u64, interleaved nbytes summing to less than file_size (the tail does not
// resolve).
//
// Extended profile: the same rules with the limits of limits_for(Extended)
// (more extents and strips, devindex < 24, bigger reply), plus checks V10
// lacks; anything V10 rejects for a reason other than a limit, Extended
// rejects too:
//   1. reply > max_reply_bytes                                EFBIG
//   3. chunk_size == 0                                        EINVAL
//   5. device index >= max_devices                            EINVAL
//      offset + length overflows u64                          EOVERFLOW
//      a strip shorter than its share of min(nbytes, file_size) EINVAL
//   6. sum of lengths overflows u64 (replaces 4 and 6)        EOVERFLOW
//
// Each Error names the field with its indices ("extents[3].offset",
// "interleaved[1].strips[2].length", "nextents"; sums are named like
// "sum(extents[].length)"), what was expected, what was found (byte
// quantities in hex), and sets Error.extent/strip.  Warnings carry the errno
// a stricter check would answer with (EINVAL; EOVERFLOW for wrapping).  Cost
// is linear in the number of extents and strips, and no string is built for
// a field that passes.
#pragma once

#include <cstddef>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/result.hpp"

namespace daxfmap {

struct ValidationReport {
	// Every rule the fmap breaks, in the order the kernel fails on them; the
	// first one's errno is the one the kernel returns.
	std::vector<Error> errors;
	// Accepted by the profile but worth knowing (e.g. V10 accepts a
	// chunk_size of 0 or a strip shorter than the data striped onto it).
	std::vector<Error> warnings;
	// Each list keeps at most kMaxListed entries, so that a huge broken fmap
	// does not take gigabytes to describe; these count the rest.
	size_t errors_omitted = 0;
	size_t warnings_omitted = 0;

	static constexpr size_t kMaxListed = 4096;

	bool ok() const { return errors.empty(); }
	int errnum() const { return errors.empty() ? 0 : errors.front().errnum; }
};

// max_listed (at most kMaxListed) caps each list: the errors of each group of
// the order above, and the warnings; the rest are counted as omitted.  The
// first error is listed whatever the cap, if it is at least 1.
ValidationReport validate(const Fmap &fmap, const Limits &limits,
			  size_t max_listed = ValidationReport::kMaxListed);

// The first error of validate()'s list, if any, at the cost of building that
// one error only (what a caller that stops at the first error needs).
Result<void> check(const Fmap &fmap, const Limits &limits);

namespace detail {

// The rules V10 applies to an interleaved extent's header as soon as it has
// read it, before its strips (step 3 above, plus Extended's chunk_size == 0).
// Shared by validate() and the kernel-ordered decode of decode_and_validate().
// Appends errors (and warnings) for interleaved[index]; returns true if it
// appended an error.
bool check_interleaved_head(uint32_t index, uint32_t chunk_size, uint64_t nbytes,
			    const Limits &limits, std::vector<Error> &errors,
			    std::vector<Error> *warnings);

} // namespace detail

} // namespace daxfmap

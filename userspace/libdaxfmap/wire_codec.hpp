// SPDX-License-Identifier: GPL-2.0-only
// GET_FMAP and GET_DAXDEV replies: bytes <-> model, little-endian, V10 layout.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/result.hpp"

namespace daxfmap {

using Bytes = std::vector<uint8_t>;

struct DecodedFmap {
	Fmap fmap;
	size_t consumed = 0; // bytes the fmap occupies; the rest is ignored, as by V10
};

// Parses a GET_FMAP reply the way V10's kernel does, in its order: reply
// size over the profile's limit (the FUSE layer: EINVAL in V10, EFBIG in
// Extended), header length (EINVAL), nextents range (ERANGE), ext_type
// (EINVAL), then the simple extent list, or each interleaved header and its
// strip list, too short (EINVAL; nstrips * 24 computed in 64 bits).  Never
// reads outside `bytes`, never allocates more than the bytes present justify.
// Structural errors only: an interleaved extent with any nstrips, chunk_size
// or nbytes decodes, so that validate() can report everything wrong with it.
// Little-endian on any host.
Result<DecodedFmap> decode_fmap(std::span<const uint8_t> bytes, const Limits &limits);

// The kernel's complete verdict on a reply: decode_fmap() with V10's
// interleaved-header rules (chunk_size alignment, nbytes == 0, and Extended's
// chunk_size == 0) applied where V10 applies them, before that extent's
// strip list is length-checked, then validate().  The error returned is the
// first one V10 fails on; its errno is V10's.
Result<DecodedFmap> decode_and_validate(std::span<const uint8_t> bytes, const Limits &limits);

// Encodes any model faithfully (reserved fields included), valid or not:
// nextents and nstrips are the vector sizes.  Encode of a decoded reply gives
// back its first `consumed` bytes.
Bytes encode_fmap(const Fmap &fmap);

struct DaxdevReply {
	uint16_t index = 0;
	std::string name;
	uint16_t reserved = 0;
	uint32_t reserved2 = 0;
	uint64_t reserved3 = 0;
	uint64_t reserved4 = 0;

	bool operator==(const DaxdevReply &) const = default;
};

// Exactly sizeof(struct fuse_dax_daxdev_out) == 280 bytes, name
// NUL-terminated within 256 bytes with zero padding after the NUL; anything
// else is EINVAL naming the size or the name byte at fault.
Result<DaxdevReply> decode_daxdev(std::span<const uint8_t> bytes);
// Fails with ENAMETOOLONG if the name does not fit with its NUL (>= 256
// bytes), with EINVAL if it contains a NUL (it would not decode back).
Result<Bytes> encode_daxdev(const DaxdevReply &reply);

} // namespace daxfmap

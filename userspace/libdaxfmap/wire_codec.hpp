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
// size over the profile's limit (the FUSE layer: EINVAL in V10), header
// length (EINVAL), nextents range (ERANGE), ext_type (EINVAL), then each
// extent list, interleaved header and strip list length (EINVAL). Never reads
// outside `bytes`, never allocates more than the bytes present justify.
// Structural errors only; semantic rules are validate()'s (decode_and_validate
// runs both).
Result<DecodedFmap> decode_fmap(std::span<const uint8_t> bytes, const Limits &limits);

// decode_fmap() then validate(): the kernel's complete verdict on a reply.
Result<DecodedFmap> decode_and_validate(std::span<const uint8_t> bytes, const Limits &limits);

// Encodes any model faithfully (reserved fields included); encode of a
// decoded reply gives back its first `consumed` bytes.
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
// NUL-terminated within 256 bytes with zero padding after the NUL.
Result<DaxdevReply> decode_daxdev(std::span<const uint8_t> bytes);
// Fails (ENAMETOOLONG) if the name does not fit with its NUL.
Result<Bytes> encode_daxdev(const DaxdevReply &reply);

} // namespace daxfmap

// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_fs/media_format.hpp"

#include <bit>
#include <cerrno>
#include <cstring>

#include "libdaxfmap/fmap.hpp"

namespace daxfmap::fs {

// The structs are written to the media as they are in memory.
static_assert(std::endian::native == std::endian::little,
	      "the media format is little-endian; a big-endian host needs byte swapping");

namespace {

constexpr std::array<uint32_t, 256> make_crc32c_table()
{
	std::array<uint32_t, 256> t{};
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		t[i] = c;
	}
	return t;
}

constexpr std::array<uint32_t, 256> kCrc32cTable = make_crc32c_table();

} // namespace

uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc)
{
	uint32_t c = ~crc;
	for (uint8_t b : bytes)
		c = kCrc32cTable[(c ^ b) & 0xff] ^ (c >> 8);
	return ~c;
}

uint32_t superblock_crc(const Superblock &sb)
{
	Superblock copy;
	std::memcpy(&copy, &sb, sizeof(copy));
	copy.crc32c = 0;
	return crc32c({reinterpret_cast<const uint8_t *>(&copy), sizeof(copy)});
}

namespace {

uint16_t commit_check(uint64_t low48)
{
	uint8_t b[6];
	for (int i = 0; i < 6; i++)
		b[i] = static_cast<uint8_t>(low48 >> (8 * i));
	return static_cast<uint16_t>(crc32c(b));
}

} // namespace

uint64_t pack_commit(CommitWord w)
{
	const uint64_t low = uint64_t{w.count} | (uint64_t{w.epoch} << 32);
	return low | (uint64_t{commit_check(low)} << 48);
}

std::optional<CommitWord> unpack_commit(uint64_t word)
{
	const uint64_t low = word & ((uint64_t{1} << 48) - 1);
	if (static_cast<uint16_t>(word >> 48) != commit_check(low))
		return std::nullopt;
	return CommitWord{.count = static_cast<uint32_t>(low), .epoch = static_cast<uint16_t>(low >> 32)};
}

Result<Superblock> read_superblock(const Device &dev)
{
	Superblock sb;
	std::memcpy(&sb, dev.base(), sizeof(sb));
	auto bad = [&](int errnum, std::string field, std::string expected, std::string found) {
		return Error{.errnum = errnum, .field = "superblock." + std::move(field) + " on " + dev.path(),
			     .expected = std::move(expected), .found = std::move(found)};
	};
	if (sb.magic != kSuperblockMagic)
		return bad(EINVAL, "magic", hex(kSuperblockMagic) + " (a daxfmap file system)",
			   hex(sb.magic) + " (not a daxfmap file system; run mkfs)");
	if (sb.version == 1)
		return bad(EINVAL, "version", std::to_string(kFormatVersion),
			   "1 (media from before the log's commit block and compaction: "
			   "copy the files off with an older daxfmap, then mkfs)");
	if (sb.version != kFormatVersion)
		return bad(EINVAL, "version", std::to_string(kFormatVersion), std::to_string(sb.version));
	if (uint32_t crc = superblock_crc(sb); crc != sb.crc32c)
		return bad(EBADMSG, "crc32c", hex(crc) + " (computed)", hex(sb.crc32c) + " (corrupt superblock)");
	if (sb.sb_size != sizeof(Superblock))
		return bad(EINVAL, "sb_size", std::to_string(sizeof(Superblock)), std::to_string(sb.sb_size));
	if (sb.alloc_unit != kUnit)
		return bad(EINVAL, "alloc_unit", hex(kUnit), hex(sb.alloc_unit));
	if (sb.log_offset != kLogOffset)
		return bad(EINVAL, "log_offset", hex(kLogOffset), hex(sb.log_offset));
	if (sb.log_size % kUnit || sb.log_size < kMinLogSize || sb.log_size > kMaxLogSize)
		return bad(EINVAL, "log_size", "a multiple of 2 MiB from " + format_size(kMinLogSize) +
			   " to " + format_size(kMaxLogSize), hex(sb.log_size));
	if (sb.data_offset != sb.log_offset + sb.log_size)
		return bad(EINVAL, "data_offset", hex(sb.log_offset + sb.log_size), hex(sb.data_offset));
	if (sb.device_size % kUnit || sb.device_size < sb.data_offset + kUnit)
		return bad(EINVAL, "device_size",
			   "a multiple of 2 MiB, at least " + hex(sb.data_offset + kUnit), hex(sb.device_size));
	if (sb.device_size > dev.size())
		return bad(EINVAL, "device_size", "at most the device's " + format_size(dev.size()),
			   format_size(sb.device_size));
	return sb;
}

} // namespace daxfmap::fs

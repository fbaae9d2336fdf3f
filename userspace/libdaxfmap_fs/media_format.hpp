// SPDX-License-Identifier: GPL-2.0-only
// daxfmap's on-media format (docs/media-format.md): a superblock at offset 0,
// an append-only metadata log, then data in 2 MiB units.  Every struct is
// fixed-width little-endian with explicit padding; the sizes are asserted.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "libdaxfmap_fs/device.hpp"

namespace daxfmap::fs {

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI,
// ext4 and btrfs: crc32c("123456789") == 0xE3069283.  `crc` chains calls:
// crc32c(b, crc32c(a)) == crc32c(a ++ b).
uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc = 0);

inline constexpr uint64_t kSuperblockMagic = 0x31424d4658414400ull; // "\0DAXFMB1" read as LE
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint64_t kLogOffset = kUnit;                         // 2 MiB
inline constexpr uint64_t kCommitOffset = 4096; // LogCommitBlock, in the superblock's unit
inline constexpr uint64_t kDefaultLogSize = uint64_t{8} << 20;        // 8 MiB
inline constexpr uint64_t kMinLogSize = kUnit;
inline constexpr uint64_t kMaxLogSize = uint64_t{1} << 30;

// Names and paths in the log: a component is at most kMaxNameBytes (NAME_MAX),
// a path relative to the root at most kMaxPathBytes; longer is ENAMETOOLONG.
inline constexpr size_t kMaxNameBytes = 255;
inline constexpr size_t kMaxPathBytes = 1023;

// At offset 0 of the device; the rest of the first 2 MiB unit is zero.
struct Superblock {
	uint64_t magic;        // kSuperblockMagic
	uint32_t version;      // kFormatVersion
	uint32_t sb_size;      // sizeof(Superblock)
	uint8_t uuid[16];      // random at mkfs
	uint64_t device_size;  // bytes the file system spans (<= the device's size)
	uint64_t log_offset;   // kLogOffset
	uint64_t log_size;     // bytes, a multiple of 2 MiB
	uint64_t data_offset;  // log_offset + log_size: first allocatable byte
	uint64_t alloc_unit;   // kUnit
	uint64_t mkfs_time_ns; // CLOCK_REALTIME at mkfs
	uint8_t reserved[168]; // zero
	uint32_t reserved2;    // zero
	uint32_t crc32c;       // over the struct with this field zero
};
static_assert(sizeof(Superblock) == 256);
static_assert(offsetof(Superblock, crc32c) == 252);

// The log commit block, at kCommitOffset (never inside the log, so that
// damage to the log cannot also take the record of what it should hold).
// The commit word says which half of the log is live and how many entries of
// it are committed; it is written with one aligned 8-byte store, which the
// media makes failure-atomic, after the entry it commits is durable.
inline constexpr uint64_t kCommitMagic = 0x314b4d4358414400ull; // "\0DAXCMK1" read as LE

struct LogCommitBlock {
	uint64_t magic;           // kCommitMagic
	uint64_t commit;          // pack_commit(): count, epoch, check
	uint64_t writer;          // non-zero while a read-write mount is live (its random id)
	uint64_t writer_since_ns; // CLOCK_REALTIME when that mount came up
	uint8_t reserved[32];     // zero
};
static_assert(sizeof(LogCommitBlock) == 64);
static_assert(offsetof(LogCommitBlock, commit) % 8 == 0);

// What the commit word holds.  The live half of the log is epoch & 1; its
// first `count` entries are committed.  A compaction writes the live
// namespace into the other half and moves to epoch + 1 with one store.
struct CommitWord {
	uint32_t count = 0; // committed entries in the live half
	uint16_t epoch = 0; // +1 per compaction (wraps); tags every entry of its half
	bool operator==(const CommitWord &) const = default;
};

// Bits 0-31 count, 32-47 epoch, 48-63 the low 16 bits of CRC32C over those
// six bytes: a flipped bit in the word is damage, not a different commit.
uint64_t pack_commit(CommitWord w);
// nullopt when the check bits do not match.
std::optional<CommitWord> unpack_commit(uint64_t word);

// Log entries start at 64-byte aligned offsets in their half of the log: a
// header, then the payload, then zero padding to the next multiple of 64.
inline constexpr uint32_t kEntryMagic = 0x4c474f4c; // "LOGL"
inline constexpr uint64_t kEntryAlign = 64;

enum class EntryType : uint16_t {
	File = 1,   // create (or fill an empty file): LogFilePayload
	Mkdir = 2,  // LogMkdirPayload
	Delete = 3, // file or (empty) directory: LogDeletePayload
	Times = 4,  // a file's or directory's modification time: LogTimesPayload
	Rename = 5, // move a name, replacing or exchanging with the target: LogRenamePayload
	Attr = 6,   // permission bits and owner of an existing entry: LogAttrPayload
	Symlink = 7, // a symbolic link: LogSymlinkPayload
	Resize = 8, // an existing file's new size and fmap (grow, shrink, preallocate): LogResizePayload
};

struct LogEntryHeader {
	uint32_t magic;       // kEntryMagic
	uint16_t type;        // EntryType
	uint16_t header_size; // sizeof(LogEntryHeader)
	uint64_t seq;         // 1 for the first entry of its half, +1 for each next one
	uint32_t payload_len; // bytes after the header, padding excluded
	uint32_t crc32c;      // over header (this field zero) + payload
	uint16_t epoch;       // the commit word's epoch when written
	uint16_t reserved;    // zero
	uint32_t reserved2;   // zero
};
static_assert(sizeof(LogEntryHeader) == 32);

// FILE payload, followed by path_len bytes of path (relative to the root, no
// leading '/', no NUL) and fmap_len bytes of fmap: a GET_FMAP reply as
// encode_fmap writes it (extended profile: several devices, many extents).
// fmap_len == 0 only for an empty file (size 0).
struct LogFilePayload {
	uint32_t mode;     // permission bits (07777)
	uint32_t uid;
	uint32_t gid;
	uint32_t flags;    // zero (reserved for famfs-style flags)
	uint64_t size;     // file size in bytes
	uint64_t time_ns;  // CLOCK_REALTIME when logged
	uint16_t path_len;
	uint16_t reserved; // zero
	uint32_t fmap_len;
};
static_assert(sizeof(LogFilePayload) == 40);

// MKDIR payload, followed by path_len bytes of path.
struct LogMkdirPayload {
	uint32_t mode; // permission bits (07777)
	uint32_t uid;
	uint32_t gid;
	uint16_t path_len;
	uint16_t reserved; // zero
	uint64_t time_ns;
};
static_assert(sizeof(LogMkdirPayload) == 24);

// DELETE payload, followed by path_len bytes of path.
struct LogDeletePayload {
	uint16_t path_len;
	uint16_t reserved;  // zero
	uint32_t reserved2; // zero
	uint64_t time_ns;
};
static_assert(sizeof(LogDeletePayload) == 16);

// TIMES payload, followed by path_len bytes of path.
struct LogTimesPayload {
	uint16_t path_len;
	uint16_t reserved;  // zero
	uint32_t reserved2; // zero
	uint64_t mtime_ns;  // CLOCK_REALTIME
};
static_assert(sizeof(LogTimesPayload) == 16);

// RENAME payload, followed by from_len bytes of the old path and to_len bytes
// of the new one.  flags 0: the new path, if it exists, is replaced (a file
// by a file, an empty directory by a directory); kRenameExchange: both exist
// and swap.  Whether the target may exist (RENAME_NOREPLACE) is decided
// before the entry is written, so the log holds only the outcome.
inline constexpr uint32_t kRenameExchange = 2; // the value of RENAME_EXCHANGE

struct LogRenamePayload {
	uint16_t from_len;
	uint16_t to_len;
	uint32_t flags;   // 0 or kRenameExchange
	uint64_t time_ns; // CLOCK_REALTIME when logged
};
static_assert(sizeof(LogRenamePayload) == 16);

// ATTR payload, followed by path_len bytes of path: the entry's permission
// bits and owner from now on (chmod, chown).
struct LogAttrPayload {
	uint32_t mode; // permission bits (07777)
	uint32_t uid;
	uint32_t gid;
	uint16_t path_len;
	uint16_t reserved; // zero
};
static_assert(sizeof(LogAttrPayload) == 16);

// SYMLINK payload, followed by path_len bytes of path and target_len bytes of
// target (1..kMaxSymlinkBytes, no NUL; stored as given, never resolved).
inline constexpr size_t kMaxSymlinkBytes = 4095;

struct LogSymlinkPayload {
	uint32_t uid;
	uint32_t gid;
	uint16_t path_len;
	uint16_t target_len;
	uint32_t reserved; // zero
	uint64_t time_ns;  // CLOCK_REALTIME when logged
};
static_assert(sizeof(LogSymlinkPayload) == 24);

// RESIZE payload, followed by path_len bytes of path and fmap_len bytes of
// the file's whole new fmap (as in FILE; fmap_len == 0 only for size 0 with
// no space).  The fmap may name more space than the size (preallocation);
// units the old fmap named and the new one does not are free after it.
struct LogResizePayload {
	uint64_t size;     // the file size in bytes from now on
	uint64_t time_ns;  // CLOCK_REALTIME when logged (the file's mtime)
	uint32_t fmap_len;
	uint16_t path_len;
	uint16_t reserved; // zero
};
static_assert(sizeof(LogResizePayload) == 24);

// The superblock's CRC as it should be (crc32c field taken as zero).
uint32_t superblock_crc(const Superblock &sb);

// Reads and checks the superblock at offset 0 of a mapped device: magic
// (EINVAL, "not a daxfmap file system"), version (EINVAL), CRC (EBADMSG),
// geometry (EINVAL: sb_size, alloc_unit, log offset/size, data offset, a
// device_size that is unit aligned, holds one data unit and fits the device).
Result<Superblock> read_superblock(const Device &dev);

} // namespace daxfmap::fs

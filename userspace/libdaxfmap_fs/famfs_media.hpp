// SPDX-License-Identifier: GPL-2.0-only
// famfs's on-media format (read-only): its superblock, its log header and
// 544-byte entries, decoded into daxfmap's log records so that a famfs
// device mounts, checks and maps like daxfmap's own media.  The layout is
// described in docs/famfs-media.md; famfs's own code is not used.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libdaxfmap/result.hpp"
#include "libdaxfmap_fs/device.hpp"
#include "libdaxfmap_fs/media_format.hpp"
#include "libdaxfmap_fs/metadata_log.hpp"

namespace daxfmap::fs::famfs {

inline constexpr uint64_t kSuperMagic = 0x87b282ff;
inline constexpr uint64_t kVersion = 48;
inline constexpr uint32_t kOmfMajor = 2;
inline constexpr uint64_t kLogMagic = 0xbadcafef00dull;
inline constexpr uint64_t kLogOffset = uint64_t{2} << 20;
inline constexpr uint64_t kAllocUnit = uint64_t{2} << 20;
inline constexpr size_t kSuperblockBytes = 200;
inline constexpr size_t kLogHeaderBytes = 48;
inline constexpr size_t kEntryBytes = 544;
inline constexpr size_t kMaxPathBytes = 80; // NUL included
inline constexpr uint32_t kMaxExtents = 16;
inline constexpr uint32_t kMaxStrips = 16;

enum class EntryType : uint32_t { File = 0, Mkdir = 1, Delete = 2, AddDaxdev = 3, Invalid = 4 };

struct Superblock {
	uint64_t version = 0;
	uint64_t log_offset = 0;
	uint64_t log_len = 0;
	uint64_t alloc_unit = 0;
	uint32_t omf_major = 0, omf_minor = 0;
	uint8_t uuid[16] = {}, dev_uuid[16] = {}, system_uuid[16] = {};
	uint64_t crc = 0;
	uint32_t flags = 0;
	uint64_t device_size = 0;   // ts_daxdev.dd_size
	std::string device_path;    // ts_daxdev.dd_daxdev, as mkfs was given it
};

struct LogHeader {
	uint64_t len = 0;
	uint64_t last_index = 0; // inclusive
	uint64_t next_seqnum = 0;
	uint64_t next_index = 0; // entries in use
};

// One entry, as far as daxfmap uses it.
struct Entry {
	uint64_t index = 0;
	EntryType type = EntryType::Invalid;
	// FILE: size, flags, uid, gid, mode, path, fmap; MKDIR: uid, gid, mode, path.
	FileRecordEntry file; // .flags: fm_flags
	MkdirRecordEntry dir;
	uint32_t add_daxdev_index = 0; // ADD_DAXDEV
	uint64_t add_daxdev_size = 0;
};

// What reading the log found.
struct Log {
	Superblock sb;
	LogHeader header;
	std::vector<Entry> entries;      // the valid ones, in log order, skipped ones excluded
	uint64_t entries_read = 0;       // valid entries (skipped ones included)
	std::vector<std::string> skipped; // entries famfs's logplay skips too, with why
	std::optional<Error> stopped;    // the first invalid entry: replay stopped there
};

// True when the device starts with famfs's superblock magic (the rest may
// still be wrong: read_superblock says what).
bool looks_like_famfs(const Device &dev);

// famfs's checks (magic, version 48, OMF major 2, CRC, alloc unit) and
// daxfmap's (a 2 MiB alloc unit, the log inside the device, a device size
// that fits it).  EINVAL or EBADMSG naming the field.
Result<Superblock> read_superblock(const Device &dev);

// The geometry daxfmap's namespace and allocator work with, for famfs media:
// the data area starts after famfs's superblock and log, and ends at the
// last whole 2 MiB unit of the device size famfs recorded.
fs::Superblock daxfmap_geometry(const Superblock &sb);

// The log header (magic, CRC, lengths) and every entry up to next_index:
// sequence number equal to the index, CRC, a known type, a path that is
// relative, NUL-terminated, non-empty and free of "." and "..", extents
// within famfs's limits.  Reading stops at the first invalid entry (as
// famfs's logplay does) and says which and why in `stopped`; FILE entries
// that logplay skips (an empty or absolute path, an extent at offset 0) are
// listed in `skipped`.  Errors only for a header that cannot be trusted.
Result<Log> read_log(const Device &dev, const Superblock &sb);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
std::string uuid_text(const uint8_t (&uuid)[16]);

} // namespace daxfmap::fs::famfs

// SPDX-License-Identifier: GPL-2.0-only
// The append-only metadata log: records in, CRC-checked entries on the media,
// and replay that finds where the good part ends and never writes over damage.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/result.hpp"
#include "libdaxfmap_fs/device.hpp"
#include "libdaxfmap_fs/media_format.hpp"

namespace daxfmap::fs {

// What the entries say, decoded.  Paths are relative to the root ("a/b").
struct FileRecordEntry {
	std::string path;
	uint32_t mode = 0644;
	uint32_t uid = 0;
	uint32_t gid = 0;
	uint32_t flags = 0;
	uint64_t size = 0;
	uint64_t time_ns = 0;
	Fmap fmap; // empty SimpleExtents for an empty file

	bool operator==(const FileRecordEntry &) const = default;
};

struct MkdirRecordEntry {
	std::string path;
	uint32_t mode = 0755;
	uint32_t uid = 0;
	uint32_t gid = 0;
	uint64_t time_ns = 0;

	bool operator==(const MkdirRecordEntry &) const = default;
};

struct DeleteRecordEntry {
	std::string path;
	uint64_t time_ns = 0;

	bool operator==(const DeleteRecordEntry &) const = default;
};

using LogRecord = std::variant<FileRecordEntry, MkdirRecordEntry, DeleteRecordEntry>;

struct LogEntry {
	uint64_t seq = 0;
	uint64_t offset = 0; // from the start of the log
	uint64_t length = 0; // bytes on the media, padding included
	LogRecord record;
};

// A checked path: relative, non-empty components, no "." or "..", each
// component <= kMaxNameBytes, all <= kMaxPathBytes (ENAMETOOLONG), no NUL.
Result<void> check_path(std::string_view path);

// One entry's bytes (header, payload, zero padding to 64), ready to write.
// EINVAL for a bad path or an fmap that does not encode; ENAMETOOLONG.
Result<std::vector<uint8_t>> encode_entry(const LogRecord &record, uint64_t seq);
// Decodes one entry at the start of `bytes` (checks magic, header size, type,
// payload bounds, CRC, path, embedded fmap).  EBADMSG with the reason.
Result<LogEntry> decode_entry(std::span<const uint8_t> bytes);

// Damage found by replay.  [offset, offset + length) is the span of log bytes
// that are neither a valid entry nor zero, from the first bad entry to the
// last non-zero byte of the log (tail damage) or to the next valid entry
// (mid-log damage).
struct LogDamage {
	uint64_t offset = 0; // from the start of the log
	uint64_t length = 0;
	uint64_t seq = 0;    // the sequence number the bad entry should have had
	std::string reason;  // e.g. "entry at log+0x1c0: CRC 0x12345678, expected 0x9abcdef0"
	// true: valid entries follow the damage (corruption: the file system
	// mounts read-only); false: an interrupted append at the tail.
	bool followed_by_entries = false;
	uint64_t entries_after = 0; // valid-looking entries after the damage (not applied)
};

struct ReplayResult {
	std::vector<LogEntry> entries; // every good entry before any damage, in order
	uint64_t append_offset = 0;    // where the next entry goes (64-aligned, past any damage)
	uint64_t next_seq = 1;
	// Torn appends from earlier crashes that later appends went past: the
	// next good entry carries the sequence number the torn one would have
	// had, which proves the torn one never completed.  Harmless, reported.
	std::vector<LogDamage> skipped;
	// Where replay stopped: a torn tail (nothing valid after it), or
	// corruption (a completed entry damaged: the entries after it do not
	// continue the sequence).
	std::optional<LogDamage> damage;
	bool corrupt() const { return damage && damage->followed_by_entries; }
};

// The log region [log_offset, log_offset + log_size) of a mapped device.
// Not thread-safe: the FileSystem serializes appends.
class MetadataLog {
public:
	MetadataLog(const Device &dev, uint64_t log_offset, uint64_t log_size);

	// Zeroes the whole log region and flushes (mkfs).
	Result<void> format();

	// Reads the log from the start, decoding entries until the first one that
	// does not check.  What follows decides: only zero bytes -> the end (or a
	// torn tail if the bad bytes are not all zero: reported, appends go after
	// the last non-zero byte, 64-aligned); a later valid entry with the
	// expected sequence number -> a torn append skipped by later appends
	// (replay goes on); with another sequence number -> corruption, reported,
	// and the log refuses appends.  Also sets where append() continues.
	// Never writes.
	ReplayResult replay();

	// Writes payload, then the header with its CRC, flushing each, at the
	// append offset.  ENOSPC when the entry does not fit ("metadata log full:
	// N bytes used of M, entry needs K"), EROFS after replay found corruption
	// or on a read-only device.  Returns the entry as placed.
	Result<LogEntry> append(const LogRecord &record);

	uint64_t size() const { return size_; }
	uint64_t used() const { return append_off_; } // bytes up to the append offset
	uint64_t next_seq() const { return next_seq_; }

private:
	const Device &dev_;
	uint64_t off_;
	uint64_t size_;
	uint64_t append_off_ = 0;
	uint64_t next_seq_ = 1;
	bool frozen_ = false; // corruption seen: no more appends
};

} // namespace daxfmap::fs

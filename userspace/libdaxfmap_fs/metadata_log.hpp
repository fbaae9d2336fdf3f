// SPDX-License-Identifier: GPL-2.0-only
// The metadata log: records in, CRC-checked entries on the media, committed
// by a commit word; replay that tells a torn append from damage, and
// compaction into the other half of the log.
#pragma once

#include <cstdint>
#include <functional>
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

// A new modification time for an existing file or directory.
struct TimesRecordEntry {
	std::string path;
	uint64_t mtime_ns = 0;

	bool operator==(const TimesRecordEntry &) const = default;
};

// `path` moves to `to`: replacing what `to` names (flags 0) or exchanging
// with it (kRenameExchange).
struct RenameRecordEntry {
	std::string path;
	std::string to;
	uint32_t flags = 0;
	uint64_t time_ns = 0;

	bool operator==(const RenameRecordEntry &) const = default;
};

// New permission bits and owner for an existing entry.
struct AttrRecordEntry {
	std::string path;
	uint32_t mode = 0;
	uint32_t uid = 0;
	uint32_t gid = 0;

	bool operator==(const AttrRecordEntry &) const = default;
};

struct SymlinkRecordEntry {
	std::string path;
	std::string target;
	uint32_t uid = 0;
	uint32_t gid = 0;
	uint64_t time_ns = 0;

	bool operator==(const SymlinkRecordEntry &) const = default;
};

// An existing file's new size and whole fmap.
struct ResizeRecordEntry {
	std::string path;
	uint64_t size = 0;
	uint64_t time_ns = 0;
	Fmap fmap; // empty SimpleExtents when the file has no space

	bool operator==(const ResizeRecordEntry &) const = default;
};

using LogRecord = std::variant<FileRecordEntry, MkdirRecordEntry, DeleteRecordEntry, TimesRecordEntry,
			       RenameRecordEntry, AttrRecordEntry, SymlinkRecordEntry,
			       ResizeRecordEntry>;

// The path a record is about (RENAME: the old one).
const std::string &record_path(const LogRecord &record);

struct LogEntry {
	uint64_t seq = 0;
	uint16_t epoch = 0;
	uint64_t offset = 0; // from the start of the log (both halves)
	uint64_t length = 0; // bytes on the media, padding included
	LogRecord record;
	// Fields the format says are zero but are not (reserved bytes, FILE
	// flags): the entry is used, fsck warns.
	std::vector<std::string> warnings;
};

// A checked path: relative, non-empty components, no "." or "..", each
// component <= kMaxNameBytes, all <= kMaxPathBytes (ENAMETOOLONG), no NUL.
Result<void> check_path(std::string_view path);

// One entry's bytes (header, payload, zero padding to 64), ready to write.
// EINVAL for a bad path or an fmap that does not encode; ENAMETOOLONG.
Result<std::vector<uint8_t>> encode_entry(const LogRecord &record, uint64_t seq, uint16_t epoch = 0);
// Decodes one entry at the start of `bytes` (checks magic, header size, type,
// payload bounds, CRC, path, mode bits, embedded fmap).  EBADMSG with the
// reason.
Result<LogEntry> decode_entry(std::span<const uint8_t> bytes);

// Damage found by replay, [offset, offset + length) in log offsets.
struct LogDamage {
	uint64_t offset = 0; // from the start of the log
	uint64_t length = 0;
	uint64_t seq = 0;    // the sequence number of the entry concerned
	std::string reason;  // e.g. "committed entry 3 at log+0x1c0: crc32c: expected ..."
	// true: damage to what was committed (the commit word, a committed
	// entry) or bytes no interrupted append could have written: the file
	// system mounts read-only and fsck calls it NOT CLEAN.  false: one
	// append that never committed (a torn tail): harmless, discarded.
	bool corrupt = false;
	uint64_t entries_after = 0; // committed entries from the damaged one on, not applied
};

// Called by the log at each durable step of an append or a compaction (after
// the flush): the place a crash can happen.  For crash-consistency tests.
using CrashPoint = std::function<void(std::string_view step)>;

struct ReplayResult {
	std::vector<LogEntry> entries; // the committed entries, in order (those before any damage)
	CommitWord commit;             // as read (or recovered)
	uint64_t half_size = 0;
	uint64_t used = 0;             // bytes of the live half the committed entries take
	std::optional<LogDamage> damage;
	bool writer_live = false;      // the commit block names a live (or crashed) writer
	bool commit_damaged = false;   // the commit block failed its checks (entries recovered by scan)
	bool corrupt() const { return damage && damage->corrupt; }
};

// The log: two halves of [log_offset, log_offset + log_size), one live, and
// the commit block at commit_offset that says which and how much of it is
// committed (docs/media-format.md).  Not thread-safe: the FileSystem
// serializes appends.
class MetadataLog {
public:
	MetadataLog(const Device &dev, uint64_t commit_offset, uint64_t log_offset, uint64_t log_size,
		    CrashPoint crash_point = {});

	// Zeroes the log, writes a commit block for epoch 0 with no entries, and
	// flushes (mkfs).
	Result<void> format();

	// Reads the commit block and the committed entries of the live half.  A
	// committed entry that does not decode, or a commit word whose check
	// fails, is corruption; so are non-zero bytes past the committed end
	// beyond the one entry an interrupted append could have been writing.
	// That one entry (complete or not) is a torn tail: not applied.  After
	// corruption the log refuses appends.  Never writes.
	ReplayResult replay();

	// Writes the entry (header, flush, then the rest, flush) past the
	// committed end, then commits it with one store to the commit word
	// (flush).  Zeroes a torn tail first.  ENOSPC when it does not fit the
	// live half, or would leave less than `keep_free` bytes free ("metadata
	// log full: ..."); EROFS after corruption or on a read-only device.
	Result<LogEntry> append(const LogRecord &record, uint64_t keep_free = 0);

	// Writes `live` (the whole namespace, parents before children) as the
	// first entries of the other half, then switches to it with one store
	// to the commit word.  A crash before that store leaves the old half
	// live and whole; after it, the new one.  ENOSPC ("metadata log full:
	// the live namespace needs N bytes, a half holds M") leaves the log as
	// it was.
	Result<void> compact(std::span<const LogRecord> live);

	// Marks a read-write mount live (a random id) or gone (0) in the commit
	// block, so that a read-only mount elsewhere can refuse to serve stale
	// metadata beside it.
	Result<void> set_writer(uint64_t id);

	// fsck --repair: zeroes the bytes past the committed end of the live
	// half (a torn tail or stray bytes: nothing committed is there).
	// EROFS if a committed entry or the commit word is damaged.
	Result<uint64_t> discard_uncommitted();

	uint64_t size() const { return size_; }
	uint64_t half_size() const { return size_ / 2; }
	uint64_t used() const { return used_; }         // bytes committed in the live half
	uint64_t next_seq() const { return uint64_t{commit_.count} + 1; }
	CommitWord commit() const { return commit_; }
	// Bytes the last compaction of this mount wrote (0 before the first).
	uint64_t checkpoint_bytes() const { return checkpoint_bytes_; }

private:
	uint64_t half_base(unsigned half) const { return off_ + half * half_size(); }
	uint64_t live_base() const { return half_base(commit_.epoch & 1u); }
	Result<void> write_commit(CommitWord w);
	Result<void> writable() const;
	void crash_point(std::string_view step) const;

	const Device &dev_;
	uint64_t commit_off_;
	uint64_t off_;
	uint64_t size_;
	CrashPoint crash_point_;
	CommitWord commit_;
	uint64_t used_ = 0;
	uint64_t dirty_end_ = 0;   // live-half offset up to which uncommitted bytes may be non-zero
	uint64_t checkpoint_bytes_ = 0;
	bool frozen_ = false;      // corruption seen: no more appends
};

} // namespace daxfmap::fs

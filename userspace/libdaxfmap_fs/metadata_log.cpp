// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_fs/metadata_log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/random.h>

#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/validate.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::fs {

namespace {

uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

Error bad_entry(std::string what, std::string expected, std::string found)
{
	return Error{.errnum = EBADMSG, .field = std::move(what), .expected = std::move(expected),
		     .found = std::move(found)};
}

template <typename T>
void put(std::vector<uint8_t> &out, const T &v)
{
	const auto *p = reinterpret_cast<const uint8_t *>(&v);
	out.insert(out.end(), p, p + sizeof(T));
}

template <typename T>
T get(std::span<const uint8_t> bytes, size_t at)
{
	T v;
	std::memcpy(&v, bytes.data() + at, sizeof(T));
	return v;
}

std::string_view type_name(uint16_t t)
{
	switch (static_cast<EntryType>(t)) {
	case EntryType::File: return "FILE";
	case EntryType::Mkdir: return "MKDIR";
	case EntryType::Delete: return "DELETE";
	case EntryType::Times: return "TIMES";
	case EntryType::Rename: return "RENAME";
	case EntryType::Attr: return "ATTR";
	case EntryType::Symlink: return "SYMLINK";
	case EntryType::Resize: return "RESIZE";
	}
	return "unknown";
}

// The path that follows a payload struct; `rest_allowed` for FILE, whose
// fmap follows the path.
Result<std::string> take_path(std::span<const uint8_t> payload, size_t at, size_t len,
			      std::string_view type, bool rest_allowed = false)
{
	if (!rest_allowed && at + len != payload.size())
		return bad_entry(std::string(type) + ".path_len",
				 std::to_string(payload.size() - at) + " (the rest of the payload)",
				 std::to_string(len));
	if (at + len > payload.size())
		return bad_entry(std::string(type) + ".path_len",
				 "at most " + std::to_string(payload.size() - at) + " bytes",
				 std::to_string(len));
	std::string path(reinterpret_cast<const char *>(payload.data() + at), len);
	if (auto ok = check_path(path); !ok) {
		Error e = ok.error();
		e.errnum = EBADMSG;
		e.field = std::string(type) + "." + e.field;
		return e;
	}
	return path;
}

// Mode holds the permission bits only; the type comes from the entry.
Result<void> check_mode(uint32_t mode)
{
	if (mode & ~uint32_t{07777})
		return Error{.errnum = EINVAL, .field = "mode", .expected = "permission bits (07777 at most)",
			     .found = "0" + [&] {
				     char b[16];
				     std::snprintf(b, sizeof(b), "%o", mode);
				     return std::string(b);
			     }()};
	return {};
}

void warn_nonzero(LogEntry &e, std::string_view field, uint64_t v)
{
	if (v != 0)
		e.warnings.push_back(std::string(field) + " is " + hex(v) + ", the format says 0");
}

// FILE and RESIZE carry a file's whole fmap: extended-profile valid, its
// file_size the record's size; none only for an empty file.
Result<Bytes> encode_file_fmap(const Fmap &fmap, uint64_t size)
{
	if (fmap.empty()) {
		if (size != 0)
			return Error{.errnum = EINVAL, .field = "fmap",
				     .expected = "extents covering " + hex(size), .found = "none"};
		return Bytes{};
	}
	if (fmap.file_size != size)
		return Error{.errnum = EINVAL, .field = "fmap.file_size",
			     .expected = "the file size " + hex(size), .found = hex(fmap.file_size)};
	if (auto ok = check(fmap, limits_for(Profile::Extended)); !ok)
		return ok.error();
	return encode_fmap(fmap);
}

// The fmap at the end of a FILE or RESIZE payload (`type` names which).
Result<Fmap> decode_file_fmap(std::span<const uint8_t> bytes, uint64_t size, std::string_view type)
{
	const std::string t(type);
	if (bytes.empty()) {
		if (size != 0)
			return bad_entry(t + ".fmap", "extents for " + hex(size), "none");
		Fmap empty;
		empty.extents = SimpleExtents{};
		return empty;
	}
	auto d = decode_and_validate(bytes, limits_for(Profile::Extended));
	if (!d) {
		Error err = d.error();
		err.field = t + ".fmap." + err.field;
		return err;
	}
	if (d->consumed != bytes.size())
		return bad_entry(t + ".fmap", std::to_string(bytes.size()) + " bytes",
				 std::to_string(d->consumed));
	if (d->fmap.file_size != size)
		return bad_entry(t + ".fmap.file_size", hex(size), hex(d->fmap.file_size));
	return std::move(d->fmap);
}

Result<void> check_rename_flags(uint32_t flags)
{
	if (flags != 0 && flags != kRenameExchange)
		return Error{.errnum = EINVAL, .field = "RENAME.flags",
			     .expected = "0 (replace) or " + std::to_string(kRenameExchange) + " (exchange)",
			     .found = std::to_string(flags)};
	return {};
}

Result<void> check_symlink_target(std::string_view target)
{
	if (target.empty() || target.size() > kMaxSymlinkBytes || target.find('\0') != target.npos)
		return Error{.errnum = target.size() > kMaxSymlinkBytes ? ENAMETOOLONG : EINVAL,
			     .field = "symlink target",
			     .expected = "1 to " + std::to_string(kMaxSymlinkBytes) + " bytes without NUL",
			     .found = std::to_string(target.size()) + " bytes" +
				      (target.find('\0') != target.npos ? " with a NUL" : "")};
	return {};
}

} // namespace

const std::string &record_path(const LogRecord &record)
{
	return std::visit([](const auto &r) -> const std::string & { return r.path; }, record);
}

Result<void> check_path(std::string_view path)
{
	if (path.empty())
		return Error{.errnum = EINVAL, .field = "path", .expected = "a non-empty relative path",
			     .found = "an empty path"};
	if (path.size() > kMaxPathBytes)
		return Error{.errnum = ENAMETOOLONG, .field = "path",
			     .expected = "at most " + std::to_string(kMaxPathBytes) + " bytes",
			     .found = std::to_string(path.size()) + " bytes"};
	if (path.find('\0') != std::string_view::npos)
		return Error{.errnum = EINVAL, .field = "path", .expected = "no NUL byte",
			     .found = "a NUL byte"};
	size_t start = 0;
	while (true) {
		size_t slash = path.find('/', start);
		std::string_view comp = path.substr(start, slash == std::string_view::npos
								   ? std::string_view::npos
								   : slash - start);
		if (comp.empty() || comp == "." || comp == "..")
			return Error{.errnum = EINVAL, .field = "path",
				     .expected = "relative, without empty, '.' or '..' components",
				     .found = "\"" + std::string(path.substr(0, 200)) + "\""};
		if (comp.size() > kMaxNameBytes)
			return Error{.errnum = ENAMETOOLONG, .field = "path component",
				     .expected = "at most " + std::to_string(kMaxNameBytes) + " bytes",
				     .found = std::to_string(comp.size()) + " bytes"};
		if (slash == std::string_view::npos)
			break;
		start = slash + 1;
	}
	return {};
}

Result<std::vector<uint8_t>> encode_entry(const LogRecord &record, uint64_t seq, uint16_t epoch)
{
	std::vector<uint8_t> payload;
	EntryType type{};
	if (const auto *f = std::get_if<FileRecordEntry>(&record)) {
		type = EntryType::File;
		if (auto ok = check_path(f->path); !ok)
			return ok.error();
		auto fmap = encode_file_fmap(f->fmap, f->size);
		if (!fmap)
			return fmap.error();
		if (auto ok = check_mode(f->mode); !ok)
			return ok.error();
		LogFilePayload p{};
		p.mode = f->mode & 07777;
		p.uid = f->uid;
		p.gid = f->gid;
		p.flags = f->flags;
		p.size = f->size;
		p.time_ns = f->time_ns;
		p.path_len = static_cast<uint16_t>(f->path.size());
		p.fmap_len = static_cast<uint32_t>(fmap->size());
		put(payload, p);
		payload.insert(payload.end(), f->path.begin(), f->path.end());
		payload.insert(payload.end(), fmap->begin(), fmap->end());
	} else if (const auto *z = std::get_if<ResizeRecordEntry>(&record)) {
		type = EntryType::Resize;
		if (auto ok = check_path(z->path); !ok)
			return ok.error();
		auto fmap = encode_file_fmap(z->fmap, z->size);
		if (!fmap)
			return fmap.error();
		LogResizePayload p{};
		p.size = z->size;
		p.time_ns = z->time_ns;
		p.fmap_len = static_cast<uint32_t>(fmap->size());
		p.path_len = static_cast<uint16_t>(z->path.size());
		put(payload, p);
		payload.insert(payload.end(), z->path.begin(), z->path.end());
		payload.insert(payload.end(), fmap->begin(), fmap->end());
	} else if (const auto *r = std::get_if<RenameRecordEntry>(&record)) {
		type = EntryType::Rename;
		if (auto ok = check_path(r->path); !ok)
			return ok.error();
		if (auto ok = check_path(r->to); !ok)
			return ok.error();
		if (auto ok = check_rename_flags(r->flags); !ok)
			return ok.error();
		LogRenamePayload p{};
		p.from_len = static_cast<uint16_t>(r->path.size());
		p.to_len = static_cast<uint16_t>(r->to.size());
		p.flags = r->flags;
		p.time_ns = r->time_ns;
		put(payload, p);
		payload.insert(payload.end(), r->path.begin(), r->path.end());
		payload.insert(payload.end(), r->to.begin(), r->to.end());
	} else if (const auto *a = std::get_if<AttrRecordEntry>(&record)) {
		type = EntryType::Attr;
		if (auto ok = check_path(a->path); !ok)
			return ok.error();
		if (auto ok = check_mode(a->mode); !ok)
			return ok.error();
		LogAttrPayload p{};
		p.mode = a->mode;
		p.uid = a->uid;
		p.gid = a->gid;
		p.path_len = static_cast<uint16_t>(a->path.size());
		put(payload, p);
		payload.insert(payload.end(), a->path.begin(), a->path.end());
	} else if (const auto *l = std::get_if<SymlinkRecordEntry>(&record)) {
		type = EntryType::Symlink;
		if (auto ok = check_path(l->path); !ok)
			return ok.error();
		if (auto ok = check_symlink_target(l->target); !ok)
			return ok.error();
		LogSymlinkPayload p{};
		p.uid = l->uid;
		p.gid = l->gid;
		p.path_len = static_cast<uint16_t>(l->path.size());
		p.target_len = static_cast<uint16_t>(l->target.size());
		p.time_ns = l->time_ns;
		put(payload, p);
		payload.insert(payload.end(), l->path.begin(), l->path.end());
		payload.insert(payload.end(), l->target.begin(), l->target.end());
	} else if (const auto *m = std::get_if<MkdirRecordEntry>(&record)) {
		type = EntryType::Mkdir;
		if (auto ok = check_path(m->path); !ok)
			return ok.error();
		if (auto ok = check_mode(m->mode); !ok)
			return ok.error();
		LogMkdirPayload p{};
		p.mode = m->mode & 07777;
		p.uid = m->uid;
		p.gid = m->gid;
		p.path_len = static_cast<uint16_t>(m->path.size());
		p.time_ns = m->time_ns;
		put(payload, p);
		payload.insert(payload.end(), m->path.begin(), m->path.end());
	} else if (const auto *t = std::get_if<TimesRecordEntry>(&record)) {
		type = EntryType::Times;
		if (auto ok = check_path(t->path); !ok)
			return ok.error();
		LogTimesPayload p{};
		p.path_len = static_cast<uint16_t>(t->path.size());
		p.mtime_ns = t->mtime_ns;
		put(payload, p);
		payload.insert(payload.end(), t->path.begin(), t->path.end());
	} else {
		const auto &d = std::get<DeleteRecordEntry>(record);
		type = EntryType::Delete;
		if (auto ok = check_path(d.path); !ok)
			return ok.error();
		LogDeletePayload p{};
		p.path_len = static_cast<uint16_t>(d.path.size());
		p.time_ns = d.time_ns;
		put(payload, p);
		payload.insert(payload.end(), d.path.begin(), d.path.end());
	}
	if (payload.size() > UINT32_MAX)
		return Error{.errnum = EFBIG, .field = "log entry", .expected = "under 4 GiB",
			     .found = format_size(payload.size())};

	LogEntryHeader h{};
	h.magic = kEntryMagic;
	h.type = static_cast<uint16_t>(type);
	h.header_size = sizeof(LogEntryHeader);
	h.seq = seq;
	h.payload_len = static_cast<uint32_t>(payload.size());
	h.epoch = epoch;
	std::vector<uint8_t> out;
	out.reserve(round_up(sizeof(h) + payload.size(), kEntryAlign));
	put(out, h);
	out.insert(out.end(), payload.begin(), payload.end());
	h.crc32c = crc32c(out);
	std::memcpy(out.data() + offsetof(LogEntryHeader, crc32c), &h.crc32c, sizeof(h.crc32c));
	out.resize(round_up(out.size(), kEntryAlign), 0);
	return out;
}

Result<LogEntry> decode_entry(std::span<const uint8_t> bytes)
{
	if (bytes.size() < sizeof(LogEntryHeader))
		return bad_entry("header", std::to_string(sizeof(LogEntryHeader)) + " bytes",
				 std::to_string(bytes.size()) + " bytes left in the log");
	auto h = get<LogEntryHeader>(bytes, 0);
	if (h.magic != kEntryMagic)
		return bad_entry("magic", hex(kEntryMagic), hex(h.magic));
	if (h.header_size != sizeof(LogEntryHeader))
		return bad_entry("header_size", std::to_string(sizeof(LogEntryHeader)),
				 std::to_string(h.header_size));
	if (h.payload_len > bytes.size() - sizeof(h))
		return bad_entry("payload_len",
				 "at most " + std::to_string(bytes.size() - sizeof(h)) +
					 " (the rest of the log)",
				 std::to_string(h.payload_len));
	std::vector<uint8_t> head(bytes.begin(), bytes.begin() + sizeof(h));
	std::memset(head.data() + offsetof(LogEntryHeader, crc32c), 0, sizeof(h.crc32c));
	uint32_t crc = crc32c(bytes.subspan(sizeof(h), h.payload_len), crc32c(head));
	if (crc != h.crc32c)
		return bad_entry("crc32c", hex(crc), hex(h.crc32c));

	LogEntry e;
	e.seq = h.seq;
	e.epoch = h.epoch;
	e.length = round_up(sizeof(h) + h.payload_len, kEntryAlign);
	warn_nonzero(e, "header.reserved", h.reserved);
	if (e.length <= bytes.size()) {
		auto pad = bytes.subspan(sizeof(h) + h.payload_len, e.length - sizeof(h) - h.payload_len);
		if (std::any_of(pad.begin(), pad.end(), [](uint8_t b) { return b != 0; }))
			e.warnings.push_back("padding after the payload is not zero");
	}
	warn_nonzero(e, "header.reserved2", h.reserved2);
	auto payload = bytes.subspan(sizeof(h), h.payload_len);
	std::string_view tn = type_name(h.type);
	switch (static_cast<EntryType>(h.type)) {
	case EntryType::File: {
		if (payload.size() < sizeof(LogFilePayload))
			return bad_entry("FILE payload", std::to_string(sizeof(LogFilePayload)) + " bytes",
					 std::to_string(payload.size()));
		auto p = get<LogFilePayload>(payload, 0);
		FileRecordEntry f;
		auto path = take_path(payload, sizeof(p), p.path_len, tn, true);
		if (!path)
			return path.error();
		f.path = std::move(*path);
		size_t at = sizeof(p) + p.path_len;
		if (uint64_t{p.fmap_len} != payload.size() - at)
			return bad_entry("FILE.fmap_len", std::to_string(payload.size() - at),
					 std::to_string(p.fmap_len));
		if (auto ok = check_mode(p.mode); !ok)
			return bad_entry("FILE.mode", ok.error().expected, ok.error().found);
		warn_nonzero(e, "FILE.flags", p.flags);
		warn_nonzero(e, "FILE.reserved", p.reserved);
		f.mode = p.mode;
		f.uid = p.uid;
		f.gid = p.gid;
		f.flags = p.flags;
		f.size = p.size;
		f.time_ns = p.time_ns;
		auto fmap = decode_file_fmap(payload.subspan(at), p.size, tn);
		if (!fmap)
			return fmap.error();
		f.fmap = std::move(*fmap);
		e.record = std::move(f);
		break;
	}
	case EntryType::Resize: {
		if (payload.size() < sizeof(LogResizePayload))
			return bad_entry("RESIZE payload", std::to_string(sizeof(LogResizePayload)) + " bytes",
					 std::to_string(payload.size()));
		auto p = get<LogResizePayload>(payload, 0);
		auto path = take_path(payload, sizeof(p), p.path_len, tn, true);
		if (!path)
			return path.error();
		size_t at = sizeof(p) + p.path_len;
		if (uint64_t{p.fmap_len} != payload.size() - at)
			return bad_entry("RESIZE.fmap_len", std::to_string(payload.size() - at),
					 std::to_string(p.fmap_len));
		warn_nonzero(e, "RESIZE.reserved", p.reserved);
		auto fmap = decode_file_fmap(payload.subspan(at), p.size, tn);
		if (!fmap)
			return fmap.error();
		e.record = ResizeRecordEntry{.path = std::move(*path), .size = p.size,
					     .time_ns = p.time_ns, .fmap = std::move(*fmap)};
		break;
	}
	case EntryType::Rename: {
		if (payload.size() < sizeof(LogRenamePayload))
			return bad_entry("RENAME payload", std::to_string(sizeof(LogRenamePayload)) + " bytes",
					 std::to_string(payload.size()));
		auto p = get<LogRenamePayload>(payload, 0);
		auto from = take_path(payload, sizeof(p), p.from_len, tn, true);
		if (!from)
			return from.error();
		auto to = take_path(payload, sizeof(p) + p.from_len, p.to_len, tn);
		if (!to)
			return to.error();
		if (auto ok = check_rename_flags(p.flags); !ok)
			return bad_entry("RENAME.flags", ok.error().expected, ok.error().found);
		e.record = RenameRecordEntry{.path = std::move(*from), .to = std::move(*to),
					     .flags = p.flags, .time_ns = p.time_ns};
		break;
	}
	case EntryType::Attr: {
		if (payload.size() < sizeof(LogAttrPayload))
			return bad_entry("ATTR payload", std::to_string(sizeof(LogAttrPayload)) + " bytes",
					 std::to_string(payload.size()));
		auto p = get<LogAttrPayload>(payload, 0);
		auto path = take_path(payload, sizeof(p), p.path_len, tn);
		if (!path)
			return path.error();
		if (auto ok = check_mode(p.mode); !ok)
			return bad_entry("ATTR.mode", ok.error().expected, ok.error().found);
		warn_nonzero(e, "ATTR.reserved", p.reserved);
		e.record = AttrRecordEntry{.path = std::move(*path), .mode = p.mode, .uid = p.uid,
					   .gid = p.gid};
		break;
	}
	case EntryType::Symlink: {
		if (payload.size() < sizeof(LogSymlinkPayload))
			return bad_entry("SYMLINK payload",
					 std::to_string(sizeof(LogSymlinkPayload)) + " bytes",
					 std::to_string(payload.size()));
		auto p = get<LogSymlinkPayload>(payload, 0);
		auto path = take_path(payload, sizeof(p), p.path_len, tn, true);
		if (!path)
			return path.error();
		const size_t at = sizeof(p) + p.path_len;
		if (uint64_t{p.target_len} != payload.size() - at)
			return bad_entry("SYMLINK.target_len", std::to_string(payload.size() - at),
					 std::to_string(p.target_len));
		std::string target(reinterpret_cast<const char *>(payload.data() + at), p.target_len);
		if (auto ok = check_symlink_target(target); !ok)
			return bad_entry("SYMLINK.target", ok.error().expected, ok.error().found);
		warn_nonzero(e, "SYMLINK.reserved", p.reserved);
		e.record = SymlinkRecordEntry{.path = std::move(*path), .target = std::move(target),
					      .uid = p.uid, .gid = p.gid, .time_ns = p.time_ns};
		break;
	}
	case EntryType::Mkdir: {
		if (payload.size() < sizeof(LogMkdirPayload))
			return bad_entry("MKDIR payload", std::to_string(sizeof(LogMkdirPayload)) + " bytes",
					 std::to_string(payload.size()));
		auto p = get<LogMkdirPayload>(payload, 0);
		auto path = take_path(payload, sizeof(p), p.path_len, tn);
		if (!path)
			return path.error();
		if (auto ok = check_mode(p.mode); !ok)
			return bad_entry("MKDIR.mode", ok.error().expected, ok.error().found);
		warn_nonzero(e, "MKDIR.reserved", p.reserved);
		e.record = MkdirRecordEntry{.path = std::move(*path), .mode = p.mode, .uid = p.uid,
					    .gid = p.gid, .time_ns = p.time_ns};
		break;
	}
	case EntryType::Delete: {
		if (payload.size() < sizeof(LogDeletePayload))
			return bad_entry("DELETE payload",
					 std::to_string(sizeof(LogDeletePayload)) + " bytes",
					 std::to_string(payload.size()));
		auto p = get<LogDeletePayload>(payload, 0);
		auto path = take_path(payload, sizeof(p), p.path_len, tn);
		if (!path)
			return path.error();
		warn_nonzero(e, "DELETE.reserved", p.reserved);
		warn_nonzero(e, "DELETE.reserved2", p.reserved2);
		e.record = DeleteRecordEntry{.path = std::move(*path), .time_ns = p.time_ns};
		break;
	}
	case EntryType::Times: {
		if (payload.size() < sizeof(LogTimesPayload))
			return bad_entry("TIMES payload", std::to_string(sizeof(LogTimesPayload)) + " bytes",
					 std::to_string(payload.size()));
		auto p = get<LogTimesPayload>(payload, 0);
		auto path = take_path(payload, sizeof(p), p.path_len, tn);
		if (!path)
			return path.error();
		warn_nonzero(e, "TIMES.reserved", p.reserved);
		warn_nonzero(e, "TIMES.reserved2", p.reserved2);
		e.record = TimesRecordEntry{.path = std::move(*path), .mtime_ns = p.mtime_ns};
		break;
	}
	default:
		return bad_entry("type",
				 "FILE (1), MKDIR (2), DELETE (3), TIMES (4), RENAME (5), ATTR (6), "
				 "SYMLINK (7) or RESIZE (8)",
				 std::to_string(h.type));
	}
	return e;
}


MetadataLog::MetadataLog(const Device &dev, uint64_t commit_offset, uint64_t log_offset,
			 uint64_t log_size, CrashPoint crash_point)
	: dev_(dev), commit_off_(commit_offset), off_(log_offset), size_(log_size),
	  crash_point_(std::move(crash_point))
{
}

void MetadataLog::crash_point(std::string_view step) const
{
	if (crash_point_)
		crash_point_(step);
}

Result<void> MetadataLog::writable() const
{
	if (frozen_)
		return Error{.errnum = EROFS, .field = "metadata log", .expected = "an intact log",
			     .found = "damage found at replay; the file system is read-only"};
	if (dev_.read_only())
		return Error{.errnum = EROFS, .field = "device " + dev_.path(), .expected = "writable",
			     .found = "opened read-only"};
	return {};
}

Result<void> MetadataLog::write_commit(CommitWord w)
{
	// One aligned 8-byte store: the media never holds half of it.
	auto *word = reinterpret_cast<volatile uint64_t *>(dev_.base() + commit_off_ +
							   offsetof(LogCommitBlock, commit));
	*word = pack_commit(w);
	if (auto ok = dev_.flush(commit_off_, sizeof(LogCommitBlock)); !ok)
		return ok.error();
	commit_ = w;
	return {};
}

Result<void> MetadataLog::format()
{
	if (dev_.read_only())
		return Error{.errnum = EROFS, .field = "device " + dev_.path(),
			     .expected = "writable", .found = "opened read-only"};
	std::memset(dev_.base() + off_, 0, size_);
	if (auto ok = dev_.flush(off_, size_); !ok)
		return ok.error();
	LogCommitBlock cb{};
	cb.magic = kCommitMagic;
	cb.commit = pack_commit(CommitWord{});
	std::memcpy(dev_.base() + commit_off_, &cb, sizeof(cb));
	if (auto ok = dev_.flush(commit_off_, sizeof(cb)); !ok)
		return ok.error();
	commit_ = CommitWord{};
	used_ = dirty_end_ = checkpoint_bytes_ = 0;
	frozen_ = false;
	return {};
}

namespace {

// The committed-looking chain of entries at the start of a half: consecutive
// sequence numbers from 1, one epoch.  At most `limit` entries.
std::vector<LogEntry> read_chain(std::span<const uint8_t> half, uint64_t half_off, uint64_t limit,
				 std::optional<uint16_t> epoch, std::optional<Error> *stop = nullptr,
				 uint64_t *end = nullptr)
{
	std::vector<LogEntry> out;
	uint64_t pos = 0;
	while (out.size() < limit) {
		auto e = decode_entry(half.subspan(pos));
		std::optional<Error> why;
		if (!e)
			why = e.error();
		else if (e->seq != out.size() + 1)
			why = bad_entry("seq", std::to_string(out.size() + 1), std::to_string(e->seq));
		else if (epoch && e->epoch != *epoch)
			why = bad_entry("epoch", std::to_string(*epoch), std::to_string(e->epoch));
		if (why) {
			if (stop)
				*stop = why;
			break;
		}
		if (!epoch)
			epoch = e->epoch;
		e->offset = half_off + pos;
		pos += e->length;
		out.push_back(std::move(*e));
	}
	if (end)
		*end = pos;
	return out;
}

} // namespace

ReplayResult MetadataLog::replay()
{
	ReplayResult r;
	r.half_size = half_size();
	frozen_ = false;
	checkpoint_bytes_ = 0;
	LogCommitBlock cb;
	std::memcpy(&cb, dev_.base() + commit_off_, sizeof(cb));
	r.writer_live = cb.writer != 0;
	auto half = [&](unsigned h) {
		return std::span<const uint8_t>(dev_.base() + half_base(h), half_size());
	};

	auto w = cb.magic == kCommitMagic ? unpack_commit(cb.commit) : std::nullopt;
	if (!w) {
		// The record of what is committed is gone: recover the newest
		// chain read-only, and call it damage.
		LogDamage d;
		d.offset = 0;
		d.corrupt = true;
		d.reason = cb.magic != kCommitMagic
				   ? "log commit block at " + hex(commit_off_) + ": magic " + hex(cb.magic) +
					     ", expected " + hex(kCommitMagic)
				   : "log commit word at " + hex(commit_off_ + offsetof(LogCommitBlock, commit)) +
					     " fails its check (" + hex(cb.commit) + ")";
		std::vector<LogEntry> c[2];
		for (unsigned h = 0; h < 2; h++)
			c[h] = read_chain(half(h), half_base(h) - off_, UINT32_MAX, std::nullopt);
		unsigned pick = c[0].empty() ? 1 : 0;
		if (!c[0].empty() && !c[1].empty())
			pick = static_cast<int16_t>(c[1][0].epoch - c[0][0].epoch) > 0 ? 1 : 0;
		d.reason += "; recovered " + std::to_string(c[pick].size()) +
			    " entries from log half " + std::to_string(pick) + ", read-only";
		r.commit = CommitWord{.count = static_cast<uint32_t>(c[pick].size()),
				      .epoch = c[pick].empty() ? uint16_t{0} : c[pick][0].epoch};
		r.entries = std::move(c[pick]);
		r.damage = d;
		r.commit_damaged = true;
		commit_ = r.commit;
		frozen_ = true;
		return r;
	}
	commit_ = *w;
	r.commit = *w;
	const unsigned live = commit_.epoch & 1u;
	const uint64_t live_off = half_base(live) - off_;
	auto bytes = half(live);
	std::optional<Error> stop;
	uint64_t end = 0;
	r.entries = read_chain(bytes, live_off, commit_.count, commit_.epoch, &stop, &end);
	used_ = end;
	r.used = end;
	if (r.entries.size() < commit_.count) {
		LogDamage d;
		d.offset = live_off + end;
		d.length = kEntryAlign;
		d.seq = r.entries.size() + 1;
		d.corrupt = true;
		d.entries_after = commit_.count - r.entries.size();
		d.reason = "committed entry " + std::to_string(d.seq) + " of " +
			   std::to_string(commit_.count) + " at log+" + hex(d.offset) + ": " +
			   stop->message();
		r.damage = d;
		frozen_ = true;
		return r;
	}

	// Past the committed end: zero, or the one entry an interrupted append
	// was writing (its header first, then its payload), and nothing else.
	uint64_t end_nz = bytes.size();
	while (end_nz > end && bytes[end_nz - 1] == 0)
		end_nz--;
	dirty_end_ = end_nz;
	if (end_nz == end)
		return r;
	uint64_t span = sizeof(LogEntryHeader); // part of a header, at most
	std::string what = "an incomplete header";
	if (bytes.size() - end >= sizeof(LogEntryHeader)) {
		auto h = get<LogEntryHeader>(bytes, end);
		if (h.magic == kEntryMagic && h.header_size == sizeof(LogEntryHeader) &&
		    h.seq == commit_.count + 1u && h.epoch == commit_.epoch &&
		    h.payload_len <= bytes.size() - end - sizeof(h)) {
			span = round_up(sizeof(h) + h.payload_len, kEntryAlign);
			auto e = decode_entry(bytes.subspan(end));
			what = e ? "a complete entry that was never committed"
				 : "an incomplete entry (" + e.error().message() + ")";
		}
	}
	LogDamage d;
	d.offset = live_off + end;
	d.length = end_nz - end;
	d.seq = commit_.count + 1u;
	if (end_nz <= end + span) {
		d.reason = "uncommitted append at log+" + hex(d.offset) + " (" + std::to_string(d.length) +
			   " bytes): " + what;
	} else {
		d.corrupt = true;
		d.reason = std::to_string(d.length) + " bytes from log+" + hex(d.offset) + " to log+" +
			   hex(live_off + end_nz) + " past the committed end are not zero, beyond what an "
			   "interrupted append writes (" + what + " at the committed end)";
		frozen_ = true;
	}
	r.damage = d;
	return r;
}

Result<LogEntry> MetadataLog::append(const LogRecord &record, uint64_t keep_free)
{
	if (auto ok = writable(); !ok)
		return ok.error();
	auto bytes = encode_entry(record, next_seq(), commit_.epoch);
	if (!bytes)
		return bytes.error();
	const uint64_t room = half_size() - used_;
	if (bytes->size() > room || room - bytes->size() < keep_free)
		return Error{.errnum = ENOSPC, .field = "metadata log",
			     .expected = "room for an entry of " + std::to_string(bytes->size()) +
					 " bytes" +
					 (keep_free ? " and " + std::to_string(keep_free) +
							      " bytes kept free for root and deletes"
						    : std::string()),
			     .found = "full: " + std::to_string(used_) + " bytes used of the " +
				      std::to_string(half_size()) + " a log half holds"};
	uint8_t *at = dev_.base() + live_base() + used_;
	const uint64_t at_off = live_base() + used_;
	if (dirty_end_ > used_) {
		// A torn append from before: never committed, so nothing to keep.
		std::memset(at, 0, dirty_end_ - used_);
		if (auto ok = dev_.flush(at_off, dirty_end_ - used_); !ok)
			return ok.error();
		dirty_end_ = used_;
	}
	// Header first, then the payload, each made durable, so that whatever
	// a crash leaves past the committed end lies within the span the header
	// names (replay's test for a torn append).
	constexpr size_t h = sizeof(LogEntryHeader);
	std::memcpy(at, bytes->data(), h);
	if (auto ok = dev_.flush(at_off, h); !ok)
		return ok.error();
	crash_point("append: header");
	std::memcpy(at + h, bytes->data() + h, bytes->size() - h);
	if (auto ok = dev_.flush(at_off + h, bytes->size() - h); !ok)
		return ok.error();
	dirty_end_ = used_ + bytes->size();
	crash_point("append: payload");
	if (auto ok = write_commit({.count = commit_.count + 1, .epoch = commit_.epoch}); !ok)
		return ok.error();
	crash_point("append: committed");
	auto e = decode_entry(*bytes);
	if (!e)
		return e.error(); // cannot happen: we just encoded it
	e->offset = at_off - off_;
	used_ += bytes->size();
	return e;
}

Result<void> MetadataLog::compact(std::span<const LogRecord> live)
{
	if (auto ok = writable(); !ok)
		return ok.error();
	const CommitWord next{.count = 0, .epoch = static_cast<uint16_t>(commit_.epoch + 1)};
	std::vector<uint8_t> image;
	uint64_t seq = 1;
	for (const auto &rec : live) {
		auto bytes = encode_entry(rec, seq++, next.epoch);
		if (!bytes)
			return bytes.error();
		image.insert(image.end(), bytes->begin(), bytes->end());
		if (image.size() > half_size())
			break;
	}
	if (image.size() > half_size())
		return Error{.errnum = ENOSPC, .field = "metadata log",
			     .expected = "a log half (" + std::to_string(half_size()) +
					 " bytes) that holds the live namespace",
			     .found = "full: the " + std::to_string(live.size()) +
				      " live files and directories need more than that"};
	const unsigned other = (commit_.epoch + 1u) & 1u;
	uint8_t *base = dev_.base() + half_base(other);
	// The other half is not live: nothing there is needed.
	std::memset(base, 0, half_size());
	if (auto ok = dev_.flush(half_base(other), half_size()); !ok)
		return ok.error();
	crash_point("compact: other half zeroed");
	if (!image.empty()) {
		std::memcpy(base, image.data(), image.size());
		if (auto ok = dev_.flush(half_base(other), image.size()); !ok)
			return ok.error();
	}
	crash_point("compact: checkpoint written");
	if (auto ok = write_commit({.count = static_cast<uint32_t>(live.size()), .epoch = next.epoch}); !ok)
		return ok.error();
	crash_point("compact: switched");
	used_ = dirty_end_ = checkpoint_bytes_ = image.size();
	return {};
}

Result<void> MetadataLog::set_writer(uint64_t id)
{
	if (dev_.read_only())
		return Error{.errnum = EROFS, .field = "device " + dev_.path(), .expected = "writable",
			     .found = "opened read-only"};
	LogCommitBlock cb;
	std::memcpy(&cb, dev_.base() + commit_off_, sizeof(cb));
	timespec ts{};
	clock_gettime(CLOCK_REALTIME, &ts);
	const uint64_t since = id ? static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
					    static_cast<uint64_t>(ts.tv_nsec)
				  : 0;
	auto *p = reinterpret_cast<volatile uint64_t *>(dev_.base() + commit_off_);
	p[offsetof(LogCommitBlock, writer) / 8] = id;
	p[offsetof(LogCommitBlock, writer_since_ns) / 8] = since;
	return dev_.flush(commit_off_, sizeof(cb));
}

Result<uint64_t> MetadataLog::discard_uncommitted()
{
	if (dev_.read_only())
		return Error{.errnum = EROFS, .field = "device " + dev_.path(), .expected = "writable",
			     .found = "opened read-only"};
	auto r = replay();
	if (r.damage && r.damage->corrupt && r.entries.size() < r.commit.count)
		return Error{.errnum = EROFS, .field = "metadata log",
			     .expected = "intact committed entries", .found = r.damage->reason};
	if (r.commit_damaged)
		return Error{.errnum = EROFS, .field = "metadata log",
			     .expected = "an intact commit word", .found = r.damage->reason};
	const uint64_t n = dirty_end_ - used_;
	if (n) {
		std::memset(dev_.base() + live_base() + used_, 0, n);
		if (auto ok = dev_.flush(live_base() + used_, n); !ok)
			return ok.error();
	}
	dirty_end_ = used_;
	frozen_ = false;
	return n;
}

} // namespace daxfmap::fs

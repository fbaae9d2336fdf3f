// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_fs/metadata_log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

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
	}
	return "unknown";
}

// The path that follows a payload struct.
Result<std::string> take_path(std::span<const uint8_t> payload, size_t at, size_t len,
			      std::string_view type)
{
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

} // namespace

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

Result<std::vector<uint8_t>> encode_entry(const LogRecord &record, uint64_t seq)
{
	std::vector<uint8_t> payload;
	EntryType type{};
	if (const auto *f = std::get_if<FileRecordEntry>(&record)) {
		type = EntryType::File;
		if (auto ok = check_path(f->path); !ok)
			return ok.error();
		Bytes fmap;
		bool empty = f->fmap.is_simple() && f->fmap.simple().empty();
		if (!empty) {
			if (f->fmap.file_size != f->size)
				return Error{.errnum = EINVAL, .field = "fmap.file_size",
					     .expected = "the file size " + hex(f->size),
					     .found = hex(f->fmap.file_size)};
			if (auto ok = check(f->fmap, limits_for(Profile::Extended)); !ok)
				return ok.error();
			fmap = encode_fmap(f->fmap);
		} else if (f->size != 0) {
			return Error{.errnum = EINVAL, .field = "fmap",
				     .expected = "extents covering " + hex(f->size), .found = "none"};
		}
		LogFilePayload p{};
		p.mode = f->mode & 07777;
		p.uid = f->uid;
		p.gid = f->gid;
		p.flags = f->flags;
		p.size = f->size;
		p.time_ns = f->time_ns;
		p.path_len = static_cast<uint16_t>(f->path.size());
		p.fmap_len = static_cast<uint32_t>(fmap.size());
		put(payload, p);
		payload.insert(payload.end(), f->path.begin(), f->path.end());
		payload.insert(payload.end(), fmap.begin(), fmap.end());
	} else if (const auto *m = std::get_if<MkdirRecordEntry>(&record)) {
		type = EntryType::Mkdir;
		if (auto ok = check_path(m->path); !ok)
			return ok.error();
		LogMkdirPayload p{};
		p.mode = m->mode & 07777;
		p.uid = m->uid;
		p.gid = m->gid;
		p.path_len = static_cast<uint16_t>(m->path.size());
		p.time_ns = m->time_ns;
		put(payload, p);
		payload.insert(payload.end(), m->path.begin(), m->path.end());
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
	e.length = round_up(sizeof(h) + h.payload_len, kEntryAlign);
	auto payload = bytes.subspan(sizeof(h), h.payload_len);
	std::string_view tn = type_name(h.type);
	switch (static_cast<EntryType>(h.type)) {
	case EntryType::File: {
		if (payload.size() < sizeof(LogFilePayload))
			return bad_entry("FILE payload", std::to_string(sizeof(LogFilePayload)) + " bytes",
					 std::to_string(payload.size()));
		auto p = get<LogFilePayload>(payload, 0);
		FileRecordEntry f;
		auto path = take_path(payload, sizeof(p), p.path_len, tn);
		if (!path)
			return path.error();
		f.path = std::move(*path);
		size_t at = sizeof(p) + p.path_len;
		if (uint64_t{p.fmap_len} != payload.size() - at)
			return bad_entry("FILE.fmap_len", std::to_string(payload.size() - at),
					 std::to_string(p.fmap_len));
		f.mode = p.mode;
		f.uid = p.uid;
		f.gid = p.gid;
		f.flags = p.flags;
		f.size = p.size;
		f.time_ns = p.time_ns;
		if (p.fmap_len == 0) {
			if (p.size != 0)
				return bad_entry("FILE.fmap", "extents for " + hex(p.size), "none");
			f.fmap.extents = SimpleExtents{};
		} else {
			auto d = decode_and_validate(payload.subspan(at), limits_for(Profile::Extended));
			if (!d) {
				Error err = d.error();
				err.field = "FILE.fmap." + err.field;
				return err;
			}
			if (d->consumed != p.fmap_len)
				return bad_entry("FILE.fmap", std::to_string(p.fmap_len) + " bytes",
						 std::to_string(d->consumed));
			if (d->fmap.file_size != p.size)
				return bad_entry("FILE.fmap.file_size", hex(p.size), hex(d->fmap.file_size));
			f.fmap = std::move(d->fmap);
		}
		e.record = std::move(f);
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
		e.record = DeleteRecordEntry{.path = std::move(*path), .time_ns = p.time_ns};
		break;
	}
	default:
		return bad_entry("type", "FILE (1), MKDIR (2) or DELETE (3)", std::to_string(h.type));
	}
	return e;
}

MetadataLog::MetadataLog(const Device &dev, uint64_t log_offset, uint64_t log_size)
	: dev_(dev), off_(log_offset), size_(log_size)
{
}

Result<void> MetadataLog::format()
{
	if (dev_.read_only())
		return Error{.errnum = EROFS, .field = "device " + dev_.path(),
			     .expected = "writable", .found = "opened read-only"};
	std::memset(dev_.base() + off_, 0, size_);
	append_off_ = 0;
	next_seq_ = 1;
	frozen_ = false;
	return dev_.flush(off_, size_);
}

ReplayResult MetadataLog::replay()
{
	ReplayResult r;
	std::span<const uint8_t> log(dev_.base() + off_, size_);
	// Last non-zero byte + 1, so that "only zeros after" is one comparison.
	uint64_t end_nz = size_;
	while (end_nz > 0 && log[end_nz - 1] == 0)
		end_nz--;

	uint64_t pos = 0;
	while (pos < end_nz) {
		auto e = decode_entry(log.subspan(pos));
		if (e && e->seq == r.next_seq) {
			e->offset = pos;
			pos += e->length;
			r.entries.push_back(std::move(*e));
			r.next_seq++;
			continue;
		}
		LogDamage d;
		d.offset = pos;
		d.seq = r.next_seq;
		d.reason = "entry at log+" + hex(pos) + ": " +
			   (e ? "sequence number " + std::to_string(e->seq) + ", expected " +
					std::to_string(r.next_seq)
			      : e.error().message());
		// The next decodable entry after the damage, if any.
		uint64_t q = pos + kEntryAlign;
		std::optional<LogEntry> next;
		for (; q < end_nz; q += kEntryAlign) {
			if (get<uint32_t>(log, q) != kEntryMagic)
				continue;
			if (auto n = decode_entry(log.subspan(q)); n) {
				next = std::move(*n);
				break;
			}
		}
		if (!next) {
			// Torn tail: an append that never completed.
			d.length = end_nz - pos;
			r.damage = d;
			break;
		}
		d.length = q - pos;
		if (next->seq == r.next_seq) {
			// A torn append that later appends went past.
			r.skipped.push_back(d);
			pos = q;
			continue;
		}
		d.followed_by_entries = true;
		for (uint64_t p = q; p < end_nz;) {
			auto n = decode_entry(log.subspan(p));
			if (!n)
				break;
			d.entries_after++;
			p += n->length;
		}
		r.damage = d;
		break;
	}
	r.append_offset = std::max(pos, round_up(end_nz, kEntryAlign));
	if (!r.damage)
		r.append_offset = pos;
	append_off_ = r.append_offset;
	next_seq_ = r.next_seq;
	frozen_ = r.corrupt();
	return r;
}

Result<LogEntry> MetadataLog::append(const LogRecord &record)
{
	if (frozen_)
		return Error{.errnum = EROFS, .field = "metadata log",
			     .expected = "an intact log",
			     .found = "corruption found at replay; the file system is read-only"};
	if (dev_.read_only())
		return Error{.errnum = EROFS, .field = "device " + dev_.path(),
			     .expected = "writable", .found = "opened read-only"};
	auto bytes = encode_entry(record, next_seq_);
	if (!bytes)
		return bytes.error();
	if (bytes->size() > size_ - append_off_)
		return Error{.errnum = ENOSPC, .field = "metadata log",
			     .expected = "room for an entry of " + std::to_string(bytes->size()) +
					 " bytes",
			     .found = "full: " + std::to_string(append_off_) + " bytes used of " +
				      std::to_string(size_)};
	uint8_t *at = dev_.base() + off_ + append_off_;
	// Payload first, header last: a crash in between leaves a zero header
	// over non-zero bytes, which replay reports as a torn append.
	std::memcpy(at + sizeof(LogEntryHeader), bytes->data() + sizeof(LogEntryHeader),
		    bytes->size() - sizeof(LogEntryHeader));
	if (auto ok = dev_.flush(off_ + append_off_ + sizeof(LogEntryHeader),
				 bytes->size() - sizeof(LogEntryHeader));
	    !ok)
		return ok.error();
	std::memcpy(at, bytes->data(), sizeof(LogEntryHeader));
	if (auto ok = dev_.flush(off_ + append_off_, sizeof(LogEntryHeader)); !ok)
		return ok.error();
	auto e = decode_entry(*bytes);
	if (!e)
		return e.error(); // cannot happen: we just encoded it
	e->offset = append_off_;
	append_off_ += bytes->size();
	next_seq_++;
	return e;
}

} // namespace daxfmap::fs

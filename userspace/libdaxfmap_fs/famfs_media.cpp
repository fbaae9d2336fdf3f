// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_fs/famfs_media.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <zlib.h>

#include "libdaxfmap/size_parse.hpp"

namespace daxfmap::fs::famfs {

namespace {

template <typename T>
T get(const uint8_t *p, size_t at)
{
	T v;
	std::memcpy(&v, p + at, sizeof(T));
	return v;
}

uint32_t zcrc(const uint8_t *p, size_t len)
{
	return static_cast<uint32_t>(crc32(crc32(0, nullptr, 0), p, static_cast<uInt>(len)));
}

Error bad(int errnum, std::string field, std::string expected, std::string found)
{
	return Error{.errnum = errnum, .field = "famfs " + std::move(field), .expected = std::move(expected),
		     .found = std::move(found)};
}

// Superblock offsets (docs/famfs-media.md).
enum : size_t {
	kSbMagic = 0, kSbVersion = 8, kSbLogOffset = 16, kSbLogLen = 24, kSbAllocUnit = 32,
	kSbOmfMajor = 40, kSbOmfMinor = 44, kSbUuid = 48, kSbDevUuid = 64, kSbSystemUuid = 80,
	kSbCrc = 96, kSbFlags = 104, kSbDaxdevSize = 112, kSbDaxdevPath = 136, kSbCrcCovers = 96,
};
// Log header and entry offsets.
enum : size_t {
	kLogHMagic = 0, kLogHLen = 8, kLogHLastIndex = 16, kLogHCrc = 24, kLogHNextSeq = 32,
	kLogHNextIndex = 40, kLogHCrcCovers = 24,
	kEntSeq = 0, kEntType = 8, kEntBody = 16, kEntCrc = 536,
	// FILE body (from the entry start)
	kFileSize = 16, kFileFlags = 24, kFileUid = 28, kFileGid = 32, kFileMode = 36, kFilePath = 40,
	kFileExtType = 120, kFileNext = 128, kFileExt = 136,
	// MKDIR body
	kDirUid = 16, kDirGid = 20, kDirMode = 24, kDirPath = 28,
	// ADD_DAXDEV body
	kDdSize = 16, kDdIndex = 40,
};

std::string hex(uint64_t v)
{
	char b[24];
	std::snprintf(b, sizeof(b), "0x%llx", static_cast<unsigned long long>(v));
	return b;
}

// A relative path as famfs stores it: NUL-terminated inside 80 bytes.  Empty
// or absolute paths are famfs's "skip"; the rest must be a path daxfmap's log
// would accept.
struct PathRead {
	std::string path;
	std::optional<std::string> skip; // logplay skips the entry: why
	std::optional<Error> error;      // invalid: stops the replay
};

PathRead read_path(const uint8_t *p, const std::string &where)
{
	PathRead r;
	const void *nul = std::memchr(p, 0, kMaxPathBytes);
	if (!nul) {
		r.error = bad(EBADMSG, where + ".relpath", "a NUL within 80 bytes", "none");
		return r;
	}
	r.path.assign(reinterpret_cast<const char *>(p), static_cast<const uint8_t *>(nul) - p);
	if (r.path.empty()) {
		r.skip = "an empty path";
		return r;
	}
	if (r.path[0] == '/') {
		r.skip = "an absolute path \"" + r.path + "\"";
		return r;
	}
	while (!r.path.empty() && r.path.back() == '/')
		r.path.pop_back();
	if (auto ok = check_path(r.path); !ok)
		r.error = bad(EBADMSG, where + ".relpath", ok.error().expected, "\"" + r.path + "\"");
	return r;
}

SimpleExtent read_extent(const uint8_t *p)
{
	return SimpleExtent{.device = static_cast<uint32_t>(get<uint64_t>(p, 0)), .offset = get<uint64_t>(p, 8),
			    .length = get<uint64_t>(p, 16)};
}

} // namespace

std::string uuid_text(const uint8_t (&u)[16])
{
	char b[40];
	std::snprintf(b, sizeof(b), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		      u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return b;
}

bool looks_like_famfs(const Device &dev)
{
	return dev.size() >= kSuperblockBytes && get<uint64_t>(dev.base(), kSbMagic) == kSuperMagic;
}

Result<Superblock> read_superblock(const Device &dev)
{
	const uint8_t *p = dev.base();
	if (!looks_like_famfs(dev))
		return bad(EINVAL, "superblock.magic", hex(kSuperMagic), hex(get<uint64_t>(p, kSbMagic)));
	Superblock sb;
	sb.version = get<uint64_t>(p, kSbVersion);
	sb.log_offset = get<uint64_t>(p, kSbLogOffset);
	sb.log_len = get<uint64_t>(p, kSbLogLen);
	sb.alloc_unit = get<uint64_t>(p, kSbAllocUnit);
	sb.omf_major = get<uint32_t>(p, kSbOmfMajor);
	sb.omf_minor = get<uint32_t>(p, kSbOmfMinor);
	std::memcpy(sb.uuid, p + kSbUuid, 16);
	std::memcpy(sb.dev_uuid, p + kSbDevUuid, 16);
	std::memcpy(sb.system_uuid, p + kSbSystemUuid, 16);
	sb.crc = get<uint64_t>(p, kSbCrc);
	sb.flags = get<uint32_t>(p, kSbFlags);
	sb.device_size = get<uint64_t>(p, kSbDaxdevSize);
	const char *path = reinterpret_cast<const char *>(p + kSbDaxdevPath);
	sb.device_path.assign(path, strnlen(path, 64));
	if (sb.version != kVersion)
		return bad(EINVAL, "superblock.version", std::to_string(kVersion), std::to_string(sb.version));
	if (const uint32_t want = zcrc(p, kSbCrcCovers); sb.crc != want)
		return bad(EBADMSG, "superblock.crc", hex(want), hex(sb.crc));
	if (sb.omf_major != kOmfMajor)
		return bad(EINVAL, "superblock.omf_ver_major", std::to_string(kOmfMajor), std::to_string(sb.omf_major));
	if (sb.alloc_unit != kAllocUnit)
		return bad(EINVAL, "superblock.alloc_unit", "0x200000 (daxfmap maps 2 MiB units; famfs also allows 4096)",
			   hex(sb.alloc_unit));
	if (sb.log_offset != kLogOffset || sb.log_len < (uint64_t{8} << 20) || (sb.log_len & (sb.log_len - 1)))
		return bad(EINVAL, "superblock.log", "offset 0x200000, a power-of-two length of at least 8 MiB",
			   "offset " + hex(sb.log_offset) + ", length " + hex(sb.log_len));
	if (sb.device_size > dev.size() || sb.device_size < sb.log_offset + sb.log_len + kAllocUnit)
		return bad(ENOSPC, "superblock.daxdev.dd_size",
			   "the log and one unit, within the device's " + format_size(dev.size()),
			   format_size(sb.device_size));
	return sb;
}

fs::Superblock daxfmap_geometry(const Superblock &fsb)
{
	fs::Superblock sb{};
	sb.device_size = fsb.device_size / kUnit * kUnit;
	sb.log_offset = fsb.log_offset;
	sb.log_size = fsb.log_len;
	sb.data_offset = fsb.log_offset + fsb.log_len;
	sb.alloc_unit = kUnit;
	return sb;
}

Result<Log> read_log(const Device &dev, const Superblock &sb)
{
	Log log;
	log.sb = sb;
	const uint8_t *h = dev.base() + sb.log_offset;
	const uint64_t magic = get<uint64_t>(h, kLogHMagic);
	if (magic != kLogMagic)
		return bad(EBADMSG, "log.magic", hex(kLogMagic), hex(magic));
	log.header.len = get<uint64_t>(h, kLogHLen);
	log.header.last_index = get<uint64_t>(h, kLogHLastIndex);
	const uint64_t crc = get<uint64_t>(h, kLogHCrc);
	if (const uint32_t want = zcrc(h, kLogHCrcCovers); crc != want)
		return bad(EBADMSG, "log.crc", hex(want), hex(crc));
	log.header.next_seqnum = get<uint64_t>(h, kLogHNextSeq);
	log.header.next_index = get<uint64_t>(h, kLogHNextIndex);
	const uint64_t slots = (sb.log_len - kLogHeaderBytes) / kEntryBytes;
	if (log.header.len != sb.log_len || log.header.last_index + 1 != slots)
		return bad(EBADMSG, "log header",
			   "len " + std::to_string(sb.log_len) + " and last_index " + std::to_string(slots - 1),
			   "len " + std::to_string(log.header.len) + ", last_index " +
				   std::to_string(log.header.last_index));
	if (log.header.next_index > slots)
		return bad(EBADMSG, "log.next_index", "at most " + std::to_string(slots),
			   std::to_string(log.header.next_index));

	for (uint64_t i = 0; i < log.header.next_index; i++) {
		const uint8_t *e = h + kLogHeaderBytes + i * kEntryBytes;
		const std::string where = "log entry " + std::to_string(i);
		auto stop = [&](Error err) { log.stopped = std::move(err); };
		const uint64_t seq = get<uint64_t>(e, kEntSeq);
		if (seq != i) {
			stop(bad(EBADMSG, where + ".seqnum", std::to_string(i) + " (its index)", std::to_string(seq)));
			break;
		}
		const uint64_t ecrc = get<uint64_t>(e, kEntCrc);
		if (const uint32_t want = zcrc(e, kEntCrc); ecrc != want) {
			stop(bad(EBADMSG, where + ".crc", hex(want), hex(ecrc)));
			break;
		}
		Entry ent;
		ent.index = i;
		const uint32_t type = get<uint32_t>(e, kEntType);
		if (type == static_cast<uint32_t>(EntryType::Mkdir)) {
			PathRead p = read_path(e + kDirPath, where);
			if (p.error) {
				stop(*p.error);
				break;
			}
			log.entries_read++;
			if (p.skip) {
				log.skipped.push_back(where + " (MKDIR): " + *p.skip);
				continue;
			}
			ent.type = EntryType::Mkdir;
			ent.dir = MkdirRecordEntry{.path = p.path, .mode = get<uint32_t>(e, kDirMode) & 07777,
						   .uid = get<uint32_t>(e, kDirUid), .gid = get<uint32_t>(e, kDirGid)};
		} else if (type == static_cast<uint32_t>(EntryType::File)) {
			PathRead p = read_path(e + kFilePath, where);
			if (p.error) {
				stop(*p.error);
				break;
			}
			log.entries_read++;
			if (p.skip) {
				log.skipped.push_back(where + " (FILE): " + *p.skip);
				continue;
			}
			FileRecordEntry f{.path = p.path, .mode = get<uint32_t>(e, kFileMode) & 07777,
					  .uid = get<uint32_t>(e, kFileUid), .gid = get<uint32_t>(e, kFileGid),
					  .flags = get<uint32_t>(e, kFileFlags), .size = get<uint64_t>(e, kFileSize)};
			const uint32_t ext_type = get<uint32_t>(e, kFileExtType);
			const uint32_t n = get<uint32_t>(e, kFileNext);
			f.fmap.file_size = f.size;
			bool zero_offset = false;
			if (ext_type == 0) {
				if (n < 1 || n > kMaxExtents) {
					stop(bad(EBADMSG, where + ".fmap_nextents", "1.." + std::to_string(kMaxExtents),
						 std::to_string(n)));
					break;
				}
				SimpleExtents exts;
				for (uint32_t k = 0; k < n; k++) {
					exts.push_back(read_extent(e + kFileExt + 24 * k));
					zero_offset |= exts.back().offset == 0;
				}
				f.fmap.extents = std::move(exts);
			} else if (ext_type == 1) {
				const uint64_t nstrips = get<uint64_t>(e, kFileExt);
				const uint64_t chunk = get<uint64_t>(e, kFileExt + 8);
				if (n != 1 || nstrips < 1 || nstrips > kMaxStrips) {
					stop(bad(EBADMSG, where + ".interleave",
						 "one interleaved extent of 1.." + std::to_string(kMaxStrips) + " strips",
						 std::to_string(n) + " extents, " + std::to_string(nstrips) + " strips"));
					break;
				}
				InterleavedExtent ie;
				ie.chunk_size = static_cast<uint32_t>(chunk);
				uint64_t total = 0;
				for (uint64_t k = 0; k < nstrips; k++) {
					ie.strips.push_back(read_extent(e + kFileExt + 16 + 24 * k));
					total += ie.strips.back().length;
				}
				// logplay's offset-0 check reads se[0].se_offset, which
				// for an interleaved entry is the chunk size.
				zero_offset = chunk == 0;
				if (chunk > UINT32_MAX) {
					stop(bad(EBADMSG, where + ".chunk_size", "below 2^32", hex(chunk)));
					break;
				}
				// famfs resolves min(strip bytes, file size) through it.
				ie.nbytes = total;
				f.fmap.extents = InterleavedExtents{std::move(ie)};
			} else {
				stop(bad(EBADMSG, where + ".fmap_ext_type", "0 (simple) or 1 (interleaved)",
					 std::to_string(ext_type)));
				break;
			}
			if (zero_offset) {
				log.skipped.push_back(where + " (FILE \"" + f.path + "\"): an extent at offset 0");
				continue;
			}
			ent.type = EntryType::File;
			ent.file = std::move(f);
		} else if (type == static_cast<uint32_t>(EntryType::AddDaxdev)) {
			log.entries_read++;
			ent.type = EntryType::AddDaxdev;
			ent.add_daxdev_size = get<uint64_t>(e, kDdSize);
			ent.add_daxdev_index = get<uint32_t>(e, kDdIndex);
		} else {
			stop(bad(EBADMSG, where + ".type", "FILE (0), MKDIR (1) or ADD_DAXDEV (3)", std::to_string(type)));
			break;
		}
		log.entries.push_back(std::move(ent));
	}
	return log;
}

} // namespace daxfmap::fs::famfs

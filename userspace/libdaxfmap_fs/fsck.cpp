// SPDX-License-Identifier: GPL-2.0-only
// Offline check: replay as mount does, but keep going and list every problem.
#include <cerrno>
#include <cstddef>
#include <sys/file.h>

#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/validate.hpp"
#include "libdaxfmap_fs/filesystem.hpp"

namespace daxfmap::fs {

namespace {

Error problem(int errnum, std::string where, std::string expected, std::string found = {})
{
	return Error{.errnum = errnum, .field = std::move(where), .expected = std::move(expected),
		     .found = std::move(found)};
}

Error damage_error(const LogDamage &d, int errnum)
{
	return problem(errnum, "log+" + hex(d.offset),
		       d.corrupt ? "intact committed entries, and only zero bytes past them "
				   "(or one interrupted append)"
				 : "only committed entries (an interrupted append, not applied)",
		       d.reason);
}

} // namespace

Result<FsckReport> check_namespace(const FileSystem &fs, const Superblock &sb, FsckReport rep);

// famfs media: its superblock and log read as mount reads them, every entry
// applied (fsck goes on past the ones that do not apply, naming each).
Result<FsckReport> fsck_famfs(const Device &dev, FsckReport rep)
{
	rep.media = Media::Famfs;
	auto fsb = famfs::read_superblock(dev);
	if (!fsb) {
		rep.problems.push_back(fsb.error());
		return rep;
	}
	rep.superblock_ok = true;
	auto log = famfs::read_log(dev, *fsb);
	if (!log) {
		rep.problems.push_back(log.error());
		return rep;
	}
	rep.famfs_log_slots = log->header.last_index + 1;
	rep.famfs_log_used = log->header.next_index;
	rep.log_half = fsb->log_len;
	rep.log_used = famfs::kLogHeaderBytes + log->header.next_index * famfs::kEntryBytes;
	for (const auto &w : log->skipped)
		rep.warnings.push_back(problem(EUCLEAN, w, "an entry famfs replays", "skipped, as famfs's logplay skips it"));
	if (log->stopped)
		rep.problems.push_back(*log->stopped);
	const Superblock sb = famfs::daxfmap_geometry(*fsb);
	FileSystem fs(nullptr, dev, sb, MountOptions{.read_only = true});
	fs.media_ = Media::Famfs;
	for (auto &e : fs.apply_famfs(*log, true))
		rep.problems.push_back(std::move(e));
	rep.entries = log->entries_read;
	return check_namespace(fs, sb, std::move(rep));
}

Result<FsckReport> fsck(const Device &dev)
{
	FsckReport rep;
	if (famfs::looks_like_famfs(dev))
		return fsck_famfs(dev, std::move(rep));
	auto sb = read_superblock(dev);
	if (!sb) {
		rep.problems.push_back(sb.error());
		return rep;
	}
	rep.superblock_ok = true;

	// Fields the format says are zero: reported, never relied on.
	{
		const auto *raw = reinterpret_cast<const uint8_t *>(&*sb);
		bool nonzero = false;
		for (size_t i = offsetof(Superblock, reserved); i < offsetof(Superblock, crc32c); i++)
			nonzero |= raw[i] != 0;
		if (nonzero)
			rep.warnings.push_back(problem(EUCLEAN, "superblock.reserved", "zero bytes",
						       "non-zero bytes"));
	}

	FileSystem fs(nullptr, dev, *sb, MountOptions{.read_only = true});
	ReplayResult r = fs.log_.replay();
	rep.log_half = r.half_size;
	rep.log_used = r.used;
	rep.log_epoch = r.commit.epoch;
	rep.writer_live = r.writer_live;
	if (r.damage) {
		rep.damage = r.damage;
		if (r.damage->corrupt)
			rep.problems.push_back(damage_error(*r.damage, EBADMSG));
		else
			rep.warnings.push_back(damage_error(*r.damage, EUCLEAN));
	}
	for (const auto &e : r.entries) {
		const std::string &path = record_path(e.record);
		for (const auto &w : e.warnings)
			rep.warnings.push_back(problem(EUCLEAN, "log+" + hex(e.offset) + " (entry " +
								std::to_string(e.seq) + ", \"" + path + "\")",
						       "reserved fields zero", w));
		if (auto ok = fs.apply(e); !ok) {
			Error p = ok.error();
			p.field = "log+" + hex(e.offset) + " (entry " + std::to_string(e.seq) + ", \"" +
				  path + "\"): " + p.field;
			rep.problems.push_back(std::move(p));
			continue;
		}
		rep.entries++;
	}
	for (const auto &rec : fs.checkpoint_locked())
		if (auto bytes = encode_entry(rec, 1); bytes)
			rep.log_live_bytes += bytes->size();
	return check_namespace(fs, *sb, std::move(rep));
}

// The namespace replay left: every live file's fmap valid and inside the
// data area, and an allocator rebuilt from them equal to replay's.
Result<FsckReport> check_namespace(const FileSystem &fs, const Superblock &sb_in, FsckReport rep)
{
	const Superblock *sb = &sb_in;
	// Every live file: a valid fmap within the data area, and, rebuilt from
	// scratch, an allocator that agrees with the one replay kept.
	Allocator fresh(sb->data_offset, sb->device_size);
	for (const auto &[ino, fmap] : fs.files()) {
		rep.files++;
		std::string where = "file \"" + fs.path_locked(ino) + "\"";
		if (fmap.empty())
			continue;
		auto v = validate(fmap, limits_for(Profile::Extended));
		for (auto &e : v.errors) {
			e.field = where + " " + e.field;
			rep.problems.push_back(std::move(e));
		}
		if (auto ok = fresh.mark_used(fmap); !ok) {
			Error e = ok.error();
			e.field = where + " " + e.field;
			rep.problems.push_back(std::move(e));
		}
	}
	rep.symlinks = fs.symlink_count_locked();
	rep.dirs = fs.inodes_ - rep.files - rep.symlinks;
	rep.total_units = fs.alloc_.total_units();
	rep.used_units = fs.alloc_.used_units();
	rep.free_units = fs.alloc_.free_units();
	if (rep.used_units + rep.free_units != rep.total_units)
		rep.problems.push_back(problem(EUCLEAN, "allocator", "used + free == total units",
					       std::to_string(rep.used_units) + " + " +
						       std::to_string(rep.free_units) +
						       " != " + std::to_string(rep.total_units)));
	uint64_t differ = 0;
	for (uint64_t i = 0; i < rep.total_units; i++)
		differ += fs.alloc_.unit_used(i) != fresh.unit_used(i);
	if (differ != 0)
		rep.problems.push_back(problem(EUCLEAN, "allocator",
					       "the units the live files' fmaps name",
					       std::to_string(differ) + " units differ (" +
						       std::to_string(fresh.used_units()) +
						       " named by fmaps, " +
						       std::to_string(rep.used_units) +
						       " marked used after replay)"));
	return rep;
}

Result<LogRepair> repair_log(Device &dev)
{
	if (dev.read_only())
		return problem(EROFS, "device " + dev.path(), "opened read-write for a repair");
	if (dev.kind() != DeviceKind::Memfd && flock(dev.fd(), LOCK_EX | LOCK_NB) != 0)
		return problem(EBUSY, "device " + dev.path(), "not mounted",
			       "in use by another process (mounted?)");
	auto sb = read_superblock(dev);
	if (!sb)
		return sb.error();
	MetadataLog log(dev, kCommitOffset, sb->log_offset, sb->log_size);
	auto r = log.replay();
	LogRepair out;
	auto zeroed = log.discard_uncommitted();
	if (!zeroed)
		return zeroed.error();
	out.zeroed_bytes = *zeroed;
	if (r.writer_live) {
		if (auto ok = log.set_writer(0); !ok)
			return ok.error();
		out.cleared_writer = true;
	}
	return out;
}

} // namespace daxfmap::fs

// SPDX-License-Identifier: GPL-2.0-only
// Offline check: replay as mount does, but keep going and list every problem.
#include <cerrno>

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
		       d.followed_by_entries ? "an intact entry (valid entries follow the damage)"
					     : "a complete entry",
		       d.reason + " (" + std::to_string(d.length) + " bytes)");
}

} // namespace

Result<FsckReport> fsck(const Device &dev)
{
	FsckReport rep;
	auto sb = read_superblock(dev);
	if (!sb) {
		rep.problems.push_back(sb.error());
		return rep;
	}
	rep.superblock_ok = true;

	FileSystem fs(nullptr, dev, *sb, MountOptions{.read_only = true});
	ReplayResult r = fs.log_.replay();
	for (const auto &d : r.skipped)
		rep.warnings.push_back(damage_error(d, EUCLEAN));
	if (r.damage) {
		rep.damage = r.damage;
		if (r.damage->followed_by_entries)
			rep.problems.push_back(damage_error(*r.damage, EBADMSG));
		else
			rep.warnings.push_back(damage_error(*r.damage, EUCLEAN));
	}
	for (const auto &e : r.entries) {
		const std::string &path = std::visit([](const auto &x) -> const std::string & {
			return x.path;
		}, e.record);
		if (auto ok = fs.apply(e); !ok) {
			Error p = ok.error();
			p.field = "log+" + hex(e.offset) + " (entry " + std::to_string(e.seq) + ", \"" +
				  path + "\"): " + p.field;
			rep.problems.push_back(std::move(p));
			continue;
		}
		rep.entries++;
	}

	// Every live file: a valid fmap within the data area, and, rebuilt from
	// scratch, an allocator that agrees with the one replay kept.
	Allocator fresh(sb->data_offset, sb->device_size);
	for (const auto &[ino, fmap] : fs.files()) {
		rep.files++;
		std::string where = "file \"" + fs.path_locked(ino) + "\"";
		if (fmap.is_simple() && fmap.simple().empty())
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
	rep.dirs = fs.inodes_ - rep.files;
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

} // namespace daxfmap::fs

// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_bpf/pin_tree.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

namespace daxfmap::bpf {

namespace {

namespace fs = std::filesystem;

constexpr mode_t kPinDirMode = 0700;

std::string octal(unsigned mode)
{
	char buf[16];
	std::snprintf(buf, sizeof(buf), "0%o", mode);
	return buf;
}

// A pin path's levels: [0] the path itself, then each parent up to "/".
std::vector<std::string> levels_of(const std::string &path)
{
	std::error_code ec;
	fs::path p = fs::absolute(path, ec).lexically_normal();
	if (ec)
		p = fs::path(path).lexically_normal();
	if (p.has_filename() == false && p.has_parent_path() && p != p.root_path())
		p = p.parent_path(); // a trailing '/'
	std::vector<std::string> out;
	for (;;) {
		out.push_back(p.string());
		if (p == p.root_path() || !p.has_parent_path())
			break;
		p = p.parent_path();
	}
	return out;
}

std::string fs_name(long type)
{
	switch (static_cast<unsigned long>(type)) {
	case SYSFS_MAGIC: return "sysfs";
	case TMPFS_MAGIC: return "tmpfs";
	case EXT4_SUPER_MAGIC: return "ext4";
	case BTRFS_SUPER_MAGIC: return "btrfs";
	case XFS_SUPER_MAGIC: return "xfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
	case PROC_SUPER_MAGIC: return "procfs";
	default: {
		char buf[32];
		std::snprintf(buf, sizeof(buf), "f_type 0x%lx", static_cast<unsigned long>(type));
		return buf;
	}
	}
}

// Where the pin path is: the index in `levels` of its nearest existing
// level and of the bpffs root above it (the highest level on the same
// bpffs).  Fails if the nearest existing level is not on a bpffs.
struct Place {
	size_t nearest = 0;
	size_t mount_root = 0;
};

Result<Place> locate(const std::vector<std::string> &levels)
{
	Place pl;
	struct stat st;
	while (pl.nearest + 1 < levels.size() && ::lstat(levels[pl.nearest].c_str(), &st) != 0)
		pl.nearest++;
	const std::string &at = levels[pl.nearest];
	struct statfs sf;
	if (::statfs(at.c_str(), &sf) != 0)
		return Error{.errnum = errno, .field = at, .expected = "a directory on a bpffs",
			     .found = std::string("statfs: ") + std::strerror(errno)};
	if (static_cast<unsigned long>(sf.f_type) != BPF_FS_MAGIC)
		return Error{.errnum = ENODEV, .field = "bpffs not mounted at " + at,
			     .expected = "the BPF file system there, for " + levels.front() +
					 " (mount -t bpf bpf " + at + ")",
			     .found = fs_name(sf.f_type)};
	// Up to the mount's root: the parents on the same device.
	if (::stat(at.c_str(), &st) != 0)
		return Error{.errnum = errno, .field = at, .found = std::strerror(errno)};
	pl.mount_root = pl.nearest;
	for (struct stat up; pl.mount_root + 1 < levels.size(); pl.mount_root++)
		if (::stat(levels[pl.mount_root + 1].c_str(), &up) != 0 || up.st_dev != st.st_dev)
			break;
	return pl;
}

// A level is trusted when only root can change what is in it.
Result<void> check_level(const std::string &dir, const struct stat &st)
{
	std::string found;
	if (S_ISLNK(st.st_mode))
		found = "a symbolic link";
	else if (!S_ISDIR(st.st_mode))
		found = "not a directory";
	else if (st.st_uid != 0 || (st.st_mode & 07777) != kPinDirMode)
		found = "owner uid " + std::to_string(st.st_uid) + ", mode " + octal(st.st_mode & 07777);
	if (found.empty())
		return {};
	return Error{.errnum = EPERM, .field = "pin directory " + dir,
		     .expected = "a directory owned by root (uid 0) with mode 0700, so that no other user "
				 "can move pins in or out",
		     .found = found + " (remove it; daxfmap makes it again)"};
}

// make: create missing levels; repair: set trusted levels to 0700.
Result<void> walk(const std::string &dir, bool make, bool repair, bool fresh)
{
	const std::vector<std::string> levels = levels_of(dir);
	auto pl = locate(levels);
	if (!pl)
		return pl.error();
	// From the first level below the bpffs root down to dir.
	for (size_t i = pl->mount_root; i-- > 0;) {
		const std::string &level = levels[i];
		struct stat st;
		bool made = false;
		if (::lstat(level.c_str(), &st) != 0) {
			if (errno != ENOENT)
				return Error{.errnum = errno, .field = level, .found = std::strerror(errno)};
			if (!make)
				return Error{.errnum = ENOENT, .field = level,
					     .expected = "a pin directory (made by daxfmap bpf load or daxfmapd)",
					     .found = "nothing there"};
			if (::mkdir(level.c_str(), kPinDirMode) == 0) {
				made = true;
			} else if (errno != EEXIST || (i == 0 && fresh)) {
				return Error{.errnum = errno, .field = "pin directory " + level,
					     .found = std::string("mkdir: ") + std::strerror(errno)};
			}
			if (::lstat(level.c_str(), &st) != 0)
				return Error{.errnum = errno, .field = level, .found = std::strerror(errno)};
			// The umask may have taken bits; made by us, so ours to set.
			if (made && S_ISDIR(st.st_mode) && st.st_uid == 0 && ::chmod(level.c_str(), kPinDirMode) == 0)
				st.st_mode = (st.st_mode & ~07777) | kPinDirMode;
		} else if (i == 0 && fresh) {
			return Error{.errnum = EEXIST, .field = level, .expected = "no pin directory there yet",
				     .found = "one exists"};
		}
		if (!made && repair && S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & 022) == 0 &&
		    (st.st_mode & 07777) != kPinDirMode && ::chmod(level.c_str(), kPinDirMode) == 0)
			st.st_mode = (st.st_mode & ~07777) | kPinDirMode;
		if (auto ok = check_level(level, st); !ok)
			return ok;
	}
	return {};
}

} // namespace

Result<void> check_bpffs(const std::string &path)
{
	auto pl = locate(levels_of(path));
	if (!pl)
		return pl.error();
	return {};
}

Result<void> make_pin_dirs(const std::string &dir, bool fresh)
{
	return walk(dir, true, true, fresh);
}

Result<void> check_pin_dirs(const std::string &dir, PinAccess access)
{
	return walk(dir, false, access == PinAccess::Write, false);
}

} // namespace daxfmap::bpf

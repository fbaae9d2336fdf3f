// SPDX-License-Identifier: GPL-2.0-only
// The daemon's interface as seen from outside a mount: the extended
// attributes it serves, and small helpers the CLI verbs and tests share.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "libdaxfmap/result.hpp"

namespace daxfmap::daemon {

// On the root directory of a mount:
inline constexpr const char *kXattrPath = "user.daxfmap.path";               // "plain", "message", "bpf-hook"
inline constexpr const char *kXattrPathReason = "user.daxfmap.path_reason";  // why
inline constexpr const char *kXattrBpfInstance = "user.daxfmap.bpf_instance"; // pinned instance (ENODATA: none)
// On the bpf-hook path: "strategy=S ops=NAME not_held=N" (N files S does not
// hold, which take the message path); ENODATA on any other path.
inline constexpr const char *kXattrHook = "user.daxfmap.hook";
inline constexpr const char *kXattrPid = "user.daxfmap.pid";                 // the daemon's pid, decimal
inline constexpr const char *kXattrDevice = "user.daxfmap.device";           // the device spec
inline constexpr const char *kXattrDeviceSize = "user.daxfmap.device_size";  // its size in bytes, decimal
inline constexpr const char *kXattrMedia = "user.daxfmap.media";             // "daxfmap" or "famfs"
// On a regular file:
// On the root: "get_fmap=N get_daxdev=N" and more "key=N" words: what the
// daemon answered since it started (the message path's counters).
inline constexpr const char *kXattrCounters = "user.daxfmap.counters";
// On every directory: "data_free=B data_reserved=B data_total=B log_used=B log_half=B"
// (bytes), so that an ENOSPC can be told apart: the data area or the metadata log.
inline constexpr const char *kXattrSpace = "user.daxfmap.space";
inline constexpr const char *kXattrFmap = "user.daxfmap.fmap";         // GET_FMAP reply bytes
inline constexpr const char *kXattrAllocate = "user.daxfmap.allocate"; // set: "size=S[,strips=N,chunk=C]"
inline constexpr const char *kXattrInode = "user.daxfmap.inode";       // inode number = BPF file id
// The file's flags word from its log entry, decimal (famfs: FAMFS_FM_ALL_HOSTS_RW
// is 2; daxfmap's own files: 0).
inline constexpr const char *kXattrFlags = "user.daxfmap.flags";
// The inode's generation, decimal: a reused inode number gets a new one, and
// a file's fmap never changes within one (verify checks it around a query).
inline constexpr const char *kXattrGeneration = "user.daxfmap.generation";

// An Error for a failed system call on `what`.
inline Error sys_error(int err, const std::string &what, std::string_view doing)
{
	return Error{.errnum = err, .field = what, .found = std::string(doing) + ": " + std::strerror(err)};
}

// A whole extended attribute through `get` (getxattr or fgetxattr of
// `what`): sized first, then read; retried if it grew.
template <typename Get>
Result<std::string> read_xattr(const std::string &what, const char *name, Get get)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		ssize_t n = get(nullptr, 0);
		if (n < 0)
			return sys_error(errno, what, std::string("getxattr ") + name);
		std::string v(static_cast<size_t>(n), '\0');
		ssize_t m = get(v.data(), v.size());
		if (m >= 0) {
			v.resize(static_cast<size_t>(m));
			return v;
		}
		if (errno != ERANGE)
			return sys_error(errno, what, std::string("getxattr ") + name);
	}
	return sys_error(ERANGE, what, std::string("getxattr ") + name + " keeps growing");
}

inline Result<std::string> get_xattr(const std::string &path, const char *name)
{
	return read_xattr(path, name, [&](void *buf, size_t size) { return ::getxattr(path.c_str(), name, buf, size); });
}

// Of an open file (`path` only names it in errors).
inline Result<std::string> get_xattr(int fd, const std::string &path, const char *name)
{
	return read_xattr(path, name, [&](void *buf, size_t size) { return ::fgetxattr(fd, name, buf, size); });
}

// "size=S[,strips=N,chunk=C]", what kXattrAllocate takes.
inline std::string allocate_spec(uint64_t size, uint32_t strips, uint64_t chunk)
{
	std::string s = "size=" + std::to_string(size);
	if (strips)
		s += ",strips=" + std::to_string(strips);
	if (chunk)
		s += ",chunk=" + std::to_string(chunk);
	return s;
}

// What is full, for an ENOSPC in directory `dir` of a mount: "the metadata log
// is full (U of H bytes used ...)" or "not enough room in the data area (F of
// T bytes free ...)"; "" when the mount cannot say.
inline std::string what_is_full(const std::string &dir)
{
	char buf[256];
	ssize_t n = ::getxattr(dir.c_str(), kXattrSpace, buf, sizeof(buf) - 1);
	if (n <= 0)
		return "";
	buf[n] = '\0';
	unsigned long long free = 0, reserved = 0, total = 0, used = 0, half = 0;
	if (std::sscanf(buf, "data_free=%llu data_reserved=%llu data_total=%llu log_used=%llu log_half=%llu",
			&free, &reserved, &total, &used, &half) != 5)
		return "";
	// The log keeps 1/16 of a half for root and deletes.
	if (half && used + half / 16 >= half)
		return "the metadata log is full (" + std::to_string(used) + " of " + std::to_string(half) +
		       " bytes used, the live namespace fills it)";
	return "not enough room in the data area (" + std::to_string(free) + " of " + std::to_string(total) +
	       " bytes free" + (reserved ? ", " + std::to_string(reserved) + " of them reserved for root" : "") +
	       ")";
}

inline std::string parent_dir(const std::string &path)
{
	const size_t slash = path.rfind('/');
	return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// Creates `path` in a mount (it must not exist) and gives it its space;
// returns the file open for writing.  If the space cannot be had, the empty
// file is removed again, so a failed creat leaves nothing behind.
inline Result<int> create_allocated(const std::string &path, uint32_t mode, const std::string &spec)
{
	auto full = [&](int err, std::string what) {
		if (err == ENOSPC) {
			const std::string why = what_is_full(parent_dir(path));
			what += " (" + (why.empty() ? std::string("no space") : why) + ")";
		}
		return what;
	};
	int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode);
	if (fd < 0) {
		const int err = errno;
		return sys_error(err, path, full(err, "cannot create"));
	}
	if (::fsetxattr(fd, kXattrAllocate, spec.data(), spec.size(), 0) != 0) {
		const int err = errno;
		::close(fd);
		::unlink(path.c_str());
		const std::string why = err == ENOTSUP || err == EOPNOTSUPP
						? "cannot allocate (not on a daxfmap mount) " + spec
						: full(err, "cannot allocate " + spec);
		return sys_error(err, path, why);
	}
	return fd;
}

} // namespace daxfmap::daemon

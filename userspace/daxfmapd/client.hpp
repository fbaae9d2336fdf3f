// SPDX-License-Identifier: GPL-2.0-only
// The daemon's interface as seen from outside a mount: the extended
// attributes it serves, and small helpers the CLI verbs and tests share.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
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
inline constexpr const char *kXattrPid = "user.daxfmap.pid";                 // the daemon's pid, decimal
inline constexpr const char *kXattrDevice = "user.daxfmap.device";           // the device spec
inline constexpr const char *kXattrDeviceSize = "user.daxfmap.device_size";  // its size in bytes, decimal
// On a regular file:
inline constexpr const char *kXattrFmap = "user.daxfmap.fmap";         // GET_FMAP reply bytes
inline constexpr const char *kXattrAllocate = "user.daxfmap.allocate"; // set: "size=S[,strips=N,chunk=C]"
inline constexpr const char *kXattrInode = "user.daxfmap.inode";       // inode number = BPF file id
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

// Creates `path` in a mount (it must not exist) and gives it its space;
// returns the file open for writing.  If the space cannot be had, the empty
// file is removed again, so a failed creat leaves nothing behind.
inline Result<int> create_allocated(const std::string &path, uint32_t mode, const std::string &spec)
{
	int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode);
	if (fd < 0)
		return sys_error(errno, path, "cannot create");
	if (::fsetxattr(fd, kXattrAllocate, spec.data(), spec.size(), 0) != 0) {
		const int err = errno;
		::close(fd);
		::unlink(path.c_str());
		const char *why = err == ENOSPC ? "cannot allocate (the device is full)"
			: err == ENOTSUP || err == EOPNOTSUPP ? "cannot allocate (not on a daxfmap mount)"
			: "cannot allocate";
		return sys_error(err, path, std::string(why) + " " + spec);
	}
	return fd;
}

} // namespace daxfmap::daemon

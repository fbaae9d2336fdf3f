// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap/result.hpp"

#include <cerrno>

namespace daxfmap {

std::string errno_name(int errnum)
{
	switch (errnum) {
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case EIO: return "EIO";
	case ENOENT: return "ENOENT";
	case EFBIG: return "EFBIG";
	case EOVERFLOW: return "EOVERFLOW";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSPC: return "ENOSPC";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EAGAIN: return "EAGAIN";
	case E2BIG: return "E2BIG";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST";
	case ENOTSUP: return "ENOTSUP";
	case EBADMSG: return "EBADMSG";
	case EISDIR: return "EISDIR";
	case ENOTDIR: return "ENOTDIR";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case EROFS: return "EROFS";
	case EUCLEAN: return "EUCLEAN";
	case ENOSYS: return "ENOSYS";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPROTO: return "EPROTO";
	case ECONNRESET: return "ECONNRESET";
	case ENOTCONN: return "ENOTCONN";
	case EHWPOISON: return "EHWPOISON";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EXDEV: return "EXDEV";
	default: return "errno " + std::to_string(errnum);
	}
}

std::string Error::message() const
{
	std::string m = field.empty() ? std::string("error") : field;
	m += ":";
	if (!expected.empty()) {
		m += " expected " + expected;
		if (!found.empty())
			m += ", found " + found;
	} else if (!found.empty()) {
		m += " " + found;
	}
	m += " (" + errno_name(errnum) + ")";
	return m;
}

} // namespace daxfmap

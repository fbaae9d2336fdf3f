// SPDX-License-Identifier: GPL-2.0-only
#include "cli/fd_io.hpp"

#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace daxfmap::cli {

Error sys_error(int errnum, const std::string &path, const std::string &what)
{
	return Error{.errnum = errnum, .field = path, .expected = {}, .found = what + ": " + std::strerror(errnum)};
}

Fd::~Fd()
{
	if (fd_ >= 0)
		::close(fd_);
}

int Fd::release()
{
	const int fd = fd_;
	fd_ = -1;
	return fd;
}

Result<void> Fd::close(const std::string &path)
{
	// The descriptor is gone whatever close() says (Linux never retries it).
	if (::close(release()) != 0)
		return sys_error(errno, path, "cannot close");
	return {};
}

Result<void> write_all(int fd, std::string_view data, const std::string &path)
{
	while (!data.empty()) {
		const ssize_t n = ::write(fd, data.data(), data.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sys_error(errno, path, "cannot write");
		if (n == 0)
			return sys_error(EIO, path, "cannot write (no progress)");
		data.remove_prefix(static_cast<size_t>(n));
	}
	return {};
}

} // namespace daxfmap::cli

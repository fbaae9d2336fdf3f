// SPDX-License-Identifier: GPL-2.0-only
// File descriptors for the verbs that read and write files themselves:
// closed on every path out, written whole, errors naming the file.
#pragma once

#include <string>
#include <string_view>

#include "libdaxfmap/result.hpp"

namespace daxfmap::cli {

// "<path>: <what>: <strerror> (<ERRNO>)", as every file error here reads.
Error sys_error(int errnum, const std::string &path, const std::string &what);

// Owns a descriptor (-1: none) and closes it when it goes.
class Fd {
public:
	explicit Fd(int fd = -1) : fd_(fd) {}
	~Fd();
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	int get() const { return fd_; }
	// Gives the descriptor up without closing it.
	int release();
	// Closes it now, for a caller that must know whether close() failed.
	Result<void> close(const std::string &path);

private:
	int fd_;
};

// Writes all of `data`: short writes are continued, EINTR retried, and a
// write that makes no progress is EIO rather than a loop.
Result<void> write_all(int fd, std::string_view data, const std::string &path);

} // namespace daxfmap::cli

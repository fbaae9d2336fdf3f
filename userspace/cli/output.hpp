// SPDX-License-Identifier: GPL-2.0-only
// Where a verb's output goes: an -o path of any kind, and stdout.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "libdaxfmap/result.hpp"

namespace daxfmap::cli {

// Writes `data` to `path` and loses nothing that was there before:
//  - "-", /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N are this
//    process's own descriptors: written as they are (offset, O_APPEND kept);
//  - a regular file, or a path that does not exist yet, gets a temporary
//    file in its directory, fsync, then rename(): it is never left partial
//    or truncated, and a replaced file keeps its mode (new ones get 0644);
//  - anything else (a character or block device, a FIFO, a socket) is
//    opened O_WRONLY, without O_CREAT or O_TRUNC, and written through;
//  - a symlink is followed, and the rules apply to what it points to: the
//    link itself is never replaced (a dangling one gets its target created);
//  - a directory is refused (EISDIR).
// Errors name `path` and what failed.
Result<void> write_output(const std::string &path, std::string_view data);

// Flushes what a verb printed on `out` (std::cout) and C's stdout, and says
// whether all of it was written: a full disk or a reader that went away
// shows only here, as stdout is buffered.
Result<void> flush_stdout(std::ostream &out);

} // namespace daxfmap::cli

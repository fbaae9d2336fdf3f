// SPDX-License-Identifier: GPL-2.0-only
// The directories daxfmap pins into.  /sys/fs/bpf is world-writable (mode
// 1777), so a directory another user made there first would let that user
// move root's pinned maps aside or put maps of their own where root looks.
// daxfmap therefore pins only on a mounted bpffs, and only into directories
// that root alone can change: every level it creates or uses below the
// bpffs root is a real directory (no symlink) owned by uid 0, mode 0700.
#pragma once

#include <string>

#include "libdaxfmap/result.hpp"

namespace daxfmap::bpf {

// "bpffs not mounted at X" (ENODEV) unless the nearest existing directory
// of `path` (path itself, else its closest existing parent) is on a bpffs.
Result<void> check_bpffs(const std::string &path);

// Creates the missing levels of `dir` (mode 0700) and checks every level
// below the bpffs root.  A root-owned level that no one else can write but
// whose mode is not 0700 (made by an older daxfmap) is set to 0700; any
// other untrusted level is refused (EPERM), naming it, its owner and mode.
// With `fresh`, `dir` itself must not exist yet (EEXIST): making it claims it.
Result<void> make_pin_dirs(const std::string &dir, bool fresh = false);

// Read: to load pins from it; changes nothing.  Write: to unpin or pin
// there; sets a root-owned level no one else can write to 0700, as above.
enum class PinAccess { Read, Write };

// Checks every level below the bpffs root down to `dir`, which must exist
// (ENOENT names the first missing level).
Result<void> check_pin_dirs(const std::string &dir, PinAccess access = PinAccess::Read);

} // namespace daxfmap::bpf

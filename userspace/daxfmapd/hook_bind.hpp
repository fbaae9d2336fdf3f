// SPDX-License-Identifier: GPL-2.0-only
// Binding a FUSE connection to registered fuse_dax_fmap_ops (the daxfmap
// kernel's BPF hook): the device installed first, so that the kernel never
// sends GET_DAXDEV for it, then the bind.  Both ioctls need INIT done with
// FUSE_DAX_FMAP in force.
#pragma once

#include <string>

#include "libdaxfmap/result.hpp"

namespace daxfmap::daemon {

// On the server's /dev/fuse descriptor `fuse_fd`: FUSE_DEV_IOC_DAX_FMAP_DEVICE
// with `device` (a pmem block device, opened here for reading and writing)
// at index 0 (one set up already is kept), then FUSE_DEV_IOC_DAX_FMAP_BIND
// to the ops `ops_name`.
Result<void> bind_hook(int fuse_fd, const std::string &device, const std::string &ops_name);

} // namespace daxfmap::daemon

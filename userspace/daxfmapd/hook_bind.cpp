// SPDX-License-Identifier: GPL-2.0-only
#include "daxfmapd/hook_bind.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/fuse_dax_fmap.h>

#include "libdaxfmap_bpf/hook_ops.hpp"

namespace daxfmap::daemon {

Result<void> bind_hook(int fuse_fd, const std::string &device, const std::string &ops_name)
{
	if (ops_name.empty() || ops_name.size() > bpf::kHookNameMax)
		return Error{.errnum = EINVAL, .field = "ops name",
			     .expected = "1 to " + std::to_string(bpf::kHookNameMax) + " bytes",
			     .found = std::to_string(ops_name.size()) + " bytes"};
	const int dev = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return Error{.errnum = errno, .field = device, .expected = "a device to open read-write",
			     .found = std::strerror(errno)};
	fuse_dax_fmap_device d{.index = 0, .fd = dev, .flags = 0, .reserved = 0};
	const int r = ::ioctl(fuse_fd, FUSE_DEV_IOC_DAX_FMAP_DEVICE, &d);
	const int err = errno;
	::close(dev); // the kernel holds the device itself
	// EEXIST: the kernel has index 0 already (a GET_DAXDEV answered before).
	if (r != 0 && err != EEXIST)
		return Error{.errnum = err, .field = "FUSE_DEV_IOC_DAX_FMAP_DEVICE",
			     .expected = "device 0 installed (" + device + ")", .found = std::strerror(err)};
	fuse_dax_fmap_bind b{};
	std::memcpy(b.name, ops_name.data(), ops_name.size());
	if (::ioctl(fuse_fd, FUSE_DEV_IOC_DAX_FMAP_BIND, &b) != 0)
		return Error{.errnum = errno, .field = "FUSE_DEV_IOC_DAX_FMAP_BIND",
			     .expected = "the connection bound to ops " + ops_name, .found = std::strerror(errno)};
	return {};
}

} // namespace daxfmap::daemon

// SPDX-License-Identifier: GPL-2.0-only
// Helpers for the file-system core suites: temporary emulated devices.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>

#include "libdaxfmap_fs/device.hpp"
#include "libdaxfmap_fs/filesystem.hpp"

namespace daxfmap::fs::testing {

inline constexpr uint64_t MiB = uint64_t{1} << 20;

// A sparse regular file standing in for a device, removed at the end.
class TempDevice {
public:
	explicit TempDevice(uint64_t size)
	{
		// tmpfs when there is one: msync is then nearly free.
		std::string tmpl = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		tmpl += "/daxfmap-fs-test-XXXXXX";
		int fd = mkstemp(tmpl.data());
		if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0)
			ADD_FAILURE() << "cannot create a temporary device file";
		if (fd >= 0)
			close(fd);
		path_ = tmpl;
	}
	~TempDevice() { unlink(path_.c_str()); }
	TempDevice(const TempDevice &) = delete;
	TempDevice &operator=(const TempDevice &) = delete;

	const std::string &path() const { return path_; }

	std::unique_ptr<Device> open(bool read_only = false) const
	{
		auto d = Device::open(path_, DeviceOptions{.read_only = read_only});
		if (!d) {
			ADD_FAILURE() << d.error().message();
			return nullptr;
		}
		return std::move(*d);
	}

	// mkfs with the given log size, then mount.
	std::unique_ptr<FileSystem> mkfs_and_mount(uint64_t log_size = kDefaultLogSize,
						   const MountOptions &opts = {}) const
	{
		auto d = open();
		if (!d)
			return nullptr;
		if (auto ok = FileSystem::mkfs(*d, MkfsOptions{.log_size = log_size}); !ok) {
			ADD_FAILURE() << ok.error().message();
			return nullptr;
		}
		return mount(opts);
	}

	std::unique_ptr<FileSystem> mount(const MountOptions &opts = {}) const
	{
		auto d = open();
		if (!d)
			return nullptr;
		auto fs = FileSystem::mount(std::move(d), opts);
		if (!fs) {
			ADD_FAILURE() << fs.error().message();
			return nullptr;
		}
		return std::move(*fs);
	}

private:
	std::string path_;
};

} // namespace daxfmap::fs::testing

// SPDX-License-Identifier: GPL-2.0-only
// A DAX device, mapped whole: /dev/daxX.Y, /dev/pmemN, or an emulated one (a
// regular file, or "memfd:SIZE" for a throwaway in-memory device).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "libdaxfmap/result.hpp"

namespace daxfmap::fs {

inline constexpr uint64_t kUnit = uint64_t{2} << 20; // 2 MiB: allocation unit, PMD size

enum class DeviceKind {
	DevDax, // /dev/daxX.Y: character device, mmap only, no msync needed
	Pmem,   // /dev/pmemN: block device (fsdax); mapped through the block device
	File,   // a regular file standing in for a device
	Memfd,  // "memfd:SIZE": anonymous, lives as long as the process
};

// "devdax", "pmem", "file", "memfd"
std::string_view kind_name(DeviceKind kind);

struct DeviceOptions {
	bool read_only = false; // map PROT_READ only (fsck, read-only mounts)
};

// The smallest device open() accepts: superblock unit, the smallest log
// (one unit) and one data unit.  mkfs checks the real need (log size).
inline constexpr uint64_t kMinDeviceSize = 3 * kUnit;

// An open device and a MAP_SHARED mapping of all of it, 2 MiB aligned so that
// file data keeps PMD alignment.  Not copyable; unmapped and closed on
// destruction.
class Device {
public:
	// Opens and maps `spec`:
	//   /dev/daxX.Y  size from /sys/dev/char/MAJ:MIN/size, alignment from
	//                .../align (a power of two; the mapping is aligned to
	//                max(align, 2 MiB))
	//   /dev/pmemN   size from BLKGETSIZE64; what the block device's page
	//                cache holds is dropped first (BLKFLSBUF), so that the
	//                mapping shows the media, not pages cached before DAX
	//                mappings of the same media changed it
	//   PATH         a regular file; its size is the device size
	//   memfd:SIZE   a new memfd of SIZE bytes (SIZE takes 1G, 512M, ...)
	// Refuses, with an Error naming the device and the reason: missing
	// (ENOENT), no permission (EACCES/EPERM), not a device or file (ENODEV),
	// size not a multiple of 2 MiB or a mapping that is not 2 MiB aligned
	// (EINVAL), smaller than kMinDeviceSize (ENOSPC).
	static Result<std::unique_ptr<Device>> open(const std::string &spec,
						     const DeviceOptions &opts = {});

	~Device();
	Device(const Device &) = delete;
	Device &operator=(const Device &) = delete;

	DeviceKind kind() const { return kind_; }
	// The spec it was opened with (for memfd: "memfd:SIZE").
	const std::string &path() const { return path_; }
	uint64_t size() const { return size_; }
	bool read_only() const { return read_only_; }
	// The mapping of the whole device, [base(), base() + size()).
	uint8_t *base() const { return base_; }
	int fd() const { return fd_; }

	// Makes [off, off + len) durable: msync for file/memfd/pmem, nothing for
	// devdax (stores go straight to the media).  Rounded out to pages.  For
	// pmem the pages then leave the block device's page cache, which DAX
	// mappings of the same media (the kernel's FUSE_DAX_FMAP files) bypass:
	// the next access reads the media.  Pages read and not written stay
	// cached while the device is open: a reader of data that DAX mappings
	// may change meanwhile must not rely on them (the message path never
	// reads file data here; the plain path is the only one mapping it).
	Result<void> flush(uint64_t off, uint64_t len) const;

	// Before reading [off, off + len) of a pmem device through the mapping:
	// drops what the block device's page cache holds of it, so that the
	// read sees what DAX mappings of the media stored.  Nothing for other
	// kinds (their mapping is the media, or nothing else writes it).
	void refresh(uint64_t off, uint64_t len) const;

private:
	Device() = default;

	DeviceKind kind_ = DeviceKind::File;
	std::string path_;
	uint64_t size_ = 0;
	bool read_only_ = false;
	int fd_ = -1;
	uint8_t *base_ = nullptr;
	// What was mmap'ed (base_ may sit inside a bigger reservation, for alignment).
	void *map_addr_ = nullptr;
	size_t map_len_ = 0;
};

// Creates an emulated device: a sparse regular file of `size` bytes (a
// multiple of 2 MiB, at least kMinDeviceSize).  Refuses an existing path
// (EEXIST) unless `overwrite`, in which case it is emptied and resized, but
// not while a writable mount holds it (EBUSY).
Result<void> create_emulated(const std::string &path, uint64_t size, bool overwrite = false);

} // namespace daxfmap::fs

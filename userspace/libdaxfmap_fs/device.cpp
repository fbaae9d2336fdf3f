// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_fs/device.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/size_parse.hpp"

namespace daxfmap::fs {

namespace {

Error device_error(int errnum, const std::string &spec, std::string expected, std::string found)
{
	return Error{.errnum = errnum, .field = "device " + spec, .expected = std::move(expected),
		     .found = std::move(found)};
}

Error sys_error(int errnum, const std::string &spec, const std::string &what)
{
	return device_error(errnum, spec, "", what + ": " + std::strerror(errnum));
}

// A sysfs attribute as a number (decimal or 0x hex), or nullopt if absent.
std::optional<uint64_t> read_sysfs_u64(const std::string &path)
{
	std::ifstream in(path);
	std::string text;
	if (!in || !(in >> text))
		return std::nullopt;
	errno = 0;
	char *end = nullptr;
	unsigned long long v = std::strtoull(text.c_str(), &end, 0);
	if (errno || end == text.c_str())
		return std::nullopt;
	return v;
}

// The page cache of /dev/pmemN is not coherent with DAX mappings of the same
// media: the kernel's FUSE_DAX_FMAP files store to the media directly, and
// pages cached before (by anybody who read the block device while it stayed
// open) keep the old bytes.  A new opener starts from the media: BLKFLSBUF
// writes back and drops what is cached (CAP_SYS_ADMIN); without it, dropping
// the clean pages is what an unprivileged opener can do.  Pages mapped by
// another process stay, and are that process's own view.
void drop_page_cache(int fd)
{
	if (ioctl(fd, BLKFLSBUF, 0) != 0)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

} // namespace

std::string_view kind_name(DeviceKind kind)
{
	switch (kind) {
	case DeviceKind::DevDax: return "devdax";
	case DeviceKind::Pmem: return "pmem";
	case DeviceKind::File: return "file";
	case DeviceKind::Memfd: return "memfd";
	}
	return "unknown";
}

Result<std::unique_ptr<Device>> Device::open(const std::string &spec, const DeviceOptions &opts)
{
	std::unique_ptr<Device> dev(new Device());
	dev->path_ = spec;
	dev->read_only_ = opts.read_only;
	uint64_t align = kUnit;

	if (spec.starts_with("memfd:")) {
		auto size = parse_size(std::string_view(spec).substr(6), "memfd size");
		if (!size)
			return size.error();
		int fd = memfd_create("daxfmap-device", MFD_CLOEXEC);
		if (fd < 0)
			return sys_error(errno, spec, "memfd_create");
		dev->fd_ = fd;
		dev->kind_ = DeviceKind::Memfd;
		dev->size_ = *size;
		// Size is checked below, before anything is sized.
		if (*size % kUnit == 0 && *size >= kMinDeviceSize &&
		    ftruncate(fd, static_cast<off_t>(*size)) != 0)
			return sys_error(errno, spec, "ftruncate");
	} else {
		struct stat st {};
		if (::stat(spec.c_str(), &st) != 0) {
			if (errno == ENOENT)
				return device_error(ENOENT, spec, "an existing DAX device or file",
						    "no such file or directory");
			return sys_error(errno, spec, "stat");
		}
		if (S_ISCHR(st.st_mode)) {
			std::string sys = "/sys/dev/char/" + std::to_string(major(st.st_rdev)) + ":" +
					  std::to_string(minor(st.st_rdev));
			auto size = read_sysfs_u64(sys + "/size");
			if (!size)
				return device_error(ENODEV, spec, "a devdax character device",
						    "a character device without " + sys + "/size");
			dev->kind_ = DeviceKind::DevDax;
			dev->size_ = *size;
			if (auto a = read_sysfs_u64(sys + "/align")) {
				if (*a == 0 || (*a & (*a - 1)) != 0)
					return device_error(EINVAL, spec, "a power-of-two alignment",
							    "align " + std::to_string(*a));
				align = std::max(align, *a);
			}
		} else if (S_ISBLK(st.st_mode)) {
			dev->kind_ = DeviceKind::Pmem;
		} else if (S_ISREG(st.st_mode)) {
			dev->kind_ = DeviceKind::File;
			dev->size_ = static_cast<uint64_t>(st.st_size);
		} else {
			return device_error(ENODEV, spec, "a DAX device, a pmem device or a regular file",
					    "another kind of file");
		}
		int fd = ::open(spec.c_str(), (opts.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0)
			return sys_error(errno, spec, "open");
		dev->fd_ = fd;
		if (dev->kind_ == DeviceKind::Pmem) {
			uint64_t bytes = 0;
			if (ioctl(fd, BLKGETSIZE64, &bytes) != 0)
				return sys_error(errno, spec, "BLKGETSIZE64");
			dev->size_ = bytes;
			drop_page_cache(fd);
		}
	}

	if (dev->size_ % kUnit != 0)
		return device_error(EINVAL, spec, "a size that is a multiple of 2 MiB",
				    format_size(dev->size_));
	if (dev->size_ < kMinDeviceSize)
		return device_error(ENOSPC, spec,
				    "at least " + format_size(kMinDeviceSize) +
					    " (superblock, log, one data unit)",
				    format_size(dev->size_));

	// Reserve room to slide the mapping to an aligned address, then map the
	// device over the aligned part and give back the slop on either side.
	size_t len = static_cast<size_t>(dev->size_);
	size_t reserve = len + static_cast<size_t>(align);
	void *res = mmap(nullptr, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
	if (res == MAP_FAILED)
		return sys_error(errno, spec, "mmap reservation of " + format_size(reserve));
	uintptr_t start = reinterpret_cast<uintptr_t>(res);
	uintptr_t aligned = (start + align - 1) & ~(static_cast<uintptr_t>(align) - 1);
	int prot = PROT_READ | (opts.read_only ? 0 : PROT_WRITE);
	void *m = mmap(reinterpret_cast<void *>(aligned), len, prot, MAP_SHARED | MAP_FIXED,
		       dev->fd_, 0);
	if (m == MAP_FAILED) {
		int e = errno;
		munmap(res, reserve);
		return sys_error(e, spec, "mmap of " + format_size(len));
	}
	if (aligned > start)
		munmap(res, aligned - start);
	if (start + reserve > aligned + len)
		munmap(reinterpret_cast<void *>(aligned + len), start + reserve - (aligned + len));
	dev->map_addr_ = m;
	dev->map_len_ = len;
	dev->base_ = static_cast<uint8_t *>(m);
	if (reinterpret_cast<uintptr_t>(m) % kUnit != 0)
		return device_error(EINVAL, spec, "a 2 MiB aligned mapping",
				    hex(reinterpret_cast<uintptr_t>(m)));
	return dev;
}

Device::~Device()
{
	if (map_addr_)
		munmap(map_addr_, map_len_);
	if (fd_ >= 0)
		::close(fd_);
}

Result<void> Device::flush(uint64_t off, uint64_t len) const
{
	if (kind_ == DeviceKind::DevDax || kind_ == DeviceKind::Memfd || read_only_ || len == 0)
		return {};
	if (off > size_ || len > size_ - off)
		return Error{.errnum = EINVAL, .field = "flush range",
			     .expected = "inside the device (" + format_size(size_) + ")",
			     .found = hex(off) + "+" + hex(len)};
	const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
	uint64_t first = off & ~(page - 1);
	uint64_t end = off + len;
	if (msync(base_ + first, end - first, MS_SYNC) != 0)
		return sys_error(errno, path_, "msync");
	if (kind_ == DeviceKind::Pmem) {
		// The mapping of /dev/pmemN goes through the block device's page
		// cache, which the kernel's DAX file mappings (FUSE_DAX_FMAP) do
		// not see, and which does not see them.  Once written back, drop
		// the pages: the next access reads the media again, and no stale
		// page can be written back over what a DAX mapping stored.
		const uint64_t last = (end + page - 1) & ~(page - 1);
		if (madvise(base_ + first, last - first, MADV_DONTNEED) != 0)
			return sys_error(errno, path_, "madvise(MADV_DONTNEED)");
		(void)posix_fadvise(fd_, static_cast<off_t>(first), static_cast<off_t>(last - first),
				    POSIX_FADV_DONTNEED);
	}
	return {};
}

void Device::refresh(uint64_t off, uint64_t len) const
{
	if (kind_ != DeviceKind::Pmem || len == 0 || off > size_ || len > size_ - off)
		return;
	const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
	const uint64_t first = off & ~(page - 1);
	const uint64_t last = (off + len + page - 1) & ~(page - 1);
	// Our PTEs first (a shared mapping keeps dirty pages in the cache, where
	// fadvise leaves them), then the clean cached pages.
	(void)madvise(base_ + first, last - first, MADV_DONTNEED);
	(void)posix_fadvise(fd_, static_cast<off_t>(first), static_cast<off_t>(last - first),
			    POSIX_FADV_DONTNEED);
}

Result<void> create_emulated(const std::string &path, uint64_t size, bool overwrite)
{
	if (size % kUnit != 0 || size < kMinDeviceSize)
		return device_error(EINVAL, path,
				    "a size that is a multiple of 2 MiB and at least " +
					    format_size(kMinDeviceSize),
				    format_size(size));
	// No O_TRUNC: a file in use by a mounted file system must be refused
	// (below) before anything in it changes.
	int flags = O_RDWR | O_CREAT | O_CLOEXEC | (overwrite ? 0 : O_EXCL);
	int fd = ::open(path.c_str(), flags, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return device_error(EEXIST, path, "a path that does not exist yet (or overwrite)",
					    "an existing file");
		return sys_error(errno, path, "create");
	}
	struct stat st {};
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		::close(fd);
		return device_error(ENODEV, path, "a regular file", "another kind of file");
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		::close(fd);
		return device_error(EBUSY, path, "a file not in use", "mounted by another process");
	}
	if (ftruncate(fd, 0) != 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) {
		int e = errno;
		::close(fd);
		return sys_error(e, path, "ftruncate to " + format_size(size));
	}
	::close(fd);
	return {};
}

} // namespace daxfmap::fs

// SPDX-License-Identifier: GPL-2.0-only
// Opening devices: emulated files and memfds, and each refusal with its reason.
#include <gtest/gtest.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libdaxfmap_fs/device.hpp"
#include "fs_test_util.hpp"

namespace daxfmap::fs {
namespace {

using testing::MiB;
using testing::TempDevice;

TEST(Device, MemfdIsMappedWholeAnd2MiBAligned)
{
	auto d = Device::open("memfd:16M");
	ASSERT_TRUE(d) << d.error().message();
	EXPECT_EQ((*d)->kind(), DeviceKind::Memfd);
	EXPECT_EQ((*d)->size(), 16 * MiB);
	EXPECT_EQ(reinterpret_cast<uintptr_t>((*d)->base()) % kUnit, 0u);
	(*d)->base()[16 * MiB - 1] = 0x5a; // the last byte is mapped and writable
	EXPECT_TRUE((*d)->flush(0, 16 * MiB));
}

TEST(Device, RegularFileIsSharedWithTheFile)
{
	TempDevice t(8 * MiB);
	auto d = t.open();
	ASSERT_TRUE(d);
	EXPECT_EQ(d->kind(), DeviceKind::File);
	EXPECT_EQ(d->size(), 8 * MiB);
	d->base()[3 * MiB] = 0xa5;
	ASSERT_TRUE(d->flush(3 * MiB, 1));
	int fd = ::open(t.path().c_str(), O_RDONLY);
	ASSERT_GE(fd, 0);
	uint8_t b = 0;
	ASSERT_EQ(pread(fd, &b, 1, 3 * MiB), 1);
	close(fd);
	EXPECT_EQ(b, 0xa5);
}

TEST(Device, MissingDeviceIsENOENTNamingIt)
{
	auto d = Device::open("/nonexistent/dax9.9");
	ASSERT_FALSE(d);
	EXPECT_EQ(d.error().errnum, ENOENT);
	EXPECT_NE(d.error().message().find("/nonexistent/dax9.9"), std::string::npos);
}

TEST(Device, SizeNotAMultipleOf2MiBIsRefused)
{
	TempDevice t(8 * MiB + 4096);
	auto d = Device::open(t.path());
	ASSERT_FALSE(d);
	EXPECT_EQ(d.error().errnum, EINVAL);
	EXPECT_NE(d.error().message().find("multiple of 2 MiB"), std::string::npos)
		<< d.error().message();
}

TEST(Device, TooSmallIsRefused)
{
	TempDevice t(4 * MiB);
	auto d = Device::open(t.path());
	ASSERT_FALSE(d);
	EXPECT_EQ(d.error().errnum, ENOSPC);
	EXPECT_NE(d.error().message().find("at least"), std::string::npos) << d.error().message();
	auto m = Device::open("memfd:2M");
	ASSERT_FALSE(m);
	EXPECT_EQ(m.error().errnum, ENOSPC);
}

TEST(Device, DirectoryIsNotADevice)
{
	auto d = Device::open("/tmp");
	ASSERT_FALSE(d);
	EXPECT_EQ(d.error().errnum, ENODEV);
}

TEST(Device, BadMemfdSizeIsRefused)
{
	auto d = Device::open("memfd:lots");
	ASSERT_FALSE(d);
	EXPECT_EQ(d.error().errnum, EINVAL);
}

TEST(Device, NoPermissionIsRefused)
{
	TempDevice t(8 * MiB);
	ASSERT_EQ(chmod(t.path().c_str(), 0600), 0);
	if (geteuid() != 0) {
		ASSERT_EQ(chmod(t.path().c_str(), 0400), 0);
		auto d = Device::open(t.path());
		ASSERT_FALSE(d);
		EXPECT_EQ(d.error().errnum, EACCES);
		return;
	}
	// Root ignores file modes: try as nobody in a child process.
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		auto d = Device::open(t.path());
		_exit(!d && d.error().errnum == EACCES &&
				      d.error().message().find(t.path()) != std::string::npos
			      ? 0
			      : 1);
	}
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		GTEST_SKIP() << "SKIPPED: running as root and cannot switch to uid 65534 to test EACCES";
	EXPECT_EQ(WEXITSTATUS(status), 0) << "open as nobody was not refused with EACCES";
}

TEST(Device, ReadOnlyOpenMapsReadOnly)
{
	TempDevice t(8 * MiB);
	auto d = t.open(true);
	ASSERT_TRUE(d);
	EXPECT_TRUE(d->read_only());
}

TEST(CreateEmulated, CreatesASparseFileAndRefusesToOverwrite)
{
	std::string path = (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") +
			   std::string("/daxfmap-fs-emulated-") + std::to_string(getpid());
	unlink(path.c_str());
	ASSERT_TRUE(create_emulated(path, 64 * MiB));
	struct stat st {};
	ASSERT_EQ(stat(path.c_str(), &st), 0);
	EXPECT_EQ(static_cast<uint64_t>(st.st_size), 64 * MiB);
	EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 64 * MiB);
	auto again = create_emulated(path, 64 * MiB);
	ASSERT_FALSE(again);
	EXPECT_EQ(again.error().errnum, EEXIST);
	EXPECT_TRUE(create_emulated(path, 32 * MiB, true));
	ASSERT_EQ(stat(path.c_str(), &st), 0);
	EXPECT_EQ(static_cast<uint64_t>(st.st_size), 32 * MiB);
	auto bad = create_emulated(path + "-odd", 5 * MiB);
	EXPECT_FALSE(bad);
	unlink(path.c_str());
}

} // namespace
} // namespace daxfmap::fs

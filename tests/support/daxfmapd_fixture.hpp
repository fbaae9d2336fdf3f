// SPDX-License-Identifier: GPL-2.0-only
// The daxfmapd suites' fixture: MountedFs (an emulated device in a scratch
// directory, mounted through the CLI) and the file checks they share.
#pragma once

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "daxfmapd/client.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/wire_codec.hpp"
#include "support/cli_fixture.hpp"
#include "support/mount_fixture.hpp"

namespace daxfmap::testing {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;

// The daemon's suites: a mounted file system, plus what they check files with.
class Daxfmapd : public MountedFs {
protected:
	Fmap fmap_of(const std::string &file)
	{
		auto bytes = daemon::get_xattr(file, daemon::kXattrFmap);
		EXPECT_TRUE(bytes.ok()) << (bytes ? "" : bytes.error().message());
		if (!bytes)
			return {};
		auto d = decode_fmap({reinterpret_cast<const uint8_t *>(bytes->data()), bytes->size()},
				     limits_for(Profile::Extended));
		EXPECT_TRUE(d.ok()) << (d ? "" : d.error().message());
		return d ? d->fmap : Fmap{};
	}

	// The file's bytes read straight from the device file, at the offsets
	// the native resolver gives for its fmap.
	std::string read_from_device(const Fmap &fmap)
	{
		std::string out(fmap.file_size, '\0');
		int fd = ::open(dev_.c_str(), O_RDONLY);
		EXPECT_GE(fd, 0);
		for (uint64_t off = 0; off < fmap.file_size;) {
			const Resolution r = resolve_native(fmap, off, fmap.file_size - off);
			EXPECT_TRUE(r.ok()) << "offset " << off << ": " << r;
			if (!r.ok())
				break;
			EXPECT_EQ(::pread(fd, out.data() + off, r.length, static_cast<off_t>(r.device_offset)),
				  static_cast<ssize_t>(r.length));
			off += r.length;
		}
		::close(fd);
		return out;
	}

};

} // namespace daxfmap::testing

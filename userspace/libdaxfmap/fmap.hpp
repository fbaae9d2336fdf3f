// SPDX-License-Identifier: GPL-2.0-only
// The fmap model: where a file's bytes live on one or more DAX devices.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <linux/fuse_dax_fmap.h>

namespace daxfmap {

inline constexpr uint64_t kAlign = FUSE_DAX_FMAP_ALIGN; // 2 MiB

enum class FileType : uint8_t {
	Regular = FUSE_DAX_FILE_REG,
	Superblock = FUSE_DAX_FILE_SUPERBLOCK,
	Log = FUSE_DAX_FILE_LOG,
};

enum class ExtentType : uint32_t {
	Simple = FUSE_DAX_EXT_SIMPLE,
	Interleaved = FUSE_DAX_EXT_INTERLEAVE,
};

// A contiguous range of one device.  Also the shape of one strip.
struct SimpleExtent {
	uint32_t device = 0;   // device index
	uint64_t offset = 0;   // bytes into the device
	uint64_t length = 0;   // bytes
	uint32_t reserved = 0; // wire padding, kept so that decode/encode round-trips

	bool operator==(const SimpleExtent &) const = default;
};

// Data striped over strips in chunk_size pieces (see uapi for the formula).
struct InterleavedExtent {
	uint32_t chunk_size = 0;          // bytes per chunk
	uint64_t nbytes = 0;              // file bytes held by this extent
	std::vector<SimpleExtent> strips; // one per strip, in strip order
	uint64_t reserved = 0;            // wire padding

	bool operator==(const InterleavedExtent &) const = default;
};

using SimpleExtents = std::vector<SimpleExtent>;
using InterleavedExtents = std::vector<InterleavedExtent>;

// One file's map.  file_type and version are raw wire values: V10 checks
// neither, so the model keeps whatever the wire carried.
struct Fmap {
	uint8_t file_type = FUSE_DAX_FILE_REG;
	uint16_t version = FUSE_DAX_FMAP_VERSION;
	uint64_t file_size = 0;
	std::variant<SimpleExtents, InterleavedExtents> extents;
	// Wire padding, kept for exact round trips; zero when built in code.
	uint8_t reserved = 0;
	uint32_t reserved0 = 0;
	uint64_t reserved1 = 0;

	ExtentType ext_type() const
	{
		return extents.index() == 0 ? ExtentType::Simple : ExtentType::Interleaved;
	}
	bool is_simple() const { return extents.index() == 0; }
	const SimpleExtents &simple() const { return std::get<SimpleExtents>(extents); }
	SimpleExtents &simple() { return std::get<SimpleExtents>(extents); }
	const InterleavedExtents &interleaved() const { return std::get<InterleavedExtents>(extents); }
	InterleavedExtents &interleaved() { return std::get<InterleavedExtents>(extents); }
	// The fmap of a file that holds no space: simple, with no extent (what
	// the file system gives an empty file; not a valid GET_FMAP reply).
	bool empty() const { return is_simple() && simple().empty(); }

	// Number of top-level extents (the wire's nextents).
	size_t extent_count() const;
	// Simple extents plus strips: every device range the fmap names.
	size_t range_count() const;
	// Encoded size of the GET_FMAP reply in bytes.
	uint64_t wire_size() const;

	bool operator==(const Fmap &) const = default;
};

// A device the fmap's extents point into.
struct Device {
	uint32_t index = 0;
	std::string name; // e.g. /dev/dax0.0
	uint64_t size = 0; // bytes; 0 = unknown

	bool operator==(const Device &) const = default;
};

// What the text formats carry: the famfs per-file record (path and
// attributes), the fmap, and optionally the devices it refers to.
struct FileRecord {
	std::string path;
	uint64_t flags = 0;
	uint32_t mode = 0644;
	uint32_t uid = 0;
	uint32_t gid = 0;
	Fmap fmap;
	std::vector<Device> devices;

	bool operator==(const FileRecord &) const = default;
};

// Human-readable byte size: "2 MiB", "3 GiB", "4096" (exact, never rounded).
std::string format_size(uint64_t bytes);
// "0x200000"
std::string hex(uint64_t v);

} // namespace daxfmap

// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: the media format from untrusted bytes.  The first input
// byte picks what the rest is:
//   0: a superblock (read_superblock);
//   1: one log entry (decode_entry);
//   2: the log region and commit block of a freshly made 6 MiB file system,
//      then a whole mount (replay into a FileSystem on a memory device).
// Beyond "no crash, no sanitizer report" it aborts when an invariant breaks:
//   - an entry that decodes re-encodes to exactly its bytes (when its
//     reserved fields are zero, which is what the encoder writes);
//   - every error names a field and carries a positive errno;
//   - a mount that comes up read-write is one fsck calls clean, and it can
//     still create, remove and compact, and mount again to the same files;
//   - mount never writes to a log it calls damaged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "libdaxfmap_fs/filesystem.hpp"
#include "libdaxfmap_fs/metadata_log.hpp"

namespace {

using namespace daxfmap;
using fs::FileSystem;
using fs::kEntryAlign;
using fs::kUnit;


constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kDevSize = 6 * kMiB; // superblock unit, a 2 MiB log, one data unit

void require(bool ok, const char *what)
{
	if (!ok) {
		std::fprintf(stderr, "media_replay_fuzz: invariant broken: %s\n", what);
		std::abort();
	}
}

void require_sane(const Error &e)
{
	require(e.errnum > 0, "error without errno");
	require(!e.field.empty(), "error without field");
}

std::unique_ptr<fs::Device> memory_device()
{
	auto d = fs::Device::open("memfd:" + std::to_string(kDevSize));
	require(d.ok(), "memfd device");
	return std::move(*d);
}

void superblock(std::span<const uint8_t> in)
{
	auto dev = memory_device();
	std::memcpy(dev->base(), in.data(), std::min<size_t>(in.size(), kUnit));
	auto sb = fs::read_superblock(*dev);
	if (!sb)
		require_sane(sb.error());
}

void entry(std::span<const uint8_t> in)
{
	auto e = fs::decode_entry(in);
	if (!e) {
		require_sane(e.error());
		return;
	}
	require(e->length <= in.size() + kEntryAlign, "entry longer than its bytes");
	if (!e->warnings.empty() || e->length > in.size())
		return;
	auto again = fs::encode_entry(e->record, e->seq, e->epoch);
	require(again.ok(), "a decoded entry does not encode");
	require(again->size() == e->length, "re-encoded entry has another length");
	require(std::equal(again->begin(), again->end(), in.begin()), "re-encoded entry differs");
}

std::vector<std::string> names(const FileSystem &fs)
{
	std::vector<std::string> out;
	auto entries = fs.readdir(fs::kRootIno);
	if (entries)
		for (const auto &e : *entries)
			out.push_back(e.name);
	return out;
}

void whole_mount(std::span<const uint8_t> in)
{
	auto dev = memory_device();
	require(FileSystem::mkfs(*dev, fs::MkfsOptions{.log_size = 2 * kMiB}).ok(), "mkfs");
	// The first 64 bytes over the commit block, the rest over the log.
	const size_t cb = std::min<size_t>(in.size(), sizeof(fs::LogCommitBlock));
	std::memcpy(dev->base() + fs::kCommitOffset, in.data(), cb);
	std::memcpy(dev->base() + fs::kLogOffset, in.data() + cb, std::min<size_t>(in.size() - cb, 2 * kMiB));
	const std::vector<uint8_t> before(dev->base(), dev->base() + kDevSize);

	fs::Device *raw = dev.get();
	auto fs = FileSystem::mount(std::move(dev));
	if (!fs) {
		require_sane(fs.error());
		return;
	}
	auto report = fs::fsck((*fs)->device());
	require(report.ok(), "fsck of a mountable device failed");
	if ((*fs)->read_only()) {
		require(!report->clean(), "read-only mount, yet fsck says clean");
		require(std::memcmp(before.data(), raw->base(), kDevSize) == 0,
			"mount wrote to a damaged log");
		return;
	}
	require(report->clean(), "read-write mount of a log fsck calls damaged");
	// It must stay usable: a create, a compaction, a delete.
	auto f = (*fs)->create_file(fs::kRootIno, "fuzz-new", 0644, 0, 0, 0);
	if (f)
		require((*fs)->unlink(fs::kRootIno, "fuzz-new").ok(), "cannot remove what was created");
	if (auto c = (*fs)->compact(); !c)
		require_sane(c.error());
	const auto seen = names(**fs);
	// Remount the same memory: the same names.
	auto image = std::vector<uint8_t>(raw->base(), raw->base() + kDevSize);
	fs->reset();
	auto dev2 = memory_device();
	std::memcpy(dev2->base(), image.data(), kDevSize);
	auto again = FileSystem::mount(std::move(dev2));
	require(again.ok(), "a clean file system does not mount again");
	require(!(*again)->replay_report().damage || !(*again)->replay_report().damage->corrupt,
		"a file system we wrote mounts damaged");
	require(names(**again) == seen, "remount shows other files");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	std::span<const uint8_t> in(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0: superblock(in); break;
	case 1: entry(in); break;
	default: whole_mount(in); break;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
// The daemon's answers to GET_FMAP and GET_DAXDEV, without a kernel or a
// peer: reply headers, sizes and errors.
#include <cerrno>
#include <cstring>

#include <linux/fuse.h>

#include <gtest/gtest.h>

#include "daxfmapd/message_path.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::daemon {
namespace {

Fmap simple_fmap(size_t extents)
{
	Fmap f;
	SimpleExtents ex;
	for (size_t i = 0; i < extents; i++)
		ex.push_back({.device = 0, .offset = (i + 8) * kAlign, .length = kAlign});
	f.file_size = extents * kAlign;
	f.extents = ex;
	return f;
}

MessagePath path_with(Fmap f)
{
	return MessagePath(true, {.fmap = [f](uint64_t ino) -> Result<Fmap> {
					  if (ino != 5)
						  return Error{.errnum = ENOENT, .field = "inode"};
					  return f;
				  },
				  .daxdev = [](uint64_t index) -> Result<DaxdevReply> {
					  if (index != 0)
						  return Error{.errnum = ENODEV, .field = "index"};
					  return DaxdevReply{.index = 0, .name = "/dev/dax0.0"};
				  }});
}

fuse_out_header header_of(const Bytes &b)
{
	fuse_out_header h{};
	EXPECT_GE(b.size(), sizeof(h));
	std::memcpy(&h, b.data(), sizeof(h));
	EXPECT_EQ(h.len, b.size());
	return h;
}

TEST(MessagePath, GetFmapReplyIsTheEncodedFmapAcceptedByV10)
{
	const Fmap f = simple_fmap(3);
	MessagePath mp = path_with(f);
	const Bytes r = mp.answer(FUSE_GET_FMAP, 77, 5);
	const fuse_out_header h = header_of(r);
	EXPECT_EQ(h.error, 0);
	EXPECT_EQ(h.unique, 77u);
	const std::span<const uint8_t> payload(r.data() + sizeof(h), r.size() - sizeof(h));
	auto d = decode_and_validate(payload, limits_for(Profile::V10));
	ASSERT_TRUE(d.ok()) << d.error().message();
	EXPECT_EQ(d->fmap, f);
	EXPECT_EQ(mp.fmaps_served(), 1u);
}

TEST(MessagePath, GetFmapOverOnePageIsEinvalAsV10WouldSay)
{
	// 170 extents: a 4112-byte reply, over V10's one page, the first
	// thing V10 checks (EINVAL, before the extent count's ERANGE).
	MessagePath mp = path_with(simple_fmap(170));
	const fuse_out_header h = header_of(mp.answer(FUSE_GET_FMAP, 1, 5));
	EXPECT_EQ(h.error, -EINVAL);
}

TEST(MessagePath, GetFmapOfAnUnknownInodePassesTheFileSystemsErrno)
{
	MessagePath mp = path_with(simple_fmap(1));
	EXPECT_EQ(header_of(mp.answer(FUSE_GET_FMAP, 1, 6)).error, -ENOENT);
}

TEST(MessagePath, GetDaxdevReplyIsExactly280BytesAndUnknownIndexIsEnodev)
{
	MessagePath mp = path_with(simple_fmap(1));
	const Bytes r = mp.answer(FUSE_GET_DAXDEV, 9, 0);
	const fuse_out_header h = header_of(r);
	EXPECT_EQ(h.error, 0);
	EXPECT_EQ(r.size() - sizeof(h), 280u);
	auto d = decode_daxdev({r.data() + sizeof(h), r.size() - sizeof(h)});
	ASSERT_TRUE(d.ok()) << d.error().message();
	EXPECT_EQ(d->name, "/dev/dax0.0");
	const Bytes bad = mp.answer(FUSE_GET_DAXDEV, 10, 3);
	EXPECT_EQ(header_of(bad).error, -ENODEV);
	EXPECT_EQ(bad.size(), sizeof(fuse_out_header));
}

// The large-map form of GET_FMAP (a kernel with fuse.dax_fmap_max_reply
// set): the request carries a fuse_getxattr_in with the kernel's buffer size.
Bytes getxattr_in(uint32_t size)
{
	fuse_getxattr_in in{};
	in.size = size;
	Bytes b(sizeof(in));
	std::memcpy(b.data(), &in, sizeof(in));
	return b;
}

uint32_t reserved0_of(const Bytes &r)
{
	fuse_dax_fmap_header fh{};
	EXPECT_GE(r.size(), sizeof(fuse_out_header) + sizeof(fh));
	std::memcpy(&fh, r.data() + sizeof(fuse_out_header), sizeof(fh));
	return fh.reserved0;
}

TEST(MessagePath, LargeFormThatFitsIsTheWholeMapWithItsSizeInReserved0)
{
	MessagePath mp = path_with(simple_fmap(3));
	const Bytes r = mp.answer(FUSE_GET_FMAP, 2, 5, getxattr_in(4096));
	EXPECT_EQ(header_of(r).error, 0);
	EXPECT_EQ(r.size() - sizeof(fuse_out_header), 32u + 3 * 24);
	EXPECT_EQ(reserved0_of(r), 32u + 3 * 24);
	EXPECT_EQ(mp.large_fmaps(), 1u);
	EXPECT_EQ(mp.fmap_retries(), 0u);
}

TEST(MessagePath, LargeFormThatDoesNotFitIsTheHeaderAloneThenTheWholeMap)
{
	// 200 extents: 4832 bytes, past the kernel's first 4 KiB buffer and
	// past V10's limits, within the extended profile's.
	MessagePath mp = path_with(simple_fmap(200));
	const Bytes first = mp.answer(FUSE_GET_FMAP, 3, 5, getxattr_in(4096));
	EXPECT_EQ(header_of(first).error, 0);
	EXPECT_EQ(first.size() - sizeof(fuse_out_header), 32u);
	EXPECT_EQ(reserved0_of(first), 4832u);
	const Bytes second = mp.answer(FUSE_GET_FMAP, 4, 5, getxattr_in(4832));
	EXPECT_EQ(second.size() - sizeof(fuse_out_header), 4832u);
	auto d = decode_and_validate({second.data() + sizeof(fuse_out_header), 4832},
				     limits_for(Profile::Extended));
	ASSERT_TRUE(d.ok()) << d.error().message();
	EXPECT_EQ(d->fmap.simple().size(), 200u);
	EXPECT_EQ(mp.large_fmaps(), 2u);
	EXPECT_EQ(mp.fmap_retries(), 1u);
	// Without the input, the same map is V10's EINVAL (over one page).
	EXPECT_EQ(header_of(mp.answer(FUSE_GET_FMAP, 5, 5)).error, -EINVAL);
	EXPECT_EQ(mp.fmap_errors(), 1u);
}

} // namespace
} // namespace daxfmap::daemon

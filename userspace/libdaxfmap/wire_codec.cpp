// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap/wire_codec.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include "libdaxfmap/validate.hpp"

namespace daxfmap {

namespace {

constexpr size_t kHeaderSize = sizeof(struct fuse_dax_fmap_header);
constexpr size_t kSimpleSize = sizeof(struct fuse_dax_simple_ext);
constexpr size_t kInterleavedSize = sizeof(struct fuse_dax_interleaved_ext);
constexpr size_t kDaxdevSize = sizeof(struct fuse_dax_daxdev_out);
constexpr size_t kNameOffset = offsetof(struct fuse_dax_daxdev_out, name);
constexpr size_t kNameSize = FUSE_DAX_DEVNAME_MAX;

// Byte by byte, so that the host's byte order and alignment never matter.
template <typename T>
T load_le(const uint8_t *p)
{
	T v = 0;
	for (size_t i = 0; i < sizeof(T); i++)
		v = static_cast<T>(v | static_cast<T>(static_cast<T>(p[i]) << (8 * i)));
	return v;
}

template <typename T>
void store_le(uint8_t *p, T v)
{
	for (size_t i = 0; i < sizeof(T); i++)
		p[i] = static_cast<uint8_t>(v >> (8 * i));
}

std::string byte_count(uint64_t n)
{
	return hex(n) + " (" + std::to_string(n) + ") bytes";
}

std::string at_offset(size_t off)
{
	return " at offset " + hex(off);
}

// Callers have checked that kSimpleSize bytes are there.
SimpleExtent load_simple(const uint8_t *p)
{
	SimpleExtent e;
	e.device = load_le<uint32_t>(p + offsetof(struct fuse_dax_simple_ext, se_devindex));
	e.reserved = load_le<uint32_t>(p + offsetof(struct fuse_dax_simple_ext, reserved));
	e.offset = load_le<uint64_t>(p + offsetof(struct fuse_dax_simple_ext, se_offset));
	e.length = load_le<uint64_t>(p + offsetof(struct fuse_dax_simple_ext, se_len));
	return e;
}

uint8_t *store_simple(uint8_t *p, const SimpleExtent &e)
{
	store_le(p + offsetof(struct fuse_dax_simple_ext, se_devindex), e.device);
	store_le(p + offsetof(struct fuse_dax_simple_ext, reserved), e.reserved);
	store_le(p + offsetof(struct fuse_dax_simple_ext, se_offset), e.offset);
	store_le(p + offsetof(struct fuse_dax_simple_ext, se_len), e.length);
	return p + kSimpleSize;
}

// `count` ranges of kSimpleSize at `off`; the caller has checked the bytes.
std::vector<SimpleExtent> load_ranges(std::span<const uint8_t> b, size_t off, size_t count)
{
	std::vector<SimpleExtent> v;
	v.reserve(count);
	for (size_t k = 0; k < count; k++)
		v.push_back(load_simple(b.data() + off + k * kSimpleSize));
	return v;
}

// V10's parse, in its order.  kernel_order adds the interleaved-header rules
// V10 applies between reading a header and its strips, so that the first
// failure is the one V10 returns on; plain decoding leaves them to validate().
Result<DecodedFmap> decode(std::span<const uint8_t> b, const Limits &limits, bool kernel_order)
{
	const uint64_t size = b.size();
	if (size > limits.max_reply_bytes)
		return Error{limits.oversize_errno, "reply",
			     "at most " + byte_count(limits.max_reply_bytes) + " (" +
				     std::string(limits.name) + ")",
			     byte_count(size)};
	if (size < kHeaderSize)
		return Error{EINVAL, "header", "at least " + byte_count(kHeaderSize),
			     byte_count(size)};

	DecodedFmap d;
	Fmap &f = d.fmap;
	const uint8_t *h = b.data();
	f.file_type = h[offsetof(struct fuse_dax_fmap_header, file_type)];
	f.reserved = h[offsetof(struct fuse_dax_fmap_header, reserved)];
	f.version = load_le<uint16_t>(h + offsetof(struct fuse_dax_fmap_header, fmap_version));
	const auto ext_type = load_le<uint32_t>(h + offsetof(struct fuse_dax_fmap_header, ext_type));
	const auto nextents = load_le<uint32_t>(h + offsetof(struct fuse_dax_fmap_header, nextents));
	f.reserved0 = load_le<uint32_t>(h + offsetof(struct fuse_dax_fmap_header, reserved0));
	f.file_size = load_le<uint64_t>(h + offsetof(struct fuse_dax_fmap_header, file_size));
	f.reserved1 = load_le<uint64_t>(h + offsetof(struct fuse_dax_fmap_header, reserved1));

	if (nextents < 1 || nextents > limits.max_extents)
		return Error{ERANGE, "nextents", "1.." + std::to_string(limits.max_extents),
			     std::to_string(nextents)};

	size_t off = kHeaderSize;
	switch (ext_type) {
	case FUSE_DAX_EXT_SIMPLE: {
		// u64: nextents * 24 cannot wrap there.
		const uint64_t need = uint64_t(nextents) * kSimpleSize;
		if (size - off < need)
			return Error{EINVAL, "extents",
				     std::to_string(nextents) + " extents of 24 bytes: " + byte_count(need) +
					     at_offset(off),
				     byte_count(size - off)};
		f.extents = load_ranges(b, off, nextents);
		off += need;
		break;
	}
	case FUSE_DAX_EXT_INTERLEAVE: {
		InterleavedExtents ies;
		// Reserve only what the bytes present can hold.
		ies.reserve(std::min<uint64_t>(nextents, (size - off) / kInterleavedSize));
		for (uint32_t i = 0; i < nextents; i++) {
			// Built only on failure: valid replies cost no string work.
			auto name = [i] { return "interleaved[" + std::to_string(i) + "]"; };
			if (size - off < kInterleavedSize)
				return Error{EINVAL, name(),
					     "a 24-byte interleaved extent header" + at_offset(off),
					     byte_count(size - off), i};
			const uint8_t *p = b.data() + off;
			InterleavedExtent ie;
			const auto nstrips = load_le<uint32_t>(
				p + offsetof(struct fuse_dax_interleaved_ext, ie_nstrips));
			ie.chunk_size = load_le<uint32_t>(
				p + offsetof(struct fuse_dax_interleaved_ext, ie_chunk_size));
			ie.nbytes = load_le<uint64_t>(
				p + offsetof(struct fuse_dax_interleaved_ext, ie_nbytes));
			ie.reserved = load_le<uint64_t>(
				p + offsetof(struct fuse_dax_interleaved_ext, reserved));
			off += kInterleavedSize;

			if (kernel_order) {
				std::vector<Error> errs;
				if (detail::check_interleaved_head(i, ie.chunk_size, ie.nbytes, limits,
								   errs, nullptr))
					return std::move(errs.front());
			}

			const uint64_t need = uint64_t(nstrips) * kSimpleSize;
			if (size - off < need)
				return Error{EINVAL, name() + ".strips",
					     std::to_string(nstrips) + " strips of 24 bytes: " +
						     byte_count(need) + at_offset(off),
					     byte_count(size - off), i};
			ie.strips = load_ranges(b, off, nstrips);
			off += need;
			ies.push_back(std::move(ie));
		}
		f.extents = std::move(ies);
		break;
	}
	default:
		return Error{EINVAL, "ext_type", "0 (simple) or 1 (interleave)",
			     std::to_string(ext_type)};
	}
	d.consumed = off;
	return d;
}

} // namespace

Result<DecodedFmap> decode_fmap(std::span<const uint8_t> bytes, const Limits &limits)
{
	return decode(bytes, limits, false);
}

Result<DecodedFmap> decode_and_validate(std::span<const uint8_t> bytes, const Limits &limits)
{
	auto d = decode(bytes, limits, true);
	if (!d)
		return d;
	if (auto c = check(d->fmap, limits); !c)
		return c.error();
	return d;
}

Bytes encode_fmap(const Fmap &fmap)
{
	Bytes out(fmap.wire_size(), 0);
	uint8_t *h = out.data();
	h[offsetof(struct fuse_dax_fmap_header, file_type)] = fmap.file_type;
	h[offsetof(struct fuse_dax_fmap_header, reserved)] = fmap.reserved;
	store_le(h + offsetof(struct fuse_dax_fmap_header, fmap_version), fmap.version);
	store_le(h + offsetof(struct fuse_dax_fmap_header, ext_type),
		 static_cast<uint32_t>(fmap.ext_type()));
	store_le(h + offsetof(struct fuse_dax_fmap_header, nextents),
		 static_cast<uint32_t>(fmap.extent_count()));
	store_le(h + offsetof(struct fuse_dax_fmap_header, reserved0), fmap.reserved0);
	store_le(h + offsetof(struct fuse_dax_fmap_header, file_size), fmap.file_size);
	store_le(h + offsetof(struct fuse_dax_fmap_header, reserved1), fmap.reserved1);

	uint8_t *p = h + kHeaderSize;
	if (fmap.is_simple()) {
		for (const auto &e : fmap.simple())
			p = store_simple(p, e);
		return out;
	}
	for (const auto &ie : fmap.interleaved()) {
		store_le(p + offsetof(struct fuse_dax_interleaved_ext, ie_nstrips),
			 static_cast<uint32_t>(ie.strips.size()));
		store_le(p + offsetof(struct fuse_dax_interleaved_ext, ie_chunk_size), ie.chunk_size);
		store_le(p + offsetof(struct fuse_dax_interleaved_ext, ie_nbytes), ie.nbytes);
		store_le(p + offsetof(struct fuse_dax_interleaved_ext, reserved), ie.reserved);
		p += kInterleavedSize;
		for (const auto &s : ie.strips)
			p = store_simple(p, s);
	}
	return out;
}

Result<DaxdevReply> decode_daxdev(std::span<const uint8_t> bytes)
{
	if (bytes.size() != kDaxdevSize)
		return Error{EINVAL, "reply", "exactly " + byte_count(kDaxdevSize) +
						      " (struct fuse_dax_daxdev_out)",
			     byte_count(bytes.size())};
	const uint8_t *p = bytes.data();
	DaxdevReply r;
	r.index = load_le<uint16_t>(p + offsetof(struct fuse_dax_daxdev_out, index));
	r.reserved = load_le<uint16_t>(p + offsetof(struct fuse_dax_daxdev_out, reserved));
	r.reserved2 = load_le<uint32_t>(p + offsetof(struct fuse_dax_daxdev_out, reserved2));
	r.reserved3 = load_le<uint64_t>(p + offsetof(struct fuse_dax_daxdev_out, reserved3));
	r.reserved4 = load_le<uint64_t>(p + offsetof(struct fuse_dax_daxdev_out, reserved4));

	const uint8_t *name = p + kNameOffset;
	const auto *nul = static_cast<const uint8_t *>(std::memchr(name, 0, kNameSize));
	if (!nul)
		return Error{EINVAL, "name", "a NUL within its " + std::to_string(kNameSize) + " bytes",
			     "no NUL"};
	const size_t len = static_cast<size_t>(nul - name);
	// Zero padding: a stale tail after the NUL hints at a server bug.
	for (size_t k = len + 1; k < kNameSize; k++)
		if (name[k])
			return Error{EINVAL, "name[" + std::to_string(k) + "]",
				     "0 (padding after the NUL at name[" + std::to_string(len) + "])",
				     hex(name[k])};
	r.name.assign(reinterpret_cast<const char *>(name), len);
	return r;
}

Result<Bytes> encode_daxdev(const DaxdevReply &reply)
{
	if (reply.name.size() >= kNameSize)
		return Error{ENAMETOOLONG, "name",
			     "at most " + std::to_string(kNameSize - 1) + " bytes (" +
				     std::to_string(kNameSize) + " with the NUL)",
			     std::to_string(reply.name.size()) + " bytes"};
	if (const auto k = reply.name.find('\0'); k != std::string::npos)
		return Error{EINVAL, "name", "no NUL byte inside the name",
			     "NUL at name[" + std::to_string(k) + "]"};
	Bytes out(kDaxdevSize, 0);
	uint8_t *p = out.data();
	store_le(p + offsetof(struct fuse_dax_daxdev_out, index), reply.index);
	store_le(p + offsetof(struct fuse_dax_daxdev_out, reserved), reply.reserved);
	store_le(p + offsetof(struct fuse_dax_daxdev_out, reserved2), reply.reserved2);
	store_le(p + offsetof(struct fuse_dax_daxdev_out, reserved3), reply.reserved3);
	store_le(p + offsetof(struct fuse_dax_daxdev_out, reserved4), reply.reserved4);
	std::memcpy(p + kNameOffset, reply.name.data(), reply.name.size());
	return out;
}

} // namespace daxfmap

// SPDX-License-Identifier: GPL-2.0-only
#include "daxfmapd/message_path.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include <sys/uio.h>
#include <unistd.h>

#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/validate.hpp"

namespace daxfmap::daemon {

namespace {

MessagePath &of(void *userdata)
{
	return *static_cast<SessionData *>(userdata)->path;
}

ssize_t read_hook(int fd, void *buf, size_t len, void *userdata)
{
	return of(userdata).read(fd, buf, len);
}

ssize_t writev_hook(int fd, struct iovec *iov, int count, void *userdata)
{
	return of(userdata).writev(fd, iov, count);
}

Bytes reply(uint64_t unique, int error, std::span<const uint8_t> payload)
{
	fuse_out_header h{};
	h.len = static_cast<uint32_t>(sizeof(h) + (error ? 0 : payload.size()));
	h.error = error ? -error : 0;
	h.unique = unique;
	Bytes out(h.len);
	std::memcpy(out.data(), &h, sizeof(h));
	if (!error && !payload.empty())
		std::memcpy(out.data() + sizeof(h), payload.data(), payload.size());
	return out;
}

} // namespace

const fuse_custom_io &MessagePath::io()
{
	static const fuse_custom_io hooks = {
		.writev = writev_hook,
		.read = read_hook,
		.splice_receive = nullptr,
		.splice_send = nullptr,
	};
	return hooks;
}

Bytes MessagePath::answer(uint32_t opcode, uint64_t unique, uint64_t nodeid,
			  std::span<const uint8_t> in)
{
	if (opcode == FUSE_GET_FMAP) {
		// The large-map form carries the size of the kernel's buffer.
		std::optional<uint32_t> room;
		if (in.size() >= sizeof(fuse_getxattr_in)) {
			fuse_getxattr_in gi{};
			std::memcpy(&gi, in.data(), sizeof(gi));
			room = gi.size;
			large_++;
		}
		auto f = source_.fmap(nodeid);
		if (!f) {
			fmap_errors_++;
			return reply(unique, f.error().errnum ? f.error().errnum : EIO, {});
		}
		Fmap fmap = *f;
		if (room)
			fmap.reserved0 = static_cast<uint32_t>(std::min<uint64_t>(fmap.wire_size(), UINT32_MAX));
		Bytes bytes = encode_fmap(fmap);
		// The kernel will judge the reply by V10's rules (or, for the
		// large form, the extended profile's); answer what it would
		// conclude (e.g. EINVAL for more than one page) rather than send
		// bytes it rejects.
		auto verdict = decode_and_validate(bytes, limits_for(room ? Profile::Extended : Profile::V10));
		if (!verdict) {
			fmap_errors_++;
			return reply(unique, verdict.error().errnum ? verdict.error().errnum : EINVAL, {});
		}
		if (room && bytes.size() > *room) {
			// Too big for the buffer: the header says how big.
			bytes.resize(sizeof(struct fuse_dax_fmap_header));
			retries_++;
		}
		fmaps_++;
		return reply(unique, 0, bytes);
	}
	auto d = source_.daxdev(nodeid);
	if (!d) {
		daxdev_errors_++;
		return reply(unique, d.error().errnum ? d.error().errnum : ENODEV, {});
	}
	auto bytes = encode_daxdev(*d);
	if (!bytes) {
		daxdev_errors_++;
		return reply(unique, bytes.error().errnum, {});
	}
	daxdevs_++;
	return reply(unique, 0, *bytes);
}

ssize_t MessagePath::read(int fd, void *buf, size_t len)
{
	for (;;) {
		const ssize_t n = ::read(fd, buf, len);
		if (n == 0) {
			// A socket peer hung up: for libfuse that is the end of the
			// connection, like an unmounted /dev/fuse.
			errno = ENODEV;
			return -1;
		}
		if (n < static_cast<ssize_t>(sizeof(fuse_in_header)))
			return n; // errors and short reads are libfuse's to judge
		fuse_in_header h;
		std::memcpy(&h, buf, sizeof(h));
		if (h.opcode == FUSE_INIT) {
			fuse_init_in in{};
			const size_t have = static_cast<size_t>(n) - sizeof(h);
			std::memcpy(&in, static_cast<const uint8_t *>(buf) + sizeof(h), std::min(have, sizeof(in)));
			// flags2 exists only with FUSE_INIT_EXT and a long enough INIT.
			const bool ext = (in.flags & FUSE_INIT_EXT) &&
					 have >= offsetof(fuse_init_in, flags2) + sizeof(in.flags2);
			offered_ = ext && (in.flags2 & kFlags2DaxFmap);
			inval_offered_ = offered_ && (in.flags2 & kFlags2DaxFmapInval);
			negotiated_ = offered_ && enabled_;
			init_unique_ = h.unique;
			init_seen_ = true;
			return n;
		}
		if ((h.opcode == FUSE_GET_FMAP || h.opcode == FUSE_GET_DAXDEV) && negotiated_) {
			const size_t len_in = std::min<size_t>(h.len, static_cast<size_t>(n));
			const Bytes r = answer(h.opcode, h.unique, h.nodeid,
					       std::span<const uint8_t>(static_cast<const uint8_t *>(buf) + sizeof(h),
									len_in > sizeof(h) ? len_in - sizeof(h) : 0));
			if (::write(fd, r.data(), r.size()) < 0 && errno != ENOENT)
				return -1; // ENOENT: the request was interrupted, nothing to do
			continue;
		}
		return n;
	}
}

ssize_t MessagePath::writev(int fd, struct iovec *iov, int count)
{
	fuse_out_header h{};
	if (!init_seen_ || init_replied_ || count < 1 || iov[0].iov_len < sizeof(h))
		return ::writev(fd, iov, count);
	std::memcpy(&h, iov[0].iov_base, sizeof(h));
	if (h.unique != init_unique_)
		return ::writev(fd, iov, count);
	const ssize_t r = write_init_reply(fd, iov, count, h.error);
	init_replied_ = true;
	if (r < 0)
		negotiated_ = false;
	if (init_reply_cb_) {
		const int err = errno;
		init_reply_cb_(r >= 0 && h.error == 0);
		errno = err;
	}
	return r;
}

ssize_t MessagePath::write_init_reply(int fd, struct iovec *iov, int count, int32_t reply_error)
{
	if (!negotiated_)
		return ::writev(fd, iov, count);
	if (reply_error != 0) {
		negotiated_ = false; // libfuse refused INIT: nothing is in force
		return ::writev(fd, iov, count);
	}
	// The INIT reply: copy it, set the capability, send the copy.
	std::vector<uint8_t> msg;
	for (int i = 0; i < count; i++) {
		const auto *p = static_cast<const uint8_t *>(iov[i].iov_base);
		msg.insert(msg.end(), p, p + iov[i].iov_len);
	}
	const size_t base = sizeof(fuse_out_header);
	if (msg.size() >= base + offsetof(fuse_init_out, flags2) + sizeof(uint32_t)) {
		fuse_init_out out{};
		std::memcpy(&out, msg.data() + base, std::min(msg.size() - base, sizeof(out)));
		out.flags |= FUSE_INIT_EXT;
		out.flags2 |= kFlags2DaxFmap;
		if (inval_offered_)
			out.flags2 |= kFlags2DaxFmapInval;
		std::memcpy(msg.data() + base, &out, std::min(msg.size() - base, sizeof(out)));
	} else {
		negotiated_ = false; // a pre-7.36 reply has no flags2 to say yes in
	}
	return ::write(fd, msg.data(), msg.size());
}

} // namespace daxfmap::daemon

// SPDX-License-Identifier: GPL-2.0-only
// A minimal FUSE server for the peer's own tests: a thread on the server end
// of the socketpair answering with canned bytes, well-formed or not.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/fuse_dax_fmap.h>

#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::peer::testing {

struct Request {
	fuse_in_header in{};
	Bytes args;
	size_t received = 0; // bytes in the message, header included
};

// A reply message: header + payload; len, error and unique as given.
inline Bytes raw_reply(uint32_t len, int32_t error, uint64_t unique, std::span<const uint8_t> payload)
{
	fuse_out_header oh{len, error, unique};
	Bytes m(sizeof(oh));
	std::memcpy(m.data(), &oh, sizeof(oh));
	m.insert(m.end(), payload.begin(), payload.end());
	return m;
}

// A well-formed reply.
inline Bytes reply(uint64_t unique, int32_t error, std::span<const uint8_t> payload = {})
{
	return raw_reply(uint32_t(sizeof(fuse_out_header) + payload.size()), error, unique, payload);
}

template <typename T>
std::span<const uint8_t> bytes_of(const T &v)
{
	return {reinterpret_cast<const uint8_t *>(&v), sizeof(T)};
}

// What the fake answers by default: a root holding "file" (nodeid 2, a
// regular file of `fmap.file_size` bytes) and "dir" (nodeid 3); INIT echoes
// FUSE_DAX_FMAP when offered (unless accept_dax_fmap is false); GET_FMAP of
// nodeid 2 is `fmap`; GET_DAXDEV 0 is "/dev/dax0.0", other indices -EINVAL.
struct Canned {
	Fmap fmap;
	bool accept_dax_fmap = true;
	bool claim_dax_fmap = false; // set bit 11 even when not offered
	uint64_t fh = 42;
};

class FakeServer {
public:
	// Returns the messages to send for a request, or nullopt to give the
	// default answer.
	using Override = std::function<std::optional<std::vector<Bytes>>(const Request &)>;

	FakeServer(int fd, Canned canned, Override override = {})
		: fd_(fd), canned_(std::move(canned)), override_(std::move(override))
	{
		thread_ = std::thread([this] { run(); });
	}
	~FakeServer() { stop(); }
	FakeServer(const FakeServer &) = delete;
	FakeServer &operator=(const FakeServer &) = delete;

	// Ends when the peer's end is closed; call after closing it.
	void stop()
	{
		if (thread_.joinable())
			thread_.join();
		if (fd_ >= 0)
			::close(fd_);
		fd_ = -1;
	}

	std::vector<Request> requests() const
	{
		std::lock_guard lock(mu_);
		return requests_;
	}
	std::vector<uint32_t> opcodes() const
	{
		std::vector<uint32_t> ops;
		for (const auto &r : requests())
			ops.push_back(r.in.opcode);
		return ops;
	}

private:
	void run()
	{
		Bytes buf(size_t{16} << 20);
		for (;;) {
			ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
			if (n <= 0)
				return; // the peer closed its end
			Request r;
			r.received = size_t(n);
			std::memcpy(&r.in, buf.data(), std::min(size_t(n), sizeof(r.in)));
			if (size_t(n) > sizeof(r.in))
				r.args.assign(buf.begin() + sizeof(r.in), buf.begin() + n);
			{
				std::lock_guard lock(mu_);
				requests_.push_back(r);
			}
			std::optional<std::vector<Bytes>> out;
			if (override_)
				out = override_(r);
			if (!out)
				out = answer(r);
			for (const Bytes &m : *out)
				if (::send(fd_, m.data(), m.size(), MSG_NOSIGNAL) < 0)
					return;
		}
	}

	std::vector<Bytes> answer(const Request &r) const
	{
		const uint64_t u = r.in.unique;
		switch (r.in.opcode) {
		case FUSE_INIT: {
			fuse_init_in in{};
			std::memcpy(&in, r.args.data(), std::min(r.args.size(), sizeof(in)));
			fuse_init_out out{};
			out.major = FUSE_KERNEL_VERSION;
			out.minor = FUSE_KERNEL_MINOR_VERSION;
			out.max_readahead = in.max_readahead;
			out.flags = FUSE_INIT_EXT | FUSE_BIG_WRITES | FUSE_MAX_PAGES;
			out.max_write = 1 << 20;
			out.max_pages = 256;
			bool offered = (in.flags & FUSE_INIT_EXT) &&
				       (in.flags2 & static_cast<uint32_t>(FUSE_DAX_FMAP >> 32));
			if ((offered && canned_.accept_dax_fmap) || canned_.claim_dax_fmap)
				out.flags2 |= static_cast<uint32_t>(FUSE_DAX_FMAP >> 32);
			return {reply(u, 0, bytes_of(out))};
		}
		case FUSE_LOOKUP: {
			std::string name(reinterpret_cast<const char *>(r.args.data()),
					 strnlen(reinterpret_cast<const char *>(r.args.data()), r.args.size()));
			fuse_entry_out e{};
			if (name == "file") {
				e.nodeid = 2;
				e.attr.ino = 2;
				e.attr.mode = S_IFREG | 0644;
				e.attr.size = canned_.fmap.file_size;
			} else if (name == "dir") {
				e.nodeid = 3;
				e.attr.ino = 3;
				e.attr.mode = S_IFDIR | 0755;
			} else {
				return {reply(u, -ENOENT)};
			}
			e.attr.nlink = 1;
			return {reply(u, 0, bytes_of(e))};
		}
		case FUSE_GETATTR: {
			fuse_attr_out a{};
			a.attr.ino = r.in.nodeid;
			a.attr.nlink = 1;
			a.attr.mode = r.in.nodeid == 2 ? S_IFREG | 0644 : S_IFDIR | 0755;
			a.attr.size = r.in.nodeid == 2 ? canned_.fmap.file_size : 0;
			return {reply(u, 0, bytes_of(a))};
		}
		case FUSE_OPEN: {
			fuse_open_out o{};
			o.fh = canned_.fh;
			return {reply(u, 0, bytes_of(o))};
		}
		case FUSE_GET_FMAP:
			if (r.in.nodeid != 2)
				return {reply(u, -EINVAL)};
			return {reply(u, 0, encode_fmap(canned_.fmap))};
		case FUSE_GET_DAXDEV: {
			if (r.in.nodeid != 0)
				return {reply(u, -EINVAL)};
			auto b = encode_daxdev(DaxdevReply{.index = 0, .name = "/dev/dax0.0"});
			return {reply(u, 0, *b)};
		}
		case FUSE_READ: {
			fuse_read_in in{};
			std::memcpy(&in, r.args.data(), std::min(r.args.size(), sizeof(in)));
			Bytes data(in.size);
			for (size_t i = 0; i < data.size(); ++i)
				data[i] = uint8_t(in.offset + i);
			return {reply(u, 0, data)};
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			return {};
		default: // RELEASE, DESTROY and the rest: a bare success
			return {reply(u, 0)};
		}
	}

	int fd_;
	Canned canned_;
	Override override_;
	mutable std::mutex mu_;
	std::vector<Request> requests_;
	std::thread thread_;
};

} // namespace daxfmap::peer::testing

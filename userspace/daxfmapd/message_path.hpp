// SPDX-License-Identifier: GPL-2.0-only
// The daemon's side of the FUSE_DAX_FMAP message path, below libfuse.
//
// libfuse 3.14 knows neither FUSE_DAX_FMAP nor opcodes 54/55, so the daemon
// owns the FUSE fd through fuse_session_custom_io() and these hooks:
//  - read: every request passes through.  INIT is peeked (did the kernel
//    offer FUSE_DAX_FMAP?); FUSE_GET_FMAP (54) and FUSE_GET_DAXDEV (55) are
//    answered here, once negotiated, and never reach libfuse.
//  - writev: the INIT reply gets FUSE_INIT_EXT and FUSE_DAX_FMAP (flags2
//    bit 11) set when the kernel offered it and the message path is enabled,
//    and FUSE_DAX_FMAP_INVAL (bit 12) with it when that was offered too.
// The names and the wire format are those of uapi/linux/fuse_dax_fmap.h,
// i.e. of the kernel series (kernel/patches).
//
// GET_FMAP comes in two forms (see the uapi header): V10's, with no input,
// answered under the V10 profile; and the large-map form of a kernel built
// with fuse.dax_fmap_max_reply set, carrying a fuse_getxattr_in with the
// size of the kernel's buffer, answered under the extended profile with
// reserved0 = the size of the whole map, and with the header alone when the
// map does not fit (the kernel then asks again with a buffer that big).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>

#include <fuse3/fuse_lowlevel.h>
#include <linux/fuse.h>
#include <linux/fuse_dax_fmap.h>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/result.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::daemon {

// FUSE_DAX_FMAP in the INIT flags2 word (bit 11).
inline constexpr uint32_t kFlags2DaxFmap = static_cast<uint32_t>(FUSE_DAX_FMAP >> 32);
// FUSE_DAX_FMAP_INVAL in the INIT flags2 word (bit 12).
inline constexpr uint32_t kFlags2DaxFmapInval = static_cast<uint32_t>(FUSE_DAX_FMAP_INVAL >> 32);

// What the hooks need from the file system.
struct MessageSource {
	// The fmap of the regular file `inode`.
	std::function<Result<Fmap>(uint64_t inode)> fmap;
	// The device `index` (GET_DAXDEV's nodeid).
	std::function<Result<DaxdevReply>(uint64_t index)> daxdev;
};

class MessagePath;

// The session's userdata: the hooks use `path`, the operations `fs`.
struct SessionData {
	MessagePath *path = nullptr;
	void *fs = nullptr;
};

class MessagePath {
public:
	MessagePath(bool enabled, MessageSource source) : enabled_(enabled), source_(std::move(source)) {}

	// fuse_custom_io with these hooks.  libfuse hands the hooks the
	// session's userdata, so that must be a SessionData.
	static const fuse_custom_io &io();

	// Read hook body: returns one request for libfuse, answering 54/55 itself.
	ssize_t read(int fd, void *buf, size_t len);
	// Writev hook body: patches the INIT reply.
	ssize_t writev(int fd, struct iovec *iov, int count);
	// Called once the INIT reply has been written (ok) or failed to be
	// (INIT refused, or the write failed): only then is the path known.
	void on_init_reply(std::function<void(bool ok)> f) { init_reply_cb_ = std::move(f); }

	// Set once INIT has been seen.
	bool init_seen() const { return init_seen_.load(); }
	// The kernel offered FUSE_DAX_FMAP in INIT.
	bool kernel_offered() const { return offered_.load(); }
	// Offered and enabled: the reply said yes, 54/55 are answered.
	bool negotiated() const { return negotiated_.load(); }
	// Negotiated, and FUSE_DAX_FMAP_INVAL with it: the kernel drops a
	// file's map around size changes and on FUSE_NOTIFY_INVAL_INODE.
	bool maps_droppable() const { return negotiated_.load() && inval_offered_.load(); }
	// Counters, for the log and tests: requests answered with data, and
	// requests answered with an error.
	uint64_t fmaps_served() const { return fmaps_.load(); }
	uint64_t daxdevs_served() const { return daxdevs_.load(); }
	uint64_t fmap_errors() const { return fmap_errors_.load(); }
	uint64_t daxdev_errors() const { return daxdev_errors_.load(); }
	// GET_FMAP requests of the large-map form, and of those the ones
	// answered with the header alone (the map did not fit).
	uint64_t large_fmaps() const { return large_.load(); }
	uint64_t fmap_retries() const { return retries_.load(); }

	// Answers one GET_FMAP / GET_DAXDEV request whose input (the bytes after
	// the fuse_in_header) is `in`: the reply bytes (header included), ready
	// to write.  Exposed for unit tests.
	Bytes answer(uint32_t opcode, uint64_t unique, uint64_t nodeid,
		     std::span<const uint8_t> in = {});

private:
	bool enabled_;
	MessageSource source_;
	std::atomic<bool> init_seen_{false}, offered_{false}, negotiated_{false};
	std::atomic<bool> inval_offered_{false};
	std::atomic<uint64_t> init_unique_{0};
	std::atomic<bool> init_replied_{false};
	std::function<void(bool ok)> init_reply_cb_;
	ssize_t write_init_reply(int fd, struct iovec *iov, int count, int32_t reply_error);
	std::atomic<uint64_t> fmaps_{0}, daxdevs_{0}, fmap_errors_{0}, daxdev_errors_{0};
	std::atomic<uint64_t> large_{0}, retries_{0};
};

} // namespace daxfmap::daemon

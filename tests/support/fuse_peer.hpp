// SPDX-License-Identifier: GPL-2.0-only
// The kernel's side of the FUSE protocol, in userspace: a FusePeer owns one
// end of a socketpair(AF_UNIX, SOCK_SEQPACKET) whose other end a FUSE server
// (daxfmapd --fuse-fd N) reads and writes as if it were /dev/fuse.  It sends
// requests the way a kernel with FUSE_DAX_FMAP (famfs V10) would, checks
// every reply the way the kernel's /dev/fuse write path does, and runs the
// message path (LOOKUP, OPEN, GET_FMAP, GET_DAXDEV) with the library's V10
// validation.  No stock kernel offers FUSE_DAX_FMAP, so this is how the
// message path is tested and measured.
//
// Free of GoogleTest: the benchmark links it too.  One thread per peer.
//
// Errors: a reply that breaks the protocol is an Error with errnum EPROTO
// naming what is wrong ("reply.len", "reply.unique", ...); no reply within
// the timeout is ETIMEDOUT; a closed connection is ECONNRESET; a socket
// failure carries its errno.  A well-formed reply carrying -errno is not a
// violation: the raw calls (request(), get_fmap(), get_daxdev()) return it
// as Reply::error, the typed calls as an Error with that errno and field
// naming the opcode ("LOOKUP").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <linux/fuse.h>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/result.hpp"
#include "libdaxfmap/validate.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::peer {

// The protocol minor a V10 kernel speaks (FUSE_DAX_FMAP is 7.46); Debian's
// <linux/fuse.h> is 7.38.
inline constexpr uint32_t kV10KernelMinor = 46;
// Sanity bound for any reply; a bigger one is a violation, not an allocation.
inline constexpr size_t kMaxReplyBytes = size_t{64} << 20;

// "LOOKUP", "GET_FMAP", or "opcode 99".
std::string opcode_name(uint32_t opcode);

// A well-formed reply: error is 0 or -errno (never positive), payload is
// what followed the out header (empty when error != 0).
struct Reply {
	int32_t error = 0;
	Bytes payload;
};

struct InitOffer {
	bool offer_dax_fmap = true;        // FUSE_INIT_EXT + flags2 bit 11
	uint32_t major = FUSE_KERNEL_VERSION;
	uint32_t minor = kV10KernelMinor;
	uint32_t max_readahead = 128 * 1024;
	// Extra INIT flags (low 32 bits in flags, high in flags2), on top of
	// what a kernel offers by default (kDefaultInitFlags).
	uint64_t extra_flags = 0;
};

// What a recent kernel offers a server that does not ask for anything odd.
inline constexpr uint64_t kDefaultInitFlags =
	FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES |
	FUSE_DONT_MASK | FUSE_AUTO_INVAL_DATA | FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS |
	FUSE_MAX_PAGES | FUSE_INIT_EXT;

struct InitReply {
	uint32_t major = 0;
	uint32_t minor = 0;          // as the server sent it
	uint32_t negotiated_minor = 0; // min(ours, theirs): what is in force
	uint32_t max_readahead = 0;
	uint64_t flags = 0;          // flags | flags2 << 32 (flags2 only with FUSE_INIT_EXT)
	uint32_t max_write = 0;
	uint16_t max_pages = 0;
	size_t reply_bytes = 0;      // payload size the server sent
	bool dax_fmap = false;       // FUSE_DAX_FMAP offered and accepted: in force
};

struct Entry {
	fuse_entry_out out{};
	uint64_t nodeid() const { return out.nodeid; }
};

// One device an fmap names, as GET_DAXDEV described it.
struct DaxDevice {
	uint32_t index = 0;
	DaxdevReply reply;
	bool operator==(const DaxDevice &) const = default;
};

// A file opened through the message path.
struct OpenedFile {
	Entry entry;
	uint64_t fh = 0;
	uint32_t open_flags = 0;     // FOPEN_*
	Bytes fmap_bytes;            // the raw GET_FMAP reply
	Fmap fmap;                   // decoded and V10-validated
	std::vector<Error> warnings; // what V10 accepts but is worth knowing
	std::vector<DaxDevice> devices; // every device the fmap names, by index
};

class FusePeer {
public:
	struct Options {
		std::chrono::milliseconds timeout{10000}; // per receive and per send
		// SO_SNDBUF/SO_RCVBUF of both ends (forced when privileged): a
		// SOCK_SEQPACKET message cannot exceed the sender's buffer, and a
		// READ reply of max_pages carries up to 1 MiB and more.
		int socket_buffer = 8 << 20;
	};

	// A new socketpair: the peer holds one end, the returned fd is the
	// server's (/dev/fuse stand-in; not close-on-exec, so a child inherits
	// it; the caller closes it once the server has it).
	static Result<std::pair<FusePeer, int>> make_pair(const Options &opts);
	static Result<std::pair<FusePeer, int>> make_pair() { return make_pair(Options{}); }
	// Adopts a connected SOCK_SEQPACKET fd.
	FusePeer(int fd, const Options &opts);

	FusePeer(FusePeer &&other) noexcept;
	FusePeer &operator=(FusePeer &&other) noexcept;
	FusePeer(const FusePeer &) = delete;
	FusePeer &operator=(const FusePeer &) = delete;
	~FusePeer();

	int fd() const { return fd_; }
	void close();

	// FUSE_INIT.  A reply that claims FUSE_DAX_FMAP without the offer, or a
	// major other than 7, is a violation.
	Result<InitReply> init(const InitOffer &offer);
	Result<InitReply> init(bool offer_dax_fmap)
	{
		InitOffer o;
		o.offer_dax_fmap = offer_dax_fmap;
		return init(o);
	}
	// What the last successful init() negotiated.
	const std::optional<InitReply> &negotiated() const { return init_; }

	Result<Entry> lookup(uint64_t parent, std::string_view name);
	Result<fuse_attr_out> getattr(uint64_t nodeid, std::optional<uint64_t> fh = std::nullopt);
	Result<fuse_open_out> open(uint64_t nodeid, uint32_t flags);
	Result<void> release(uint64_t nodeid, uint64_t fh, uint32_t flags = 0);
	// At most `size` bytes; fewer only at the end of the file.
	Result<Bytes> read(uint64_t nodeid, uint64_t fh, uint64_t offset, uint32_t size);
	Result<uint32_t> write(uint64_t nodeid, uint64_t fh, uint64_t offset,
			       std::span<const uint8_t> data);
	// FUSE_CREATE: the new entry and its open file.
	Result<std::pair<Entry, fuse_open_out>> create(uint64_t parent, std::string_view name,
						       uint32_t mode, uint32_t flags);
	Result<Entry> mkdir(uint64_t parent, std::string_view name, uint32_t mode);
	// FUSE_SETATTR with FATTR_SIZE (a truncate or an extension).
	Result<fuse_attr_out> set_size(uint64_t nodeid, uint64_t size);
	// FUSE_SETXATTR / FUSE_GETXATTR, in the layout of a kernel that did not
	// negotiate FUSE_SETXATTR_EXT.  getxattr returns the value (at most
	// `size` bytes).
	Result<void> setxattr(uint64_t nodeid, std::string_view name, std::span<const uint8_t> value,
			      uint32_t flags = 0);
	Result<Bytes> getxattr(uint64_t nodeid, std::string_view name, uint32_t size = 65536);
	// GET_FMAP (54): no argument, nodeid names the file.  The raw reply,
	// any size (validation, the one-page limit included, is the caller's:
	// see open_with_fmap()).
	Result<Reply> get_fmap(uint64_t nodeid);
	// GET_DAXDEV (55): the index travels in the header's nodeid.
	Result<Reply> get_daxdev(uint32_t index);
	// FUSE_FORGET takes no reply; one that arrives later is a violation.
	Result<void> forget(uint64_t nodeid, uint64_t nlookup);
	Result<void> destroy();

	// Any request: header + args in one message, then the matching reply.
	// Checks only what holds for every opcode (see check_reply()).
	Result<Reply> request(uint32_t opcode, uint64_t nodeid, std::span<const uint8_t> args);

	// Split form of request(), for several requests in flight: send()
	// returns the unique; wait() returns that request's reply, keeping
	// replies to other outstanding requests for their own wait().
	Result<uint64_t> send(uint32_t opcode, uint64_t nodeid, std::span<const uint8_t> args);
	Result<Reply> wait(uint64_t unique);

	// The message path, as a V10 kernel runs it at open: LOOKUP, OPEN,
	// GET_FMAP (a failure or an invalid reply fails the open: RELEASE is
	// sent and the Error returned, V10's errno for an invalid fmap), then
	// GET_DAXDEV for each device index the fmap names that this connection
	// has not asked about yet.  Needs FUSE_DAX_FMAP in force.
	Result<OpenedFile> open_with_fmap(uint64_t parent, std::string_view name,
					  uint32_t flags = 0 /* O_RDONLY */);
	// Devices this connection has learnt about, by index.
	const std::map<uint32_t, DaxdevReply> &devices() const { return devices_; }

	// Notifications (unique 0) the server sent, in order, skipped while
	// waiting for replies: (code, payload).
	const std::vector<std::pair<int32_t, Bytes>> &notifications() const
	{
		return notifications_;
	}

	// Requests sent so far.
	uint64_t requests_sent() const { return sent_; }

private:
	struct Pending {
		uint32_t opcode;
		uint64_t nodeid;
	};

	// Waits up to the timeout for `events` on the socket: the revents, or 0
	// on timeout.
	Result<short> wait_for(short events);
	Result<void> send_message(std::span<const uint8_t> header, std::span<const uint8_t> args);
	// One message off the socket, with the timeout; `what` names the
	// request waited for, for the error.
	Result<Bytes> receive_message(const std::string &what);
	// A typed call's reply: an error reply becomes an Error with its errno.
	Result<Bytes> expect_ok(uint32_t opcode, const Reply &r) const;
	// request_sized, then expect_ok: the payload of a successful reply.
	Result<Bytes> call(uint32_t opcode, uint64_t nodeid, std::span<const uint8_t> args,
			   size_t min_size, size_t max_size);
	Result<Reply> request_sized(uint32_t opcode, uint64_t nodeid,
				    std::span<const uint8_t> args, size_t min_size, size_t max_size);
	Result<DaxdevReply> daxdev(uint32_t index);

	int fd_ = -1;
	Options opts_;
	uint64_t next_unique_ = 2; // the kernel steps by 2; odd ones are interrupts
	uint64_t sent_ = 0;
	std::map<uint64_t, Pending> pending_;
	std::map<uint64_t, Reply> arrived_; // replies to requests nobody waits for yet
	std::set<uint64_t> no_reply_;       // uniques of requests that take no reply
	std::optional<InitReply> init_;
	std::map<uint32_t, DaxdevReply> devices_;
	std::vector<std::pair<int32_t, Bytes>> notifications_;
};

// The checks the kernel's /dev/fuse write path applies to every reply,
// before it looks at the payload: at least a header, len equal to the bytes
// written, error in (-512, 0], no payload with an error.  `unique` is
// returned for matching.  EPROTO Errors naming the field.
struct ParsedReply {
	uint64_t unique = 0;
	Reply reply;
};
Result<ParsedReply> check_reply(std::span<const uint8_t> message);

// Whether an Error is a protocol violation (as opposed to an errno the
// server answered with, a timeout or a closed connection).
bool is_violation(const Error &e);

} // namespace daxfmap::peer

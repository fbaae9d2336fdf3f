// SPDX-License-Identifier: GPL-2.0-only
#include "support/fuse_peer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/fuse_dax_fmap.h>

namespace daxfmap::peer {

namespace {

// The kernel refuses a reply error outside (-512, 0] (ERESTARTSYS and the
// other kernel-internal codes start at 512).
constexpr int32_t kMinReplyError = -511;

Error violation(std::string field, std::string expected, std::string found)
{
	return Error{.errnum = EPROTO,
		     .field = std::move(field),
		     .expected = std::move(expected),
		     .found = std::move(found)};
}

Error sys_error(std::string field, int errnum)
{
	return Error{.errnum = errnum, .field = std::move(field), .found = std::strerror(errnum)};
}

template <typename T>
std::span<const uint8_t> as_bytes(const T &v)
{
	return {reinterpret_cast<const uint8_t *>(&v), sizeof(T)};
}

template <typename T>
T from_bytes(std::span<const uint8_t> b)
{
	T v{};
	std::memcpy(&v, b.data(), std::min(b.size(), sizeof(T)));
	return v;
}

// A name argument: the bytes and their NUL, as the kernel sends it.
Bytes name_arg(std::span<const uint8_t> fixed, std::string_view name)
{
	Bytes b(fixed.begin(), fixed.end());
	b.insert(b.end(), name.begin(), name.end());
	b.push_back(0);
	return b;
}

std::string size_str(size_t n)
{
	return std::to_string(n) + " bytes";
}

// The kernel's fuse_invalid_attr(): a file type it knows and a size that
// fits loff_t.
Result<void> check_attr(const std::string &what, const fuse_attr &a)
{
	switch (a.mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		break;
	default:
		return violation(what + ".attr.mode", "a known file type",
				 "0" + std::to_string(a.mode));
	}
	if (a.size > uint64_t(INT64_MAX))
		return violation(what + ".attr.size", "at most 2^63-1", hex(a.size));
	return {};
}

Result<void> check_entry(const std::string &what, const fuse_entry_out &e)
{
	// The kernel turns a nodeid of the root into EIO for any other name.
	if (e.nodeid == FUSE_ROOT_ID)
		return violation(what + ".nodeid", "not the root's (1)", "1");
	return check_attr(what, e.attr);
}

} // namespace

std::string opcode_name(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_LOOKUP: return "LOOKUP";
	case FUSE_FORGET: return "FORGET";
	case FUSE_GETATTR: return "GETATTR";
	case FUSE_SETATTR: return "SETATTR";
	case FUSE_MKDIR: return "MKDIR";
	case FUSE_UNLINK: return "UNLINK";
	case FUSE_OPEN: return "OPEN";
	case FUSE_READ: return "READ";
	case FUSE_WRITE: return "WRITE";
	case FUSE_RELEASE: return "RELEASE";
	case FUSE_SETXATTR: return "SETXATTR";
	case FUSE_GETXATTR: return "GETXATTR";
	case FUSE_INIT: return "INIT";
	case FUSE_CREATE: return "CREATE";
	case FUSE_DESTROY: return "DESTROY";
	case FUSE_BATCH_FORGET: return "BATCH_FORGET";
	case FUSE_GET_FMAP: return "GET_FMAP";
	case FUSE_GET_DAXDEV: return "GET_DAXDEV";
	default: return "opcode " + std::to_string(opcode);
	}
}

bool is_violation(const Error &e)
{
	return e.errnum == EPROTO;
}

Result<ParsedReply> check_reply(std::span<const uint8_t> m)
{
	if (m.size() < sizeof(fuse_out_header))
		return violation("reply", "at least a " + size_str(sizeof(fuse_out_header)) +
				 " fuse_out_header", size_str(m.size()));
	auto oh = from_bytes<fuse_out_header>(m);
	if (oh.len != m.size())
		return violation("reply.len", "the " + size_str(m.size()) + " received",
				 std::to_string(oh.len));
	if (oh.unique == 0)
		return ParsedReply{.unique = 0,
				   .reply = Reply{.error = oh.error,
						  .payload = Bytes(m.begin() + sizeof(oh), m.end())}};
	if (oh.error > 0 || oh.error < kMinReplyError)
		return violation("reply.error", "0 or -errno in -511..0", std::to_string(oh.error));
	if (oh.error != 0 && m.size() != sizeof(oh))
		return violation("reply", "no payload with error " + std::to_string(oh.error),
				 size_str(m.size() - sizeof(oh)) + " of payload");
	return ParsedReply{.unique = oh.unique,
			   .reply = Reply{.error = oh.error,
					  .payload = Bytes(m.begin() + sizeof(oh), m.end())}};
}

Result<std::pair<FusePeer, int>> FusePeer::make_pair(const Options &opts)
{
	int sv[2];
	if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return sys_error("socketpair(AF_UNIX, SOCK_SEQPACKET)", errno);
	for (int s : sv) {
		int v = opts.socket_buffer;
		// Forcing needs CAP_NET_ADMIN; otherwise wmem_max caps it.
		for (int opt : {SO_SNDBUF, SO_RCVBUF})
			if (::setsockopt(s, SOL_SOCKET, opt == SO_SNDBUF ? SO_SNDBUFFORCE : SO_RCVBUFFORCE,
					 &v, sizeof(v)) != 0)
				(void)::setsockopt(s, SOL_SOCKET, opt, &v, sizeof(v));
	}
	// The server's end crosses exec.
	if (::fcntl(sv[1], F_SETFD, 0) != 0) {
		int e = errno;
		::close(sv[0]);
		::close(sv[1]);
		return sys_error("fcntl(F_SETFD)", e);
	}
	return std::pair<FusePeer, int>(FusePeer(sv[0], opts), sv[1]);
}

FusePeer::FusePeer(int fd, const Options &opts) : fd_(fd), opts_(opts) {}

FusePeer::FusePeer(FusePeer &&o) noexcept
	: fd_(std::exchange(o.fd_, -1)), opts_(o.opts_), next_unique_(o.next_unique_),
	  sent_(o.sent_), pending_(std::move(o.pending_)), arrived_(std::move(o.arrived_)),
	  no_reply_(std::move(o.no_reply_)), init_(std::move(o.init_)),
	  devices_(std::move(o.devices_)), notifications_(std::move(o.notifications_))
{
}

FusePeer &FusePeer::operator=(FusePeer &&o) noexcept
{
	if (this != &o) {
		close();
		fd_ = std::exchange(o.fd_, -1);
		opts_ = o.opts_;
		next_unique_ = o.next_unique_;
		sent_ = o.sent_;
		pending_ = std::move(o.pending_);
		arrived_ = std::move(o.arrived_);
		no_reply_ = std::move(o.no_reply_);
		init_ = std::move(o.init_);
		devices_ = std::move(o.devices_);
		notifications_ = std::move(o.notifications_);
	}
	return *this;
}

FusePeer::~FusePeer()
{
	close();
}

void FusePeer::close()
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = -1;
}

Result<short> FusePeer::wait_for(short events)
{
	pollfd p{.fd = fd_, .events = events};
	int n;
	do
		n = ::poll(&p, 1, int(opts_.timeout.count()));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return sys_error("poll", errno);
	return n == 0 ? short{0} : p.revents;
}

Result<void> FusePeer::send_message(std::span<const uint8_t> header, std::span<const uint8_t> args)
{
	if (fd_ < 0)
		return sys_error("send", EBADF);
	auto ready = wait_for(POLLOUT);
	if (!ready)
		return ready.error();
	if (*ready == 0)
		return Error{.errnum = ETIMEDOUT, .field = "send",
			     .found = "the server took no request for " +
				      std::to_string(opts_.timeout.count()) + " ms"};
	iovec iov[2] = {{const_cast<uint8_t *>(header.data()), header.size()},
			{const_cast<uint8_t *>(args.data()), args.size()}};
	msghdr mh{};
	mh.msg_iov = iov;
	mh.msg_iovlen = args.empty() ? 1 : 2;
	ssize_t w;
	do
		w = ::sendmsg(fd_, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return errno == EPIPE || errno == ECONNRESET
			       ? Error{.errnum = ECONNRESET, .field = "send",
				       .found = "the server closed the connection"}
			       : sys_error("sendmsg", errno);
	if (size_t(w) != header.size() + args.size())
		return sys_error("sendmsg: short write", EIO);
	return {};
}

Result<Bytes> FusePeer::receive_message(const std::string &what)
{
	if (fd_ < 0)
		return sys_error("receive", EBADF);
	auto ready = wait_for(POLLIN);
	if (!ready)
		return ready.error();
	const short revents = *ready;
	if (revents == 0)
		return Error{.errnum = ETIMEDOUT, .field = what,
			     .expected = "a reply within " + std::to_string(opts_.timeout.count()) + " ms",
			     .found = "none"};
	if (!(revents & POLLIN))
		return Error{.errnum = ECONNRESET, .field = what, .expected = "a reply",
			     .found = "the server closed the connection"};
	// The real size, however big, so that nothing is silently truncated.
	ssize_t len;
	do
		len = ::recv(fd_, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	while (len < 0 && errno == EINTR);
	if (len < 0)
		return sys_error("recv", errno);
	if (size_t(len) > kMaxReplyBytes)
		return violation(what + " reply", "at most " + size_str(kMaxReplyBytes),
				 size_str(size_t(len)));
	Bytes buf(static_cast<size_t>(len));
	ssize_t r;
	do
		r = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return sys_error("recv", errno);
	// A zero-length read is the end of the connection when the other end is
	// gone; otherwise it is an empty message (caught as a short header).
	if (r == 0 && (revents & (POLLHUP | POLLRDHUP)))
		return Error{.errnum = ECONNRESET, .field = what, .expected = "a reply",
			     .found = "the server closed the connection"};
	buf.resize(size_t(r));
	return buf;
}

Result<uint64_t> FusePeer::send(uint32_t opcode, uint64_t nodeid, std::span<const uint8_t> args)
{
	fuse_in_header ih{};
	ih.len = uint32_t(sizeof(ih) + args.size());
	ih.opcode = opcode;
	ih.unique = next_unique_;
	ih.nodeid = nodeid;
	ih.uid = ::getuid();
	ih.gid = ::getgid();
	ih.pid = uint32_t(::getpid());
	if (auto r = send_message(as_bytes(ih), args); !r)
		return r.error();
	next_unique_ += 2;
	++sent_;
	if (opcode == FUSE_FORGET || opcode == FUSE_BATCH_FORGET)
		no_reply_.insert(ih.unique);
	else
		pending_[ih.unique] = Pending{opcode, nodeid};
	return ih.unique;
}

Result<Reply> FusePeer::wait(uint64_t unique)
{
	auto it = pending_.find(unique);
	if (it == pending_.end())
		return Error{.errnum = EINVAL, .field = "wait",
			     .expected = "the unique of an outstanding request",
			     .found = std::to_string(unique)};
	const std::string what = opcode_name(it->second.opcode) + " (unique " +
				 std::to_string(unique) + ")";
	for (;;) {
		if (auto a = arrived_.find(unique); a != arrived_.end()) {
			Reply r = std::move(a->second);
			arrived_.erase(a);
			pending_.erase(unique);
			return r;
		}
		auto m = receive_message(what);
		if (!m)
			return m.error();
		auto p = check_reply(*m);
		if (!p) {
			Error e = p.error();
			e.field = what + " " + e.field;
			return e;
		}
		if (p->unique == 0) {
			notifications_.emplace_back(p->reply.error, std::move(p->reply.payload));
			continue;
		}
		if (no_reply_.count(p->unique))
			return violation(what + ": reply.unique",
					 "a request that takes a reply",
					 std::to_string(p->unique) + ", a FORGET's");
		if (!pending_.count(p->unique) || arrived_.count(p->unique))
			return violation(what + ": reply.unique",
					 "an outstanding request's (waiting for " +
						 std::to_string(unique) + ")",
					 std::to_string(p->unique));
		arrived_[p->unique] = std::move(p->reply);
	}
}

Result<Reply> FusePeer::request(uint32_t opcode, uint64_t nodeid, std::span<const uint8_t> args)
{
	auto u = send(opcode, nodeid, args);
	if (!u)
		return u.error();
	return wait(*u);
}

Result<Reply> FusePeer::request_sized(uint32_t opcode, uint64_t nodeid,
				      std::span<const uint8_t> args, size_t min_size,
				      size_t max_size)
{
	auto r = request(opcode, nodeid, args);
	if (!r || r->error != 0)
		return r;
	size_t n = r->payload.size();
	if (n < min_size || n > max_size)
		return violation(opcode_name(opcode) + " reply payload",
				 min_size == max_size ? size_str(min_size)
						      : size_str(min_size) + " to " + size_str(max_size),
				 size_str(n));
	return r;
}

Result<Bytes> FusePeer::call(uint32_t opcode, uint64_t nodeid, std::span<const uint8_t> args,
			     size_t min_size, size_t max_size)
{
	auto r = request_sized(opcode, nodeid, args, min_size, max_size);
	if (!r)
		return r.error();
	return expect_ok(opcode, *r);
}

Result<Bytes> FusePeer::expect_ok(uint32_t opcode, const Reply &r) const
{
	if (r.error != 0)
		return Error{.errnum = -r.error, .field = opcode_name(opcode),
			     .expected = "success",
			     .found = "-" + errno_name(-r.error) + " (" + std::strerror(-r.error) + ")"};
	return r.payload;
}

Result<InitReply> FusePeer::init(const InitOffer &offer)
{
	fuse_init_in in{};
	in.major = offer.major;
	in.minor = offer.minor;
	in.max_readahead = offer.max_readahead;
	uint64_t flags = kDefaultInitFlags | offer.extra_flags;
	if (offer.offer_dax_fmap)
		flags |= FUSE_DAX_FMAP;
	in.flags = uint32_t(flags);
	in.flags2 = uint32_t(flags >> 32);
	// The compat sizes go back to 7.5 (8 bytes); 7.23 and later send all.
	auto ok = call(FUSE_INIT, 0, as_bytes(in), FUSE_COMPAT_INIT_OUT_SIZE,
			       sizeof(fuse_init_out));
	if (!ok)
		return ok.error();
	auto out = from_bytes<fuse_init_out>(*ok);
	InitReply ir;
	ir.reply_bytes = ok->size();
	ir.major = out.major;
	ir.minor = out.minor;
	if (out.major != FUSE_KERNEL_VERSION)
		return violation("INIT reply.major", std::to_string(FUSE_KERNEL_VERSION),
				 std::to_string(out.major));
	ir.negotiated_minor = std::min(out.minor, offer.minor);
	if (ok->size() < FUSE_COMPAT_22_INIT_OUT_SIZE && ir.negotiated_minor >= 23)
		return violation("INIT reply payload", "at least " +
				 size_str(FUSE_COMPAT_22_INIT_OUT_SIZE) + " for 7.23 and later",
				 size_str(ok->size()));
	ir.max_readahead = out.max_readahead;
	ir.flags = out.flags;
	// flags2 means something only when the reply says FUSE_INIT_EXT, as in
	// the kernel.
	if ((out.flags & FUSE_INIT_EXT) && ok->size() >= offsetof(fuse_init_out, flags2) + 4)
		ir.flags |= uint64_t(out.flags2) << 32;
	ir.max_write = out.max_write;
	ir.max_pages = out.max_pages;
	if ((ir.flags & FUSE_DAX_FMAP) && !offer.offer_dax_fmap)
		return violation("INIT reply.flags2", "bit 11 (FUSE_DAX_FMAP) clear: it was not offered",
				 "set");
	ir.dax_fmap = offer.offer_dax_fmap && (ir.flags & FUSE_DAX_FMAP);
	init_ = ir;
	devices_.clear();
	return ir;
}

Result<Entry> FusePeer::lookup(uint64_t parent, std::string_view name)
{
	Bytes args = name_arg({}, name);
	auto ok = call(FUSE_LOOKUP, parent, args, sizeof(fuse_entry_out),
			       sizeof(fuse_entry_out));
	if (!ok)
		return ok.error();
	Entry e{from_bytes<fuse_entry_out>(*ok)};
	// A zero nodeid is a negative entry: the kernel's ENOENT.
	if (e.out.nodeid == 0)
		return Error{.errnum = ENOENT, .field = "LOOKUP", .expected = "an entry",
			     .found = "a negative entry for \"" + std::string(name) + "\""};
	if (auto c = check_entry("LOOKUP reply", e.out); !c)
		return c.error();
	return e;
}

Result<fuse_attr_out> FusePeer::getattr(uint64_t nodeid, std::optional<uint64_t> fh)
{
	fuse_getattr_in in{};
	if (fh) {
		in.getattr_flags = FUSE_GETATTR_FH;
		in.fh = *fh;
	}
	auto ok = call(FUSE_GETATTR, nodeid, as_bytes(in), sizeof(fuse_attr_out),
			       sizeof(fuse_attr_out));
	if (!ok)
		return ok.error();
	auto out = from_bytes<fuse_attr_out>(*ok);
	if (auto c = check_attr("GETATTR reply", out.attr); !c)
		return c.error();
	return out;
}

Result<fuse_open_out> FusePeer::open(uint64_t nodeid, uint32_t flags)
{
	fuse_open_in in{};
	in.flags = flags;
	auto ok = call(FUSE_OPEN, nodeid, as_bytes(in), sizeof(fuse_open_out),
			       sizeof(fuse_open_out));
	if (!ok)
		return ok.error();
	return from_bytes<fuse_open_out>(*ok);
}

Result<void> FusePeer::release(uint64_t nodeid, uint64_t fh, uint32_t flags)
{
	fuse_release_in in{};
	in.fh = fh;
	in.flags = flags;
	if (auto ok = call(FUSE_RELEASE, nodeid, as_bytes(in), 0, 0); !ok)
		return ok.error();
	return {};
}

Result<Bytes> FusePeer::read(uint64_t nodeid, uint64_t fh, uint64_t offset, uint32_t size)
{
	fuse_read_in in{};
	in.fh = fh;
	in.offset = offset;
	in.size = size;
	return call(FUSE_READ, nodeid, as_bytes(in), 0, size);
}

Result<uint32_t> FusePeer::write(uint64_t nodeid, uint64_t fh, uint64_t offset,
				 std::span<const uint8_t> data)
{
	fuse_write_in in{};
	in.fh = fh;
	in.offset = offset;
	in.size = uint32_t(data.size());
	Bytes args(as_bytes(in).begin(), as_bytes(in).end());
	args.insert(args.end(), data.begin(), data.end());
	auto ok = call(FUSE_WRITE, nodeid, args, sizeof(fuse_write_out),
			       sizeof(fuse_write_out));
	if (!ok)
		return ok.error();
	auto out = from_bytes<fuse_write_out>(*ok);
	if (out.size > data.size())
		return violation("WRITE reply.size", "at most " + size_str(data.size()),
				 size_str(out.size));
	return out.size;
}

Result<std::pair<Entry, fuse_open_out>> FusePeer::create(uint64_t parent, std::string_view name,
							 uint32_t mode, uint32_t flags)
{
	fuse_create_in in{};
	in.flags = flags;
	in.mode = mode;
	Bytes args = name_arg(as_bytes(in), name);
	constexpr size_t n = sizeof(fuse_entry_out) + sizeof(fuse_open_out);
	auto ok = call(FUSE_CREATE, parent, args, n, n);
	if (!ok)
		return ok.error();
	Entry e{from_bytes<fuse_entry_out>(*ok)};
	if (auto c = check_entry("CREATE reply", e.out); !c)
		return c.error();
	auto o = from_bytes<fuse_open_out>(std::span(*ok).subspan(sizeof(fuse_entry_out)));
	return std::pair<Entry, fuse_open_out>(e, o);
}

Result<Entry> FusePeer::mkdir(uint64_t parent, std::string_view name, uint32_t mode)
{
	fuse_mkdir_in in{};
	in.mode = mode;
	Bytes args = name_arg(as_bytes(in), name);
	auto ok = call(FUSE_MKDIR, parent, args, sizeof(fuse_entry_out),
			       sizeof(fuse_entry_out));
	if (!ok)
		return ok.error();
	Entry e{from_bytes<fuse_entry_out>(*ok)};
	if (auto c = check_entry("MKDIR reply", e.out); !c)
		return c.error();
	return e;
}

Result<fuse_attr_out> FusePeer::set_size(uint64_t nodeid, uint64_t size)
{
	fuse_setattr_in in{};
	in.valid = FATTR_SIZE;
	in.size = size;
	auto ok = call(FUSE_SETATTR, nodeid, as_bytes(in), sizeof(fuse_attr_out),
			       sizeof(fuse_attr_out));
	if (!ok)
		return ok.error();
	auto out = from_bytes<fuse_attr_out>(*ok);
	if (auto c = check_attr("SETATTR reply", out.attr); !c)
		return c.error();
	return out;
}

Result<void> FusePeer::setxattr(uint64_t nodeid, std::string_view name,
				 std::span<const uint8_t> value, uint32_t flags)
{
	// Without FUSE_SETXATTR_EXT only {size, flags} precede the name.
	fuse_setxattr_in in{};
	in.size = uint32_t(value.size());
	in.flags = flags;
	Bytes args = name_arg(as_bytes(in).first(FUSE_COMPAT_SETXATTR_IN_SIZE), name);
	args.insert(args.end(), value.begin(), value.end());
	if (auto ok = call(FUSE_SETXATTR, nodeid, args, 0, 0); !ok)
		return ok.error();
	return {};
}

Result<Bytes> FusePeer::getxattr(uint64_t nodeid, std::string_view name, uint32_t size)
{
	fuse_getxattr_in in{};
	in.size = size;
	Bytes args = name_arg(as_bytes(in), name);
	return call(FUSE_GETXATTR, nodeid, args, 0, size);
}

Result<Reply> FusePeer::get_fmap(uint64_t nodeid)
{
	return request(FUSE_GET_FMAP, nodeid, {});
}

Result<Reply> FusePeer::get_daxdev(uint32_t index)
{
	return request(FUSE_GET_DAXDEV, index, {});
}

Result<void> FusePeer::forget(uint64_t nodeid, uint64_t nlookup)
{
	fuse_forget_in in{};
	in.nlookup = nlookup;
	auto u = send(FUSE_FORGET, nodeid, as_bytes(in));
	if (!u)
		return u.error();
	return {};
}

Result<void> FusePeer::destroy()
{
	if (auto ok = call(FUSE_DESTROY, 0, {}, 0, 0); !ok)
		return ok.error();
	return {};
}

Result<DaxdevReply> FusePeer::daxdev(uint32_t index)
{
	if (auto it = devices_.find(index); it != devices_.end())
		return it->second;
	auto r = get_daxdev(index);
	if (!r)
		return r.error();
	auto ok = expect_ok(FUSE_GET_DAXDEV, *r);
	if (!ok)
		return ok.error();
	auto d = decode_daxdev(*ok);
	if (!d) {
		Error e = d.error();
		e.field = "GET_DAXDEV " + std::to_string(index) + " reply: " + e.field;
		return e;
	}
	if (d->index != index)
		return Error{.errnum = EINVAL,
			     .field = "GET_DAXDEV " + std::to_string(index) + " reply: index",
			     .expected = std::to_string(index), .found = std::to_string(d->index)};
	devices_[index] = *d;
	return *d;
}

Result<OpenedFile> FusePeer::open_with_fmap(uint64_t parent, std::string_view name,
					    uint32_t flags)
{
	if (!init_ || !init_->dax_fmap)
		return Error{.errnum = ENOTSUP, .field = "open_with_fmap",
			     .expected = "FUSE_DAX_FMAP in force (init(true) accepted)",
			     .found = init_ ? "not negotiated" : "no INIT yet"};
	OpenedFile f;
	auto e = lookup(parent, name);
	if (!e)
		return e.error();
	f.entry = *e;
	auto o = open(e->nodeid(), flags);
	if (!o)
		return o.error();
	f.fh = o->fh;
	f.open_flags = o->open_flags;
	// V10 fails the open when GET_FMAP fails; the file is released.
	auto fail = [&](Error err) -> Result<OpenedFile> {
		(void)release(f.entry.nodeid(), f.fh, flags);
		return err;
	};
	auto r = get_fmap(e->nodeid());
	if (!r)
		return fail(r.error());
	auto ok = expect_ok(FUSE_GET_FMAP, *r);
	if (!ok)
		return fail(ok.error());
	f.fmap_bytes = std::move(*ok);
	const Limits &v10 = limits_for(Profile::V10);
	auto d = decode_and_validate(f.fmap_bytes, v10);
	if (!d) {
		Error err = d.error();
		err.field = "GET_FMAP reply for \"" + std::string(name) + "\": " + err.field;
		return fail(err);
	}
	f.fmap = std::move(d->fmap);
	f.warnings = validate(f.fmap, v10).warnings;
	std::set<uint32_t> indices;
	if (f.fmap.is_simple()) {
		for (const auto &x : f.fmap.simple())
			indices.insert(x.device);
	} else {
		for (const auto &ie : f.fmap.interleaved())
			for (const auto &s : ie.strips)
				indices.insert(s.device);
	}
	for (uint32_t i : indices) {
		auto dev = daxdev(i);
		if (!dev)
			return fail(dev.error());
		f.devices.push_back(DaxDevice{i, *dev});
	}
	return f;
}

} // namespace daxfmap::peer

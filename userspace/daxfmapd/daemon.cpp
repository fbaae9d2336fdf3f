// SPDX-License-Identifier: GPL-2.0-only
#include "daxfmapd/daemon.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fuse3/fuse_lowlevel.h>

#include "daxfmapd/bpf_sync.hpp"
#include "daxfmapd/client.hpp"
#include "daxfmapd/hook_bind.hpp"
#include "daxfmapd/message_path.hpp"
#include "daxfmapd/path_probe.hpp"
#include "libdaxfmap/size_parse.hpp"
#include "libdaxfmap/wire_codec.hpp"
#include "libdaxfmap_bpf/pin_owner.hpp"
#include "libdaxfmap_fs/filesystem.hpp"

namespace daxfmap::daemon {

namespace {

constexpr size_t kMaxIo = size_t{1} << 20; // max_read / max_write
// Only this daemon changes the namespace, and the kernel sees every change
// it asks for, so names can be cached; attributes are not, because a file's
// size changes when setxattr allocates its space or a write grows it.
constexpr double kEntryTimeout = 1.0;
constexpr double kAttrTimeout = 0.0;

struct Dir {
	std::vector<fs::DirEntry> entries;
};

// Everything one mount needs; the session's operations reach it through
// SessionData::fs.
class Server {
public:
	Server(const DaemonOptions &opts, std::ostream &log, fs::FileSystem &fs)
		: opts_(opts), log_(log), fs_(fs),
		  declined_(opts.message_path && !opts.message_path_any_device
				    ? message_path_unfit(fs::kind_name(fs.device().kind()))
					      : std::string()),
		  path_(opts.message_path && declined_.empty(),
			{.fmap = [this](uint64_t ino) { return fs_.fmap(ino); },
			 .daxdev = [this](uint64_t index) { return daxdev(index); }})
	{
	}

	const DaemonOptions &opts_;
	std::ostream &log_;
	std::mutex log_mu_;
	fs::FileSystem &fs_;
	// Why the message path is declined although asked for (empty: it is not)
	std::string declined_;
	MessagePath path_;
	std::unique_ptr<BpfSync> bpf_;
	std::string bpf_note_; // why there is no BPF instance
	std::optional<std::string> hook_;
	std::string hook_why_; // why no resolver is attached, or which one is
	std::string hook_ops_; // the ops registered for this mount, not bound yet or bound
	// hook_ops_ is bound to this mount's connection.
	bool hook_attached_ = false;
	PathInForce in_force_{"plain", "INIT not seen yet"};
	fuse_session *se_ = nullptr;
	// READ and WRITE requests served: on the message path the kernel sends
	// none for files opened with an fmap.
	std::atomic<uint64_t> reads_{0}, writes_{0};

	// Whether the kernel maps file data itself (FUSE_DAX_FMAP in force): it
	// then holds each file's fmap until the inode goes, unless it also
	// took FUSE_DAX_FMAP_INVAL.
	bool kernel_maps_data() const { return in_force_.name != "plain"; }
	// The kernel drops a file's fmap (and unmaps its pages) before it sends
	// SETATTR with a size, FALLOCATE or OPEN with O_TRUNC, and on
	// FUSE_NOTIFY_INVAL_INODE; it fetches the new one at the next access.
	bool kernel_drops_fmaps() const { return kernel_maps_data() && path_.maps_droppable(); }
	// A size change the kernel would not see: its fmap would go stale.
	// Emptying a file is one too: an fmap of no extents is refused by the
	// kernel's check (ERANGE, as V10), so the file could not be opened.
	bool fmap_change_unseen(uint64_t new_size) const
	{
		return kernel_maps_data() && (!kernel_drops_fmaps() || new_size == 0);
	}

	// EOPNOTSUPP, said once in the log, for a size change the kernel would
	// not see.
	int refuse_fmap_change(fuse_ino_t ino, const char *what)
	{
		if (!fmap_change_said_.exchange(true))
			say(std::string(what) + " of inode " + std::to_string(ino) +
			    " refused (EOPNOTSUPP), and every later size change: the kernel maps files "
			    "through the fmap it fetched at open (path in force: " + in_force_.name +
			    (kernel_drops_fmaps()
				     ? "), which refuses the fmap of an empty file (no extents: ERANGE)"
				     : ") and did not offer FUSE_DAX_FMAP_INVAL, so it cannot be told that one "
				       "changed; files keep the size they were given (daxfmap creat, "
				       "user.daxfmap.allocate)"));
		return EOPNOTSUPP;
	}
	std::atomic<bool> fmap_change_said_{false};

	void say(const std::string &line)
	{
		std::lock_guard lock(log_mu_);
		log_ << "daxfmapd: " << line << std::endl;
	}

	Result<DaxdevReply> daxdev(uint64_t index)
	{
		// One device per file system: index 0.  Anything else is a device
		// this server never named, so ENODEV ("no such device") rather than
		// EINVAL (the request itself is well formed).
		if (index != 0)
			return Error{.errnum = ENODEV, .field = "GET_DAXDEV nodeid", .expected = "device index 0",
				     .found = std::to_string(index)};
		return DaxdevReply{.index = 0, .name = fs_.device().path()};
	}

	// After the INIT reply: the path in force, the report to whoever
	// started us (the ready pipe, else the log), and detaching.  An INIT
	// that failed gets no report, so that the starter sees the daemon exit.
	void init_replied(bool ok)
	{
		if (!ok) {
			say("the INIT reply failed: no mount");
			if (opts_.ready_fd >= 0)
				::close(opts_.ready_fd);
			return;
		}
		bind_hook_ops();
		in_force_ = decide_path(hook_, hook_attached_, hook_why_, path_.kernel_offered(),
					opts_.message_path && declined_.empty(), path_.negotiated(),
					declined_);
		const std::string r = report();
		if (opts_.ready_fd < 0) {
			std::lock_guard lock(log_mu_);
			log_ << r << std::flush;
		} else {
			// Whoever started us waits for this, then for EOF.
			for (size_t off = 0; off < r.size();) {
				ssize_t n = ::write(opts_.ready_fd, r.data() + off, r.size() - off);
				if (n <= 0 && errno != EINTR)
					break;
				off += n > 0 ? static_cast<size_t>(n) : 0;
			}
			::close(opts_.ready_fd);
		}
		if (opts_.background) {
			// Detached from the terminal of whoever mounted: log to the file
			// asked for, else nowhere.
			int fd = opts_.log_path.empty()
				? ::open("/dev/null", O_RDWR | O_CLOEXEC)
				: ::open(opts_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (fd >= 0) {
				::dup2(fd, STDOUT_FILENO);
				::dup2(fd, STDERR_FILENO);
				::close(fd);
			}
			// Keep no directory of whoever started us busy.
			if (::chdir("/") != 0)
				say(std::string("chdir /: ") + std::strerror(errno));
		}
	}

	// Registers the strategy with the kernel's hook before the mount, so
	// that binding after INIT is one ioctl; a failure leaves the message
	// path, with the reason.
	void register_hook_ops()
	{
		if (!hook_ || *hook_ != "fuse_dax_fmap_ops")
			return; // no hook, or one daxfmap has no resolver form for
		if (!bpf_) {
			hook_why_ = "no BPF instance to resolve from: " + bpf_note_;
			return;
		}
		if (!opts_.message_path || !declined_.empty()) {
			hook_why_ = "the hook needs FUSE_DAX_FMAP, which this mount declines";
			return;
		}
		auto name = bpf_->register_hook(hook_strategy());
		if (!name) {
			hook_why_ = "registering strategy " + opts_.strategy + " failed: " + name.error().message();
			return;
		}
		hook_ops_ = *name;
	}

	// After INIT: the device, then the bind, on this mount's connection.
	void bind_hook_ops()
	{
		if (hook_ops_.empty())
			return;
		Result<void> b = path_.negotiated()
			? bind_hook(fuse_session_fd(se_), fs_.device().path(), hook_ops_)
			: Result<void>(Error{.errnum = EOPNOTSUPP, .field = "INIT",
					     .expected = "FUSE_DAX_FMAP in force, to bind the connection",
					     .found = "not negotiated"});
		if (!b) {
			hook_why_ = "binding ops " + hook_ops_ + " (strategy " + opts_.strategy +
				    ") failed: " + b.error().message();
			bpf_->unregister_hook();
			hook_ops_.clear();
			return;
		}
		hook_attached_ = true;
		hook_why_ = "strategy " + opts_.strategy + ", ops " + hook_ops_;
	}

	bpf::Strategy hook_strategy() const
	{
		return bpf::parse_strategy(opts_.strategy).value_or(bpf::Strategy::Digest);
	}

	// "strategy=S ops=NAME not_held=N", on the bpf-hook path.
	std::string hook_state() const
	{
		return "strategy=" + opts_.strategy + " ops=" + hook_ops_ +
		       " not_held=" + std::to_string(bpf_->not_held(hook_strategy()));
	}

	// The mount report: what the mount line and the ready pipe say.
	std::string report() const
	{
		std::ostringstream s;
		const fs::StatFs st = fs_.statfs();
		s << "daxfmapd: mounted " << fs_.device().path() << " ("
		  << fs::kind_name(fs_.device().kind()) << ", " << format_size(fs_.device().size()) << ")"
		  << (opts_.mountpoint.empty() ? std::string(" on FUSE fd ") + std::to_string(opts_.fuse_fd)
					       : " on " + opts_.mountpoint)
		  << ": " << st.inodes << " inodes, " << st.free_units << " of " << st.total_units
		  << " 2 MiB units free" << (fs_.read_only() ? ", READ-ONLY" : "") << "\n";
		for (const std::string &n : fs_.replay_report().notes)
			s << "daxfmapd: replay: " << n << "\n";
		s << "daxfmapd: path in force: " << in_force_.name << " (" << in_force_.reason << ")\n";
		if (kernel_maps_data())
			s << "daxfmapd: size changes: "
			  << (kernel_drops_fmaps()
				      ? "served; the kernel drops a file's fmap around them and on "
					"FUSE_NOTIFY_INVAL_INODE (FUSE_DAX_FMAP_INVAL)"
				      : "refused (EOPNOTSUPP); the kernel did not offer FUSE_DAX_FMAP_INVAL")
			  << "\n";
		if (bpf_)
			s << "daxfmapd: bpf: instance " << bpf_->instance() << " pinned under " << opts_.bpf_root
			  << ", file id = inode number\n";
		else
			s << "daxfmapd: bpf: not in use (" << bpf_note_ << ")\n";
		if (hook_attached_) {
			const size_t n = bpf_->not_held(hook_strategy());
			s << "daxfmapd: bpf-hook: strategy " << opts_.strategy << " bound as ops " << hook_ops_
			  << "; " << n << (n == 1 ? " file" : " files") << " it does not hold "
			  << (n == 1 ? "takes" : "take") << " the message path (GET_FMAP at open)\n";
		}
		return s.str();
	}
};

Server &srv(fuse_req_t req)
{
	return *static_cast<Server *>(static_cast<SessionData *>(fuse_req_userdata(req))->fs);
}

struct stat to_stat(const fs::Attr &a)
{
	struct stat st{};
	st.st_ino = a.ino;
	st.st_mode = a.mode;
	st.st_nlink = a.nlink;
	st.st_uid = a.uid;
	st.st_gid = a.gid;
	st.st_size = static_cast<off_t>(a.size);
	st.st_blksize = static_cast<blksize_t>(fs::kUnit);
	st.st_blocks = static_cast<blkcnt_t>(a.allocated / 512);
	st.st_mtim.tv_sec = static_cast<time_t>(a.time_ns / 1000000000);
	st.st_mtim.tv_nsec = static_cast<long>(a.time_ns % 1000000000);
	st.st_atim = st.st_mtim;
	st.st_ctim = st.st_mtim;
	return st;
}

fuse_entry_param to_entry(const fs::Attr &a)
{
	fuse_entry_param e{};
	e.ino = a.ino; // nodeid = inode number = BPF file id
	e.generation = a.generation;
	e.attr = to_stat(a);
	e.attr_timeout = kAttrTimeout;
	e.entry_timeout = kEntryTimeout;
	return e;
}

int err_of(const Error &e)
{
	return e.errnum > 0 ? e.errnum : EIO;
}

void op_init(void *, fuse_conn_info *conn)
{
	conn->max_write = kMaxIo;
	conn->max_read = kMaxIo;
	conn->max_readahead = std::min<unsigned>(conn->max_readahead, kMaxIo);
	// Page-cache I/O (mmap must work); write-through, so that a write that
	// returned is on the device even if the daemon dies next.
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	// The path in force is reported once the INIT reply is out
	// (Server::init_replied), when it is known.
}

// The kernel forgot an inode: an unlinked file's space and number go once
// it holds no reference (open files and mappings keep one).
void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	srv(req).fs_.forget(ino, nlookup);
	fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		srv(req).fs_.forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	auto a = srv(req).fs_.lookup(parent, name);
	if (!a) {
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	const fuse_entry_param e = to_entry(*a);
	fuse_reply_entry(req, &e);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info *)
{
	auto a = srv(req).fs_.getattr(ino);
	if (!a) {
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	const struct stat st = to_stat(*a);
	fuse_reply_attr(req, &st, kAttrTimeout);
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, fuse_file_info *)
{
	Server &sv = srv(req);
	auto a = sv.fs_.getattr(ino);
	if (!a) {
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	// The kernel (default_permissions) has checked who may change what:
	// chmod by the owner or root, chown by root, chgrp by the owner to one
	// of their groups.  Each change is one log entry.  Access times are not
	// kept (atime reads as mtime): setting only atime is refused, never
	// silently ignored.
	const int mtime = FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW;
	const int atime = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW;
	if ((to_set & atime) && !(to_set & mtime)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) && static_cast<uint64_t>(attr->st_size) != a->size) {
		if (sv.fmap_change_unseen(static_cast<uint64_t>(attr->st_size))) {
			fuse_reply_err(req, sv.refuse_fmap_change(ino, "truncate"));
			return;
		}
		a = sv.fs_.resize(ino, static_cast<uint64_t>(attr->st_size));
		if (!a) {
			fuse_reply_err(req, err_of(a.error()));
			return;
		}
	}
	std::optional<uint32_t> mode, uid, gid;
	if (to_set & FUSE_SET_ATTR_MODE)
		mode = attr->st_mode & 07777;
	if (to_set & FUSE_SET_ATTR_UID)
		uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		gid = attr->st_gid;
	if ((mode && *mode != (a->mode & 07777)) || (uid && *uid != a->uid) || (gid && *gid != a->gid)) {
		a = sv.fs_.set_attr(ino, mode, uid, gid);
		if (!a) {
			fuse_reply_err(req, err_of(a.error()));
			return;
		}
	}
	if (to_set & mtime) {
		timespec now{};
		clock_gettime(CLOCK_REALTIME, &now);
		const timespec t = (to_set & FUSE_SET_ATTR_MTIME_NOW) ? now : attr->st_mtim;
		if (t.tv_sec < 0) {
			fuse_reply_err(req, EINVAL); // before 1970: the log holds unsigned ns
			return;
		}
		a = sv.fs_.set_mtime(ino, static_cast<uint64_t>(t.tv_sec) * 1000000000ull +
						  static_cast<uint64_t>(t.tv_nsec));
		if (!a) {
			fuse_reply_err(req, err_of(a.error()));
			return;
		}
	}
	const struct stat st = to_stat(*a);
	fuse_reply_attr(req, &st, kAttrTimeout);
}

void op_symlink(fuse_req_t req, const char *target, fuse_ino_t parent, const char *name)
{
	const fuse_ctx *c = fuse_req_ctx(req);
	auto a = srv(req).fs_.symlink(parent, name, target, c->uid, c->gid);
	if (!a) {
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	const fuse_entry_param e = to_entry(*a);
	fuse_reply_entry(req, &e);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	auto t = srv(req).fs_.readlink(ino);
	if (!t) {
		fuse_reply_err(req, err_of(t.error()));
		return;
	}
	fuse_reply_readlink(req, t->c_str());
}

// Hard links: the log names entries by path, one path per inode (an unlink
// frees the inode), so a second name has nowhere to live.
void op_link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char *)
{
	fuse_reply_err(req, EPERM);
}

void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, fuse_file_info *)
{
	Server &sv = srv(req);
	if ((mode & ~FALLOC_FL_KEEP_SIZE) != 0) {
		fuse_reply_err(req, EOPNOTSUPP); // punching holes, zeroing ranges: files have no holes
		return;
	}
	if (off < 0 || len <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (sv.fmap_change_unseen(UINT64_MAX)) {
		fuse_reply_err(req, sv.refuse_fmap_change(ino, "fallocate"));
		return;
	}
	auto a = sv.fs_.fallocate(ino, static_cast<uint64_t>(off), static_cast<uint64_t>(len),
				  (mode & FALLOC_FL_KEEP_SIZE) != 0);
	fuse_reply_err(req, a ? 0 : err_of(a.error()));
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	const fuse_ctx *c = fuse_req_ctx(req);
	auto a = srv(req).fs_.mkdir(parent, name, mode & 07777 & ~c->umask, c->uid, c->gid);
	if (!a) {
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	const fuse_entry_param e = to_entry(*a);
	fuse_reply_entry(req, &e);
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	auto r = srv(req).fs_.unlink(parent, name);
	fuse_reply_err(req, r ? 0 : err_of(r.error()));
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	auto r = srv(req).fs_.rmdir(parent, name);
	fuse_reply_err(req, r ? 0 : err_of(r.error()));
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	       const char *newname, unsigned int flags)
{
	// RENAME_NOREPLACE and RENAME_EXCHANGE; RENAME_WHITEOUT (overlayfs) is
	// EINVAL, as on file systems without whiteouts.
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	auto r = srv(req).fs_.rename(parent, name, newparent, newname, flags);
	fuse_reply_err(req, r ? 0 : err_of(r.error()));
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info *fi)
{
	auto a = srv(req).fs_.getattr(ino);
	if (!a) {
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	if (a->is_dir()) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_TRUNC) && a->size != 0) {
		Server &sv = srv(req);
		if (sv.fmap_change_unseen(0)) {
			fuse_reply_err(req, sv.refuse_fmap_change(ino, "open(O_TRUNC)"));
			return;
		}
		if (auto t = sv.fs_.resize(ino, 0); !t) {
			fuse_reply_err(req, err_of(t.error()));
			return;
		}
	}
	fi->keep_cache = 0;
	fi->direct_io = 0; // the page cache, so that mmap works
	fuse_reply_open(req, fi);
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, fuse_file_info *fi)
{
	const fuse_ctx *c = fuse_req_ctx(req);
	if (!S_ISREG(mode) && (mode & S_IFMT) != 0) {
		fuse_reply_err(req, EPERM);
		return;
	}
	// Empty: its space comes with setxattr user.daxfmap.allocate, or with
	// the writes that fill it (plain path).
	auto a = srv(req).fs_.create_file(parent, name, mode & 07777 & ~c->umask, c->uid, c->gid, 0);
	if (!a) {
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	fi->keep_cache = 0;
	fi->direct_io = 0;
	const fuse_entry_param e = to_entry(*a);
	fuse_reply_create(req, &e, fi);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info *)
{
	srv(req).reads_++;
	std::unique_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[std::max<size_t>(size, 1)]);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	auto n = srv(req).fs_.read(ino, static_cast<uint64_t>(off), {buf.get(), size});
	if (!n) {
		fuse_reply_err(req, err_of(n.error()));
		return;
	}
	fuse_reply_buf(req, reinterpret_cast<const char *>(buf.get()), *n);
}

void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, fuse_file_info *)
{
	srv(req).writes_++;
	auto n = srv(req).fs_.write(ino, static_cast<uint64_t>(off),
				    {reinterpret_cast<const uint8_t *>(buf), size});
	if (!n) {
		fuse_reply_err(req, err_of(n.error()));
		return;
	}
	fuse_reply_write(req, *n);
}

void op_fsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info *)
{
	if (auto ok = srv(req).fs_.sync_written(ino); !ok) {
		fuse_reply_err(req, err_of(ok.error()));
		return;
	}
	auto r = srv(req).fs_.fsync(ino);
	fuse_reply_err(req, r ? 0 : err_of(r.error()));
}

void op_release(fuse_req_t req, fuse_ino_t ino, fuse_file_info *fi)
{
	// Writes moved mtime (and size, inside the file's space) in memory;
	// log them once per open, not per write.
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		if (auto ok = srv(req).fs_.sync_written(ino); !ok)
			srv(req).say("inode " + std::to_string(ino) + ": size and mtime not logged: " +
				     ok.error().message());
	fuse_reply_err(req, 0);
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info *fi)
{
	auto entries = srv(req).fs_.readdir(ino);
	if (!entries) {
		fuse_reply_err(req, err_of(entries.error()));
		return;
	}
	// A snapshot at opendir, so that offsets stay stable while it is read.
	auto *d = new (std::nothrow) Dir{std::move(*entries)};
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fi->fh = reinterpret_cast<uint64_t>(d);
	fuse_reply_open(req, fi);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info *fi)
{
	const Dir &d = *reinterpret_cast<Dir *>(fi->fh);
	std::vector<char> buf(size);
	size_t used = 0;
	// Offsets: 0 ".", 1 "..", 2 + i the i-th entry; each entry's offset
	// is the next one's.
	const size_t total = d.entries.size() + 2;
	for (size_t i = static_cast<size_t>(off); i < total; i++) {
		struct stat st{};
		const char *name;
		if (i == 0) {
			name = ".";
			st.st_ino = ino;
			st.st_mode = S_IFDIR;
		} else if (i == 1) {
			name = "..";
			st.st_ino = fs::kRootIno; // the kernel fills the real one in
			st.st_mode = S_IFDIR;
		} else {
			const fs::DirEntry &e = d.entries[i - 2];
			name = e.name.c_str();
			st.st_ino = e.ino;
			st.st_mode = e.is_dir ? S_IFDIR : e.is_link ? S_IFLNK : S_IFREG;
		}
		const size_t need = fuse_add_direntry(req, nullptr, 0, name, nullptr, 0);
		if (used + need > size)
			break;
		fuse_add_direntry(req, buf.data() + used, size - used, name, &st, static_cast<off_t>(i + 1));
		used += need;
	}
	fuse_reply_buf(req, buf.data(), used);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info *fi)
{
	delete reinterpret_cast<Dir *>(fi->fh);
	fuse_reply_err(req, 0);
}

void op_statfs(fuse_req_t req, fuse_ino_t)
{
	const fs::StatFs st = srv(req).fs_.statfs();
	struct statvfs v{};
	v.f_bsize = st.unit;
	v.f_frsize = st.unit;
	v.f_blocks = st.total_units;
	v.f_bfree = st.free_units;
	v.f_bavail = st.free_units - st.reserved_units; // what files of other users can take
	v.f_files = st.inodes + 1000000;
	v.f_ffree = 1000000;
	v.f_favail = 1000000;
	v.f_namemax = fs::kMaxNameBytes;
	fuse_reply_statfs(req, &v);
}

void reply_value(fuse_req_t req, size_t size, const std::string &value)
{
	if (size == 0)
		fuse_reply_xattr(req, value.size());
	else if (size < value.size())
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, value.data(), value.size());
}

std::vector<std::string> xattr_names(Server &s, fuse_ino_t ino, bool is_dir)
{
	if (ino == fs::kRootIno) {
		std::vector<std::string> n{kXattrPath, kXattrPathReason, kXattrPid, kXattrDevice, kXattrDeviceSize,
					   kXattrMedia};
		if (s.bpf_)
			n.push_back(kXattrBpfInstance);
		if (s.hook_attached_)
			n.push_back(kXattrHook);
		return n;
	}
	if (is_dir)
		return {};
	return {kXattrFmap, kXattrInode, kXattrGeneration, kXattrFlags};
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	Server &s = srv(req);
	const std::string n = name;
	auto a = s.fs_.getattr(ino);
	if (!a) {
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	if (ino == fs::kRootIno) {
		if (n == kXattrPath)
			return reply_value(req, size, s.in_force_.name);
		if (n == kXattrPathReason)
			return reply_value(req, size, s.in_force_.reason);
		if (n == kXattrPid)
			return reply_value(req, size, std::to_string(::getpid()));
		if (n == kXattrDevice)
			return reply_value(req, size, s.fs_.device().path());
		if (n == kXattrDeviceSize)
			return reply_value(req, size, std::to_string(s.fs_.device().size()));
		if (n == kXattrMedia)
			return reply_value(req, size, std::string(fs::media_name(s.fs_.media())));
		if (n == kXattrBpfInstance && s.bpf_)
			return reply_value(req, size, s.bpf_->instance());
		if (n == kXattrHook && s.hook_attached_)
			return reply_value(req, size, s.hook_state());
		if (n == kXattrCounters)
			return reply_value(req, size,
					   "get_fmap=" + std::to_string(s.path_.fmaps_served()) +
						   " get_daxdev=" + std::to_string(s.path_.daxdevs_served()));
	}
	if (a->is_dir() && n == kXattrSpace) {
		const fs::StatFs st = s.fs_.statfs();
		return reply_value(req, size,
				   "data_free=" + std::to_string(st.free_units * st.unit) +
					   " data_reserved=" + std::to_string(st.reserved_units * st.unit) +
					   " data_total=" + std::to_string(st.total_units * st.unit) +
					   " log_used=" + std::to_string(st.log_used) +
					   " log_half=" + std::to_string(st.log_size));
	}
	if (!a->is_dir()) {
		if (n == kXattrInode)
			return reply_value(req, size, std::to_string(ino));
		if (n == kXattrGeneration)
			return reply_value(req, size, std::to_string(a->generation));
		if (n == kXattrFlags)
			return reply_value(req, size, std::to_string(a->flags));
		if (n == kXattrFmap) {
			auto f = s.fs_.fmap(ino);
			if (!f) {
				fuse_reply_err(req, err_of(f.error()));
				return;
			}
			const Bytes b = encode_fmap(*f);
			return reply_value(req, size, std::string(b.begin(), b.end()));
		}
	}
	fuse_reply_err(req, ENODATA);
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	Server &s = srv(req);
	auto a = s.fs_.getattr(ino);
	if (!a) {
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	std::string list;
	for (const std::string &n : xattr_names(s, ino, a->is_dir()))
		list += n + '\0';
	reply_value(req, size, list);
}

// "size=S[,strips=N,chunk=C]"
Result<std::pair<uint64_t, fs::Layout>> parse_allocate(std::string_view v)
{
	std::optional<uint64_t> size;
	fs::Layout layout;
	while (!v.empty()) {
		const size_t comma = v.find(',');
		const std::string_view item = v.substr(0, comma);
		v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
		const size_t eq = item.find('=');
		const std::string_view key = item.substr(0, eq);
		if (eq == std::string_view::npos)
			return Error{.errnum = EINVAL, .field = kXattrAllocate, .expected = "key=value",
				     .found = "'" + std::string(item) + "'"};
		auto val = parse_size(item.substr(eq + 1), key);
		if (!val)
			return val.error();
		if (key == "size")
			size = *val;
		else if (key == "strips" && *val <= UINT32_MAX)
			layout.nstrips = static_cast<uint32_t>(*val);
		else if (key == "chunk")
			layout.chunk = *val;
		else
			return Error{.errnum = EINVAL, .field = kXattrAllocate, .expected = "size, strips or chunk",
				     .found = "'" + std::string(key) + "'"};
	}
	if (!size)
		return Error{.errnum = EINVAL, .field = kXattrAllocate, .expected = "size=S"};
	if (layout.nstrips && !layout.chunk)
		layout.chunk = fs::kUnit;
	return std::pair{*size, layout};
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int)
{
	Server &s = srv(req);
	if (std::string_view(name) != kXattrAllocate) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	auto spec = parse_allocate({value, size});
	if (!spec) {
		s.say("setxattr allocate on inode " + std::to_string(ino) + ": " + spec.error().message());
		fuse_reply_err(req, err_of(spec.error()));
		return;
	}
	auto a = s.fs_.allocate(ino, spec->first, spec->second);
	if (!a) {
		s.say("allocate inode " + std::to_string(ino) + ": " + a.error().message());
		fuse_reply_err(req, err_of(a.error()));
		return;
	}
	fuse_reply_err(req, 0);
	// The kernel may hold the file's old (empty) fmap from an earlier
	// open: have it dropped.  After the reply, since the notification
	// waits for the inode lock that the setxattr caller holds until then.
	if (s.kernel_drops_fmaps()) {
		const int e = fuse_lowlevel_notify_inval_inode(s.se_, ino, 0, 0);
		if (e && e != -ENOENT)
			s.say("allocate inode " + std::to_string(ino) +
			      ": FUSE_NOTIFY_INVAL_INODE failed: " + std::strerror(-e));
	}
}

void op_removexattr(fuse_req_t req, fuse_ino_t, const char *)
{
	fuse_reply_err(req, ENOTSUP);
}

fuse_lowlevel_ops make_ops()
{
	fuse_lowlevel_ops ops{};
	ops.init = op_init;
	ops.lookup = op_lookup;
	ops.forget = op_forget;
	ops.forget_multi = op_forget_multi;
	ops.getattr = op_getattr;
	ops.setattr = op_setattr;
	ops.mkdir = op_mkdir;
	ops.unlink = op_unlink;
	ops.rmdir = op_rmdir;
	ops.rename = op_rename;
	ops.symlink = op_symlink;
	ops.readlink = op_readlink;
	ops.link = op_link;
	ops.fallocate = op_fallocate;
	ops.open = op_open;
	ops.create = op_create;
	ops.read = op_read;
	ops.write = op_write;
	// No flush: data goes straight to the device, so there is nothing to do
	// at close; libfuse's ENOSYS tells the kernel to stop sending FLUSH,
	// which takes a synchronous round trip off every close().
	ops.release = op_release;
	ops.fsync = op_fsync;
	ops.opendir = op_opendir;
	ops.readdir = op_readdir;
	ops.releasedir = op_releasedir;
	ops.statfs = op_statfs;
	ops.getxattr = op_getxattr;
	ops.listxattr = op_listxattr;
	ops.setxattr = op_setxattr;
	ops.removexattr = op_removexattr;
	return ops;
}

// Whether /proc/self/mountinfo still lists our mount at `mnt` (read from
// the kernel's table: a stat of a mount nobody serves would hang).
bool still_mounted(const std::string &mnt)
{
	std::ifstream in("/proc/self/mountinfo");
	for (std::string line; std::getline(in, line);) {
		std::istringstream f(line);
		std::string id, parent, devno, root, point;
		f >> id >> parent >> devno >> root >> point;
		if (point == mnt && line.find(" - fuse.daxfmap ") != std::string::npos)
			return true;
	}
	return false;
}

Result<int> mount_fuse(const DaemonOptions &o, const std::string &source, bool read_only)
{
	struct stat st;
	if (::stat(o.mountpoint.c_str(), &st) != 0)
		return sys_error(errno, o.mountpoint, "mountpoint");
	if (!S_ISDIR(st.st_mode))
		return sys_error(ENOTDIR, o.mountpoint, "mountpoint");
	int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return sys_error(errno, "/dev/fuse", "cannot open");
	const std::string data = "fd=" + std::to_string(fd) + ",rootmode=40000,user_id=" +
				 std::to_string(::geteuid()) + ",group_id=" + std::to_string(::getegid()) +
				 ",allow_other,default_permissions,max_read=" + std::to_string(kMaxIo);
	// Read-only in /proc/mounts too, so that tools see it before they try.
	const unsigned long flags = MS_NOSUID | MS_NODEV | (read_only ? MS_RDONLY : 0);
	if (::mount(source.c_str(), o.mountpoint.c_str(), "fuse.daxfmap", flags, data.c_str()) != 0) {
		const int err = errno;
		::close(fd);
		return sys_error(err, o.mountpoint, "mount(2) of fuse.daxfmap");
	}
	return fd;
}

} // namespace

int run_daemon(const DaemonOptions &o, std::ostream &err)
{
	if (o.fuse_fd < 0 && o.mountpoint.empty()) {
		err << "daxfmapd: a MOUNTPOINT or --fuse-fd is required\n";
		return 2;
	}
	std::string mnt = o.mountpoint;
	if (!mnt.empty()) {
		char real[PATH_MAX];
		if (::realpath(mnt.c_str(), real) == nullptr) {
			err << "daxfmapd: " << sys_error(errno, mnt, "mountpoint").message() << "\n";
			return 1;
		}
		mnt = real;
	}
	DaemonOptions opts = o;
	opts.mountpoint = o.fuse_fd >= 0 ? "" : mnt;

	if (!opts.mountpoint.empty() && still_mounted(opts.mountpoint)) {
		err << "daxfmapd: " << opts.mountpoint
		    << ": a daxfmap file system is already mounted there (EBUSY; a dead one: daxfmap umount --lazy)\n";
		return 1;
	}
	// An absolute device path: it is what GET_DAXDEV names and the log
	// shows, and the background daemon leaves its working directory.
	char real_dev[PATH_MAX];
	if (::realpath(o.device.c_str(), real_dev) != nullptr)
		opts.device = real_dev;
	auto dev = fs::Device::open(opts.device, {.read_only = o.read_only});
	if (!dev) {
		err << "daxfmapd: " << dev.error().message() << "\n";
		return 1;
	}
	auto mounted = fs::FileSystem::mount(std::move(*dev), {.read_only = o.read_only, .count_lookups = true});
	if (!mounted) {
		err << "daxfmapd: " << o.device << ": " << mounted.error().message() << "\n";
		return 1;
	}
	fs::FileSystem &fsys = **mounted;
	if (const auto &dmg = fsys.replay_report().damage)
		err << "daxfmapd: " << o.device << ": log damage: " << dmg->reason
		    << (dmg->corrupt ? " (mounted read-only; run daxfmap fsck)"
				     : " (an interrupted update, not applied)")
		    << "\n";
	for (const auto &w : fsys.replay_report().warnings)
		err << "daxfmapd: " << o.device << ": warning: " << w << "\n";

	Server s(opts, err, fsys);
	s.hook_ = find_bpf_hook(o.btf_path, s.hook_why_);

	if (!o.bpf) {
		s.bpf_note_ = "--no-bpf";
	} else {
		const std::string inst = !o.bpf_instance.empty() ? o.bpf_instance
					 : !opts.mountpoint.empty() ? instance_for(opts.mountpoint)
								    : "fd-" + std::to_string(::getpid());
		// Orphans of earlier daemons of this mountpoint go first (BpfSync).
		auto b = BpfSync::load(o.bpf_root, inst, opts.mountpoint, fsys.device().size(), o.bpf_max_files);
		if (b)
			for (const bpf::Orphan &orphan : (*b)->orphans_removed())
				s.say("removed the orphaned BPF instance " + orphan.instance + " of daxfmapd pid " +
				      std::to_string(orphan.owner.pid) + ", which is gone");
		if (!b) {
			if (b.error().errnum == EEXIST) {
				// Someone else's instance: never unpin it, and refuse
				// rather than serve maps we cannot keep in sync.
				err << "daxfmapd: " << b.error().message() << "\n";
				return 1;
			}
			s.bpf_note_ = "no BPF instance, carrying on without it: " + b.error().message();
		} else {
			s.bpf_ = std::move(*b);
			const size_t refused = s.bpf_->upsert_all(fsys.files());
			if (refused)
				s.say(std::to_string(refused) + " fmaps refused by a BPF strategy (over its limits)");
			BpfSync *sync = s.bpf_.get();
			fsys.set_listener([sync, &s](const fs::ChangeEvent &ev) {
				if (ev.is_dir)
					return;
				const bool empty = ev.fmap.empty();
				if (ev.kind == fs::ChangeKind::Deleted ||
				    (ev.kind == fs::ChangeKind::Resized && empty)) {
					sync->remove(ev.ino);
					return;
				}
				if (empty)
					return; // an empty file: nothing to resolve yet
				if (std::string why = sync->upsert(ev.ino, ev.fmap); !why.empty())
					s.say("inode " + std::to_string(ev.ino) + ": " + why);
			});
		}
	}

	s.register_hook_ops();

	SessionData sd{&s.path_, &s};
	s.path_.on_init_reply([&s](bool ok) { s.init_replied(ok); });
	const fuse_lowlevel_ops ops = make_ops();
	// libfuse insists that init() and the session agree on max_read.
	const std::string max_read = "max_read=" + std::to_string(kMaxIo);
	const char *argv[] = {"daxfmapd", "-o", max_read.c_str(), nullptr};
	fuse_args args = FUSE_ARGS_INIT(3, const_cast<char **>(argv));
	fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), &sd);
	fuse_opt_free_args(&args); // the session keeps copies of what it needs
	if (!se) {
		err << "daxfmapd: cannot create the FUSE session\n";
		return 1;
	}
	s.se_ = se;
	int fd = o.fuse_fd;
	if (fd < 0) {
		auto m = mount_fuse(opts, fsys.device().path(), fsys.read_only());
		if (!m) {
			err << "daxfmapd: " << m.error().message() << "\n";
			fuse_session_destroy(se);
			return 1;
		}
		fd = *m;
	}
	if (int r = fuse_session_custom_io(se, &MessagePath::io(), fd); r != 0) {
		err << "daxfmapd: fuse_session_custom_io: " << std::strerror(-r) << "\n";
		if (!opts.mountpoint.empty())
			::umount2(opts.mountpoint.c_str(), MNT_DETACH);
		fuse_session_destroy(se);
		return 1;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		err << "daxfmapd: cannot install signal handlers\n";
		if (!opts.mountpoint.empty())
			::umount2(opts.mountpoint.c_str(), MNT_DETACH);
		fuse_session_destroy(se);
		return 1;
	}

	fuse_loop_config *cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(cfg, std::max<uint32_t>(o.threads, 1));
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	const int loop = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);

	// Stopped by a signal with the mount still there: take it away, lazily
	// (an open file must not keep a mount nobody serves).
	if (!opts.mountpoint.empty() && still_mounted(opts.mountpoint))
		::umount2(opts.mountpoint.c_str(), MNT_DETACH);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	fsys.set_listener({});
	s.bpf_.reset(); // unpins the instance
	s.say("unmounted after serving " + std::to_string(s.path_.fmaps_served()) + " GET_FMAP and " +
	      std::to_string(s.path_.daxdevs_served()) + " GET_DAXDEV (" +
	      std::to_string(s.path_.fmap_errors()) + " and " + std::to_string(s.path_.daxdev_errors()) +
	      " answered with an error; " + std::to_string(s.path_.large_fmaps()) + " large-map GET_FMAP, " +
	      std::to_string(s.path_.fmap_retries()) + " answered with the header alone), " +
	      std::to_string(s.reads_.load()) + " READ and " + std::to_string(s.writes_.load()) + " WRITE");
	return loop == 0 ? 0 : 1;
}

} // namespace daxfmap::daemon

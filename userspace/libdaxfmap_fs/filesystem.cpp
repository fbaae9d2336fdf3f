// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_fs/filesystem.hpp"

#include <algorithm>
#include <atomic>
#include <utility>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/validate.hpp"

namespace daxfmap::fs {

struct FileSystem::Node {
	Ino parent = 0;
	std::string name;
	bool dir = false;
	bool link = false;  // a symbolic link to `target`
	std::string target;
	uint32_t mode = 0; // permission bits
	uint32_t flags = 0; // the FILE entry's flags word
	uint32_t uid = 0;
	uint32_t gid = 0;
	uint64_t size = 0;
	// What the log says the size is: a write that grows the file inside its
	// space moves `size` only, and sync_written() logs it.
	uint64_t logged_size = 0;
	uint64_t time_ns = 0;
	// The last write(), which runs under the shared lock; logged by
	// sync_written() when newer than time_ns.
	mutable std::atomic<uint64_t> written_ns{0};
	// References the kernel holds (MountOptions::count_lookups); taken under
	// the shared lock, dropped under the exclusive one.
	mutable std::atomic<uint64_t> nlookup{0};
	bool orphan = false; // removed from its directory, still referenced
	Fmap fmap;                                    // files
	uint64_t allocated = 0;                       // bytes fmap names, kept with it
	std::map<std::string, Ino, std::less<>> kids; // directories
	uint32_t subdirs = 0;                         // for nlink, without a walk
};

namespace {

uint64_t now_ns()
{
	timespec ts{};
	clock_gettime(CLOCK_REALTIME, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t allocated_bytes(const Fmap &f)
{
	uint64_t n = 0;
	for (const auto &r : fmap_ranges(f))
		n += r.length;
	return n;
}

// Zeroes file bytes [from, to) of `fmap` on the device and makes that
// durable: space a file gains held another file's bytes (or a shrunk tail of
// its own), and POSIX says a file that grows reads zeros there.
Result<void> zero_file_range(const Device &dev, const Fmap &fmap, uint64_t from, uint64_t to,
			     uint64_t device_size)
{
	const uint64_t sizes[1] = {device_size};
	for (uint64_t off = from; off < to;) {
		Resolution r = resolve_native(fmap, off, to - off, sizes);
		if (!r.ok())
			return Error{.errnum = EIO, .field = "zeroing at file offset " + hex(off),
				     .expected = "an offset the fmap resolves",
				     .found = std::string(status_name(r.status))};
		std::memset(dev.base() + r.device_offset, 0, r.length);
		if (auto ok = dev.flush(r.device_offset, r.length); !ok)
			return ok.error();
		off += r.length;
	}
	return {};
}

bool is_descendant(const std::vector<Ino> &chain, Ino ino)
{
	return std::find(chain.begin(), chain.end(), ino) != chain.end();
}

Error err(int errnum, std::string field, std::string expected, std::string found = {})
{
	return Error{.errnum = errnum, .field = std::move(field), .expected = std::move(expected),
		     .found = std::move(found)};
}

Result<void> check_name(std::string_view name)
{
	if (name.empty() || name == "." || name == ".." || name.find('/') != name.npos ||
	    name.find('\0') != name.npos)
		return err(EINVAL, "name", "a file name without '/' (not \".\" or \"..\")",
			   "\"" + std::string(name.substr(0, 200)) + "\"");
	if (name.size() > kMaxNameBytes)
		return err(ENAMETOOLONG, "name", "at most " + std::to_string(kMaxNameBytes) + " bytes",
			   std::to_string(name.size()) + " bytes");
	return {};
}

// "a/b/c" -> ("a/b", "c"); "c" -> ("", "c").
std::pair<std::string_view, std::string_view> split_parent(std::string_view path)
{
	size_t slash = path.rfind('/');
	if (slash == path.npos)
		return {"", path};
	return {path.substr(0, slash), path.substr(slash + 1)};
}

// One writer per device: a second mount or an mkfs under a mounted file
// system would interleave log appends.  The lock goes with the process, so a
// daemon killed with SIGKILL does not keep the device locked.
Result<void> lock_device(const Device &dev)
{
	if (dev.kind() == DeviceKind::Memfd)
		return {};
	if (flock(dev.fd(), LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return err(EBUSY, "device " + dev.path(), "not in use",
				   "mounted (or being formatted) by another process");
		return err(errno, "device " + dev.path(), "lockable", std::strerror(errno));
	}
	return {};
}

} // namespace

bool Attr::is_dir() const { return S_ISDIR(mode); }

std::string_view media_name(Media m)
{
	return m == Media::Famfs ? "famfs" : "daxfmap";
}

FileSystem::FileSystem(std::unique_ptr<Device> owned, const Device &dev, const Superblock &sb,
		       const MountOptions &opts)
	: owned_(std::move(owned)), dev_(&dev), sb_(sb), opts_(opts),
	  log_(dev, kCommitOffset, sb.log_offset, sb.log_size, opts.crash_point),
	  alloc_(sb.data_offset, sb.device_size)
{
	nodes_.resize(2);
	generations_.resize(2, 0);
	auto root = std::make_unique<Node>();
	root->parent = kRootIno;
	root->dir = true;
	root->mode = 0755;
	root->time_ns = sb.mkfs_time_ns;
	nodes_[kRootIno] = std::move(root);
	generations_[kRootIno] = 1;
	inodes_ = 1;
}

FileSystem::~FileSystem()
{
	// A clean unmount: read-only mounts elsewhere may come up again.
	if (writer_id_)
		(void)log_.set_writer(0);
}

Result<void> FileSystem::mkfs(Device &dev, const MkfsOptions &opts)
{
	if (dev.read_only())
		return err(EROFS, "device " + dev.path(), "writable", "opened read-only");
	if (opts.log_size % kUnit || opts.log_size < kMinLogSize || opts.log_size > kMaxLogSize)
		return err(EINVAL, "log size",
			   "a multiple of 2 MiB from " + format_size(kMinLogSize) + " to " +
				   format_size(kMaxLogSize),
			   format_size(opts.log_size));
	const uint64_t data = kLogOffset + opts.log_size;
	if (dev.size() < data + kUnit)
		return err(ENOSPC, "device " + dev.path(),
			   "at least " + format_size(data + kUnit) +
				   " (superblock 2 MiB, log " + format_size(opts.log_size) +
				   ", one 2 MiB data unit)",
			   format_size(dev.size()) + " (too small for the metadata)");
	if (auto ok = lock_device(dev); !ok)
		return ok.error();
	// Held only while formatting, so that the caller can mount next.
	struct Unlock {
		int fd;
		~Unlock() { flock(fd, LOCK_UN); }
	} unlock{dev.fd()};
	if (!opts.force) {
		if (auto old = read_superblock(dev); old)
			return err(EEXIST, "device " + dev.path(), "no daxfmap file system (or force)",
				   "an existing daxfmap file system");
		if (famfs::looks_like_famfs(dev))
			return err(EEXIST, "device " + dev.path(), "no file system (or force)",
				   "a famfs file system (its superblock magic): mkfs would destroy it");
	}
	// Log and commit block first, superblock last: a crash in between
	// leaves no superblock that points at a half-written log.
	std::memset(dev.base(), 0, kLogOffset);
	if (auto ok = dev.flush(0, kLogOffset); !ok)
		return ok.error();
	MetadataLog log(dev, kCommitOffset, kLogOffset, opts.log_size);
	if (auto ok = log.format(); !ok)
		return ok.error();
	Superblock sb{};
	sb.magic = kSuperblockMagic;
	sb.version = kFormatVersion;
	sb.sb_size = sizeof(Superblock);
	if (getrandom(sb.uuid, sizeof(sb.uuid), 0) != static_cast<ssize_t>(sizeof(sb.uuid)))
		return err(errno, "uuid", "16 random bytes", std::strerror(errno));
	sb.uuid[6] = static_cast<uint8_t>((sb.uuid[6] & 0x0f) | 0x40); // RFC 4122 version 4
	sb.uuid[8] = static_cast<uint8_t>((sb.uuid[8] & 0x3f) | 0x80);
	sb.device_size = dev.size();
	sb.log_offset = kLogOffset;
	sb.log_size = opts.log_size;
	sb.data_offset = data;
	sb.alloc_unit = kUnit;
	sb.mkfs_time_ns = now_ns();
	sb.crc32c = superblock_crc(sb);
	std::memcpy(dev.base(), &sb, sizeof(sb));
	return dev.flush(0, sizeof(sb));
}

Result<std::unique_ptr<FileSystem>> FileSystem::mount(std::unique_ptr<Device> dev,
						      const MountOptions &opts)
{
	const bool ro = opts.read_only || dev->read_only();
	if (!ro) {
		if (auto ok = lock_device(*dev); !ok)
			return ok.error();
	} else if (dev->kind() != DeviceKind::Memfd) {
		// Held for the mount's life: a writer on this host would make our
		// replayed namespace stale (followers that track the log come later).
		if (flock(dev->fd(), LOCK_SH | LOCK_NB) != 0)
			return err(EBUSY, "device " + dev->path(),
				   "no read-write mount beside a read-only one",
				   errno == EWOULDBLOCK
					   ? "mounted read-write by another process on this host: a "
					     "read-only mount would not see its changes and could serve "
					     "another file's bytes from reused space"
					   : std::string(std::strerror(errno)));
	}
	if (famfs::looks_like_famfs(*dev))
		return mount_famfs(std::move(dev), opts);
	auto sb = read_superblock(*dev);
	if (!sb)
		return sb.error();
	const Device &devref = *dev;
	std::unique_ptr<FileSystem> fs(new FileSystem(std::move(dev), devref, *sb, opts));
	ReplayResult r = fs->log_.replay();
	if (ro && r.writer_live && !r.corrupt())
		return err(EBUSY, "device " + devref.path(), "no live read-write mount",
			   "the log's commit block names a read-write mount (live on another host, "
			   "or one that did not unmount cleanly): a read-only mount would serve stale "
			   "metadata beside it; unmount the writer (or run daxfmap fsck --repair once "
			   "it is gone for good)");
	ReplayReport &rep = fs->report_;
	for (size_t i = 0; i < r.entries.size(); i++) {
		for (const auto &w : r.entries[i].warnings)
			rep.warnings.push_back("log+" + hex(r.entries[i].offset) + " (entry " +
					       std::to_string(r.entries[i].seq) + "): " + w);
		if (auto ok = fs->apply(r.entries[i]); !ok) {
			// The entry checks but does not fit the namespace: corruption.
			LogDamage d;
			d.offset = r.entries[i].offset;
			d.length = r.entries[i].length;
			d.seq = r.entries[i].seq;
			d.reason = "entry " + std::to_string(d.seq) + " at log+" + hex(d.offset) +
				   " does not apply: " + ok.error().message();
			d.corrupt = true;
			d.entries_after = r.entries.size() - i;
			r.damage = d;
			break;
		}
		rep.entries++;
	}
	rep.log_used = r.used;
	rep.damage = r.damage;
	fs->read_only_ = ro;
	if (r.damage) {
		if (r.damage->corrupt) {
			fs->read_only_ = true;
			rep.notes.push_back("damaged metadata log, mounted read-only: " + r.damage->reason +
					    (r.damage->entries_after
						     ? "; " + std::to_string(r.damage->entries_after) +
							       " committed entries not applied"
						     : std::string()) +
					    " (run daxfmap fsck)");
		} else {
			rep.notes.push_back("an interrupted update at the end of the log, not applied: " +
					    r.damage->reason);
		}
	}
	if (!fs->read_only_) {
		uint64_t id = 0;
		while (id == 0)
			if (getrandom(&id, sizeof(id), 0) != static_cast<ssize_t>(sizeof(id)))
				return err(errno, "writer id", "8 random bytes", std::strerror(errno));
		if (auto ok = fs->log_.set_writer(id); !ok)
			return ok.error();
		fs->writer_id_ = id;
	}
	rep.read_only = fs->read_only_;
	rep.notes.push_back("replayed " + std::to_string(rep.entries) + " log entries, " +
			    std::to_string(fs->inodes_ - 1) + " files and directories; log " +
			    std::to_string(r.used) + " of " + std::to_string(r.half_size) + " bytes used");
	return fs;
}

Result<std::unique_ptr<FileSystem>> FileSystem::mount_famfs(std::unique_ptr<Device> dev,
							     const MountOptions &opts)
{
	// Never written: a shared lock, as for any read-only mount, so that a
	// daxfmap mkfs on this host cannot run under it.
	if (dev->kind() != DeviceKind::Memfd && flock(dev->fd(), LOCK_SH | LOCK_NB) != 0)
		return err(EBUSY, "device " + dev->path(), "not in use",
			   "locked by a process that writes it (mkfs)");
	auto fsb = famfs::read_superblock(*dev);
	if (!fsb)
		return fsb.error();
	auto log = famfs::read_log(*dev, *fsb);
	if (!log)
		return log.error();
	const Superblock sb = famfs::daxfmap_geometry(*fsb);
	const Device &devref = *dev;
	MountOptions ro = opts;
	ro.read_only = true;
	std::unique_ptr<FileSystem> fs(new FileSystem(std::move(dev), devref, sb, ro));
	fs->media_ = Media::Famfs;
	fs->read_only_ = true;
	ReplayReport &rep = fs->report_;
	rep.read_only = true;
	rep.warnings = log->skipped;
	std::vector<Error> bad = fs->apply_famfs(*log, false);
	rep.entries = log->entries_read;
	if (log->stopped || !bad.empty()) {
		const Error &e = log->stopped && bad.empty() ? *log->stopped : bad.front();
		rep.damage = LogDamage{.reason = e.message(), .corrupt = true};
		rep.notes.push_back("damaged famfs log: " + e.message() +
				    "; the entries before it are served (run daxfmap fsck)");
	}
	rep.notes.push_back("famfs media (version " + std::to_string(fsb->version) + ", OMF " +
			    std::to_string(fsb->omf_major) + "." + std::to_string(fsb->omf_minor) +
			    ", file system " + famfs::uuid_text(fsb->uuid) + "), mounted read-only: " +
			    std::to_string(log->entries_read) + " of " +
			    std::to_string(log->header.last_index + 1) + " log entries, " +
			    std::to_string(fs->inodes_ - 1) + " files and directories" +
			    (log->skipped.empty() ? std::string()
						  : ", " + std::to_string(log->skipped.size()) +
							    " entries skipped as famfs skips them"));
	return fs;
}

std::vector<Error> FileSystem::apply_famfs(const famfs::Log &log, bool keep_going)
{
	std::vector<Error> bad;
	for (const famfs::Entry &e : log.entries) {
		LogEntry le;
		le.seq = e.index;
		le.offset = famfs::kLogHeaderBytes + e.index * famfs::kEntryBytes;
		le.length = famfs::kEntryBytes;
		if (e.type == famfs::EntryType::File) {
			le.record = e.file;
		} else if (e.type == famfs::EntryType::Mkdir) {
			le.record = e.dir;
		} else {
			// ADD_DAXDEV: a second device; daxfmap serves device 0 only,
			// so files on it fail below with the device named.
			continue;
		}
		Result<void> ok = [&]() -> Result<void> {
			if (const auto *f = std::get_if<FileRecordEntry>(&le.record)) {
				if (auto v = check(f->fmap, limits_for(Profile::V10)); !v)
					return v.error();
			}
			return apply(le);
		}();
		if (!ok) {
			Error x = ok.error();
			x.field = "famfs log entry " + std::to_string(e.index) + " (\"" + record_path(le.record) +
				  "\"): " + x.field;
			bad.push_back(std::move(x));
			if (!keep_going)
				break;
		}
	}
	return bad;
}

Result<void> FileSystem::apply(const LogEntry &entry)
{
	const std::string *path = &record_path(entry.record);
	auto [dir, name] = split_parent(*path);
	auto parent = lookup_path(dir);
	// lookup_path takes the lock; mount runs before anyone else can see us.
	if (!parent)
		return parent.error();
	if (!parent->is_dir())
		return err(ENOTDIR, "path \"" + *path + "\"", "a directory as parent");
	Node &p = *node(parent->ino);
	auto it = p.kids.find(name);

	if (const auto *f = std::get_if<FileRecordEntry>(&entry.record)) {
		if (it != p.kids.end()) {
			Node &old = *node(it->second);
			if (old.dir || old.link || old.size != 0 || !old.fmap.empty())
				return err(EEXIST, "path \"" + *path + "\"",
					   "a new file or an empty one", "an existing file or directory");
			if (auto ok = alloc_.mark_used(f->fmap); !ok)
				return ok.error();
			old.mode = f->mode;
			old.uid = f->uid;
			old.gid = f->gid;
			old.size = f->size;
			old.logged_size = f->size;
			old.time_ns = f->time_ns;
			old.fmap = f->fmap;
			old.allocated = allocated_bytes(old.fmap);
			return {};
		}
		if (auto ok = alloc_.mark_used(f->fmap); !ok)
			return ok.error();
		auto ino = insert_node(parent->ino, name, {.mode = f->mode, .uid = f->uid, .gid = f->gid,
							   .size = f->size, .time_ns = f->time_ns,
							   .flags = f->flags, .fmap = f->fmap});
		if (!ino)
			return ino.error();
		return {};
	}
	if (const auto *m = std::get_if<MkdirRecordEntry>(&entry.record)) {
		if (it != p.kids.end())
			return err(EEXIST, "path \"" + *path + "\"", "a new directory",
				   "an existing entry");
		auto ino = insert_node(parent->ino, name, {.dir = true, .mode = m->mode, .uid = m->uid,
							   .gid = m->gid, .time_ns = m->time_ns});
		if (!ino)
			return ino.error();
		return {};
	}
	if (const auto *t = std::get_if<TimesRecordEntry>(&entry.record)) {
		if (it == p.kids.end())
			return err(ENOENT, "path \"" + *path + "\"", "an existing file or directory");
		node(it->second)->time_ns = t->mtime_ns;
		return {};
	}
	if (const auto *l = std::get_if<SymlinkRecordEntry>(&entry.record)) {
		if (it != p.kids.end())
			return err(EEXIST, "path \"" + *path + "\"", "a new symbolic link",
				   "an existing entry");
		auto ino = insert_node(parent->ino, name, {.link = true, .target = l->target,
							   .mode = 0777, .uid = l->uid, .gid = l->gid,
							   .time_ns = l->time_ns});
		if (!ino)
			return ino.error();
		return {};
	}
	if (const auto *a = std::get_if<AttrRecordEntry>(&entry.record)) {
		if (it == p.kids.end())
			return err(ENOENT, "path \"" + *path + "\"", "an existing entry");
		Node &n = *node(it->second);
		n.mode = n.link ? 0777 : a->mode;
		n.uid = a->uid;
		n.gid = a->gid;
		return {};
	}
	if (const auto *z = std::get_if<ResizeRecordEntry>(&entry.record)) {
		if (it == p.kids.end())
			return err(ENOENT, "path \"" + *path + "\"", "an existing file to resize");
		Node &n = *node(it->second);
		if (n.dir || n.link)
			return err(EINVAL, "path \"" + *path + "\"", "a regular file to resize",
				   n.dir ? "a directory" : "a symbolic link");
		alloc_.release(n.fmap);
		if (auto ok = alloc_.mark_used(z->fmap); !ok) {
			(void)alloc_.mark_used(n.fmap);
			return ok.error();
		}
		n.size = z->size;
		n.logged_size = z->size;
		n.time_ns = z->time_ns;
		n.fmap = z->fmap;
		n.allocated = allocated_bytes(n.fmap);
		return {};
	}
	if (const auto *r = std::get_if<RenameRecordEntry>(&entry.record)) {
		if (it == p.kids.end())
			return err(ENOENT, "path \"" + *path + "\"", "an existing entry to rename");
		auto [to_dir, to_name] = split_parent(r->to);
		auto to_parent = lookup_path(to_dir);
		if (!to_parent)
			return to_parent.error();
		if (!to_parent->is_dir())
			return err(ENOTDIR, "path \"" + r->to + "\"", "a directory as parent");
		auto plan = plan_rename(parent->ino, name, to_parent->ino, to_name, r->flags);
		if (!plan)
			return plan.error();
		do_rename(*plan);
		return {};
	}
	if (it == p.kids.end())
		return err(ENOENT, "path \"" + *path + "\"", "an existing file or directory to delete");
	Ino victim = it->second;
	Node &v = *node(victim);
	if (!std::holds_alternative<DeleteRecordEntry>(entry.record))
		return err(EINVAL, "log entry", "a known record");
	if (v.dir && !v.kids.empty())
		return err(ENOTEMPTY, "path \"" + *path + "\"", "an empty directory to delete");
	alloc_.release(v.fmap);
	p.subdirs -= v.dir ? 1 : 0;
	p.kids.erase(it);
	free_ino(victim);
	return {};
}

Result<Ino> FileSystem::new_ino()
{
	Ino ino;
	if (!free_inos_.empty()) {
		ino = *free_inos_.begin();
		free_inos_.erase(free_inos_.begin());
	} else {
		ino = nodes_.size();
		nodes_.emplace_back();
		generations_.push_back(0);
	}
	generations_[ino]++;
	inodes_++;
	return ino;
}

void FileSystem::free_ino(Ino ino)
{
	nodes_[ino].reset();
	inodes_--;
	// Trim the table's tail so that max_ino() shrinks back.
	if (ino + 1 == nodes_.size()) {
		while (nodes_.size() > 2 && !nodes_.back()) {
			free_inos_.erase(nodes_.size() - 1);
			nodes_.pop_back();
			// Generations outlive the slot, so a reused number changes generation.
		}
	} else {
		free_inos_.insert(ino);
	}
}

Result<Ino> FileSystem::insert_node(Ino parent, std::string_view name, NewNode nn)
{
	auto ino = new_ino();
	if (!ino)
		return ino.error();
	auto n = std::make_unique<Node>();
	n->parent = parent;
	n->name = std::string(name);
	n->dir = nn.dir;
	n->link = nn.link;
	n->target = std::move(nn.target);
	n->mode = nn.mode;
	n->flags = nn.flags;
	n->uid = nn.uid;
	n->gid = nn.gid;
	n->size = nn.size;
	n->logged_size = nn.size;
	n->time_ns = nn.time_ns;
	n->fmap = std::move(nn.fmap);
	n->allocated = allocated_bytes(n->fmap);
	nodes_[*ino] = std::move(n);
	Node &p = *node(parent);
	p.kids.emplace(std::string(name), *ino);
	if (nn.dir)
		p.subdirs++;
	return *ino;
}

Result<const FileSystem::Node *> FileSystem::file_node(Ino ino) const
{
	const Node *n = node(ino);
	if (!n)
		return err(ENOENT, "inode " + std::to_string(ino), "an existing file");
	if (n->dir)
		return err(EISDIR, "inode " + std::to_string(ino), "a file", "a directory");
	if (n->link)
		return err(EINVAL, "inode " + std::to_string(ino), "a regular file", "a symbolic link");
	return n;
}

Result<FileSystem::Node *> FileSystem::file_node(Ino ino)
{
	auto n = std::as_const(*this).file_node(ino);
	if (!n)
		return n.error();
	return const_cast<Node *>(*n);
}

const FileSystem::Node *FileSystem::node(Ino ino) const
{
	return ino < nodes_.size() ? nodes_[ino].get() : nullptr;
}

FileSystem::Node *FileSystem::node(Ino ino)
{
	return ino < nodes_.size() ? nodes_[ino].get() : nullptr;
}

Attr FileSystem::attr_locked(Ino ino) const
{
	const Node &n = *node(ino);
	Attr a;
	a.ino = ino;
	a.generation = generations_[ino];
	a.mode = (n.dir ? S_IFDIR : n.link ? S_IFLNK : S_IFREG) | (n.mode & 07777);
	a.uid = n.uid;
	a.gid = n.gid;
	a.flags = n.flags;
	a.size = n.dir ? 0 : n.link ? n.target.size() : n.size;
	a.allocated = n.allocated;
	a.time_ns = std::max<uint64_t>(n.time_ns, n.written_ns);
	if (n.dir)
		a.nlink = 2 + n.subdirs;
	if (n.orphan)
		a.nlink = 0;
	return a;
}

std::string FileSystem::path_locked(Ino ino) const
{
	std::string path;
	while (ino != kRootIno) {
		const Node *n = node(ino);
		if (!n || n->orphan) // unlinked: no path, and its old parent may be gone
			return "(unlinked inode " + std::to_string(ino) + ")" + (path.empty() ? "" : "/" + path);
		path = path.empty() ? n->name : n->name + "/" + path;
		ino = n->parent;
	}
	return path;
}

Result<Ino> FileSystem::child(Ino parent, std::string_view name) const
{
	const Node *p = node(parent);
	if (!p)
		return err(ENOENT, "inode " + std::to_string(parent), "an existing directory");
	if (!p->dir)
		return err(ENOTDIR, "inode " + std::to_string(parent), "a directory", "a file");
	if (name.size() > kMaxNameBytes)
		return err(ENAMETOOLONG, "name", "at most " + std::to_string(kMaxNameBytes) + " bytes",
			   std::to_string(name.size()) + " bytes");
	auto it = p->kids.find(name);
	if (it == p->kids.end())
		return err(ENOENT, "\"" + std::string(name.substr(0, 200)) + "\"",
			   "an existing entry of \"" + path_locked(parent) + "/\"");
	return it->second;
}

Result<void> FileSystem::check_writable() const
{
	if (media_ == Media::Famfs)
		return err(EROFS, "file system on " + dev_->path(), "writable",
			   "famfs media: daxfmap serves it read-only and never writes it");
	if (read_only_)
		return err(EROFS, "file system on " + dev_->path(), "writable",
			   report_.damage && report_.damage->corrupt
				   ? "read-only: the metadata log is corrupt (" + report_.damage->reason + ")"
				   : "mounted read-only");
	return {};
}

void FileSystem::notify(ChangeKind kind, Ino ino, bool is_dir, const Fmap &fmap)
{
	if (listener_)
		listener_(ChangeEvent{.kind = kind, .ino = ino, .is_dir = is_dir, .fmap = fmap});
}

Result<Attr> FileSystem::lookup(Ino parent, std::string_view name) const
{
	std::shared_lock lock(mu_);
	auto ino = child(parent, name);
	if (!ino)
		return ino.error();
	if (opts_.count_lookups)
		node(*ino)->nlookup++;
	return attr_locked(*ino);
}

Result<Attr> FileSystem::getattr(Ino ino) const
{
	std::shared_lock lock(mu_);
	if (!node(ino))
		return err(ENOENT, "inode " + std::to_string(ino), "an existing inode");
	return attr_locked(ino);
}

Result<std::vector<DirEntry>> FileSystem::readdir(Ino dir) const
{
	std::shared_lock lock(mu_);
	const Node *d = node(dir);
	if (!d)
		return err(ENOENT, "inode " + std::to_string(dir), "an existing directory");
	if (!d->dir)
		return err(ENOTDIR, "inode " + std::to_string(dir), "a directory", "a file");
	std::vector<DirEntry> out;
	out.reserve(d->kids.size());
	for (const auto &[name, ino] : d->kids)
		out.push_back({.name = name, .ino = ino, .is_dir = node(ino)->dir, .is_link = node(ino)->link});
	return out;
}

Result<Attr> FileSystem::lookup_path(std::string_view path) const
{
	std::shared_lock lock(mu_);
	Ino ino = kRootIno;
	size_t start = 0;
	while (start < path.size()) {
		size_t slash = path.find('/', start);
		if (slash == path.npos)
			slash = path.size();
		std::string_view comp = path.substr(start, slash - start);
		start = slash + 1;
		if (comp.empty() || comp == ".")
			continue;
		auto next = child(ino, comp);
		if (!next)
			return next.error();
		ino = *next;
	}
	return attr_locked(ino);
}

Result<std::string> FileSystem::path_of(Ino ino) const
{
	std::shared_lock lock(mu_);
	if (!node(ino))
		return err(ENOENT, "inode " + std::to_string(ino), "an existing inode");
	return path_locked(ino);
}

Result<std::string> FileSystem::new_entry_path_locked(Ino parent, std::string_view name) const
{
	if (auto ok = check_name(name); !ok)
		return ok.error();
	if (auto ok = check_writable(); !ok)
		return ok.error();
	if (auto c = child(parent, name); c)
		return err(EEXIST, "\"" + std::string(name) + "\"", "a name not in use",
			   "an existing file or directory");
	else if (c.error().errnum != ENOENT || !node(parent))
		return c.error();
	std::string path = path_locked(parent);
	path = path.empty() ? std::string(name) : path + "/" + std::string(name);
	if (auto ok = check_path(path); !ok)
		return ok.error();
	return path;
}

uint64_t FileSystem::reserved_units() const
{
	return std::max<uint64_t>(1, alloc_.total_units() / kReservedDataDivisor);
}

Result<void> FileSystem::check_reserve(uint32_t uid) const
{
	if (uid == 0 || alloc_.free_units() >= reserved_units())
		return {};
	return err(ENOSPC, "device " + dev_->path(),
		   "space outside the " + format_size(reserved_units() * kUnit) +
			   " reserved for files owned by root",
		   format_size(alloc_.free_units() * kUnit) + " would be left free");
}

std::vector<LogRecord> FileSystem::checkpoint_locked() const
{
	std::vector<LogRecord> out;
	out.reserve(inodes_);
	// Depth first from the root, so that a directory precedes what it holds.
	std::vector<Ino> todo{kRootIno};
	while (!todo.empty()) {
		Ino d = todo.back();
		todo.pop_back();
		const Node &dn = *node(d);
		for (auto it = dn.kids.rbegin(); it != dn.kids.rend(); ++it) {
			const Node &n = *node(it->second);
			std::string path = path_locked(it->second);
			if (n.dir) {
				out.push_back(MkdirRecordEntry{.path = std::move(path), .mode = n.mode,
							       .uid = n.uid, .gid = n.gid,
							       .time_ns = n.time_ns});
				todo.push_back(it->second);
			} else if (n.link) {
				out.push_back(SymlinkRecordEntry{.path = std::move(path), .target = n.target,
								 .uid = n.uid, .gid = n.gid,
								 .time_ns = n.time_ns});
			} else {
				out.push_back(FileRecordEntry{.path = std::move(path), .mode = n.mode,
							      .uid = n.uid, .gid = n.gid, .flags = 0,
							      .size = n.size, .time_ns = n.time_ns,
							      .fmap = n.fmap});
			}
		}
	}
	return out;
}

Result<void> FileSystem::compact_locked()
{
	auto live = checkpoint_locked();
	if (auto ok = log_.compact(live); !ok)
		return ok.error();
	compactions_++;
	// The checkpoint logged every file's size as it is now.
	for (auto &n : nodes_)
		if (n)
			n->logged_size = n->size;
	return {};
}

Result<void> FileSystem::compact()
{
	std::unique_lock lock(mu_);
	if (auto ok = check_writable(); !ok)
		return ok.error();
	return compact_locked();
}

Result<LogEntry> FileSystem::log_append(const LogRecord &record, LogUse use)
{
	const uint64_t half = log_.half_size();
	const uint64_t keep_free = use == LogUse::Delete ? 0
				   : use == LogUse::Root ? half / kReservedLogDivisorRoot
							 : half / kReservedLogDivisor;
	const uint64_t since = log_.used() - log_.checkpoint_bytes();
	// Early, so that the log rarely fills up: once it is 3/4 full and has
	// grown by a quarter half since the last compaction.
	if (log_.used() >= half / 4 * kCompactAtQuarters && since >= half / 4)
		(void)compact_locked(); // if it cannot, the append below says why
	auto e = log_.append(record, keep_free);
	if (!e && e.error().errnum == ENOSPC && since > 0) {
		if (auto ok = compact_locked(); !ok)
			return ok.error();
		e = log_.append(record, keep_free);
	}
	return e;
}

Result<FileSystem::Node *> FileSystem::writable_file_locked(Ino ino)
{
	if (auto ok = check_writable(); !ok)
		return ok.error();
	auto found = file_node(ino);
	if (!found)
		return found.error();
	if (auto ok = check_linked(ino); !ok)
		return ok.error();
	return *found;
}

Result<FileSystem::Node *> FileSystem::loggable_node_locked(Ino ino, std::string_view root_why)
{
	if (auto ok = check_writable(); !ok)
		return ok.error();
	Node *n = node(ino);
	if (!n)
		return err(ENOENT, "inode " + std::to_string(ino), "an existing inode");
	if (ino == kRootIno)
		return err(EPERM, "the root directory", "a file or directory with a log entry",
			   std::string(root_why));
	if (auto ok = check_linked(ino); !ok)
		return ok.error();
	return n;
}

Result<Attr> FileSystem::set_mtime(Ino ino, uint64_t mtime_ns)
{
	std::unique_lock lock(mu_);
	auto found = loggable_node_locked(ino, "the root, whose time is the mkfs time");
	if (!found)
		return found.error();
	Node *n = *found;
	if (auto e = log_append(TimesRecordEntry{.path = path_locked(ino), .mtime_ns = mtime_ns},
				use_for(n->uid));
	    !e)
		return e.error();
	n->time_ns = mtime_ns;
	n->written_ns = 0;
	return attr_locked(ino);
}

Result<void> FileSystem::sync_written(Ino ino)
{
	std::unique_lock lock(mu_);
	Node *n = node(ino);
	if (!n || n->orphan || read_only_ || n->dir || n->link)
		return {};
	const uint64_t t = std::max<uint64_t>(n->written_ns, n->time_ns);
	if (n->size != n->logged_size) {
		// One RESIZE entry: the size the writes reached and their mtime.
		ResizeRecordEntry rec{.path = path_locked(ino), .size = n->size, .time_ns = t,
				      .fmap = n->fmap};
		if (auto e = log_append(rec, use_for(n->uid)); !e)
			return e.error();
		n->logged_size = n->size;
		n->time_ns = t;
		notify(ChangeKind::Resized, ino, false, n->fmap);
		return {};
	}
	if (n->written_ns <= n->time_ns)
		return {};
	if (auto e = log_append(TimesRecordEntry{.path = path_locked(ino), .mtime_ns = t},
				use_for(n->uid));
	    !e)
		return e.error();
	n->time_ns = t;
	return {};
}

Result<Attr> FileSystem::create_file(Ino parent, std::string_view name, uint32_t mode,
				     uint32_t uid, uint32_t gid, uint64_t size, const Layout &layout)
{
	std::unique_lock lock(mu_);
	auto new_path = new_entry_path_locked(parent, name);
	if (!new_path)
		return new_path.error();
	const std::string &path = *new_path;
	auto fmap = alloc_.allocate(size, layout, opts_.max_extents);
	if (!fmap)
		return fmap.error();
	if (auto ok = check_reserve(uid); !ok) {
		alloc_.release(*fmap);
		return ok.error();
	}
	// Space that held a deleted file's bytes reads as zeros in the new one.
	if (auto ok = zero_file_range(*dev_, *fmap, 0, size, sb_.device_size); !ok) {
		alloc_.release(*fmap);
		return ok.error();
	}
	FileRecordEntry rec{.path = path, .mode = mode & 07777, .uid = uid, .gid = gid,
			    .flags = 0, .size = size, .time_ns = now_ns(), .fmap = *fmap};
	if (auto e = log_append(rec, use_for(uid)); !e) {
		alloc_.release(*fmap);
		return e.error();
	}
	auto ino = insert_node(parent, name, {.mode = rec.mode, .uid = uid, .gid = gid, .size = size,
					      .time_ns = rec.time_ns, .fmap = std::move(*fmap)});
	if (!ino)
		return ino.error();
	if (opts_.count_lookups)
		node(*ino)->nlookup++;
	notify(ChangeKind::Created, *ino, false, node(*ino)->fmap);
	return attr_locked(*ino);
}

Result<Attr> FileSystem::allocate(Ino ino, uint64_t size, const Layout &layout)
{
	std::unique_lock lock(mu_);
	auto found = writable_file_locked(ino);
	if (!found)
		return found.error();
	Node *n = *found;
	if (n->size != 0 || !n->fmap.empty())
		return err(EINVAL, "\"" + path_locked(ino) + "\"",
			   "an empty file (files get their space once)",
			   "a file of " + format_size(n->size));
	if (size == 0)
		return attr_locked(ino);
	auto fmap = alloc_.allocate(size, layout, opts_.max_extents);
	if (!fmap)
		return fmap.error();
	if (auto ok = check_reserve(n->uid); !ok) {
		alloc_.release(*fmap);
		return ok.error();
	}
	if (auto ok = zero_file_range(*dev_, *fmap, 0, size, sb_.device_size); !ok) {
		alloc_.release(*fmap);
		return ok.error();
	}
	FileRecordEntry rec{.path = path_locked(ino), .mode = n->mode, .uid = n->uid,
			    .gid = n->gid, .flags = 0, .size = size, .time_ns = now_ns(),
			    .fmap = *fmap};
	if (auto e = log_append(rec, use_for(n->uid)); !e) {
		alloc_.release(*fmap);
		return e.error();
	}
	n->size = size;
	n->logged_size = size;
	n->time_ns = rec.time_ns;
	n->fmap = std::move(*fmap);
	n->allocated = allocated_bytes(n->fmap);
	notify(ChangeKind::Allocated, ino, false, n->fmap);
	return attr_locked(ino);
}

Result<Attr> FileSystem::mkdir(Ino parent, std::string_view name, uint32_t mode, uint32_t uid,
			       uint32_t gid)
{
	std::unique_lock lock(mu_);
	auto new_path = new_entry_path_locked(parent, name);
	if (!new_path)
		return new_path.error();
	const std::string &path = *new_path;
	MkdirRecordEntry rec{.path = path, .mode = mode & 07777, .uid = uid, .gid = gid,
			     .time_ns = now_ns()};
	if (auto e = log_append(rec, use_for(uid)); !e)
		return e.error();
	auto ino = insert_node(parent, name, {.dir = true, .mode = rec.mode, .uid = uid, .gid = gid,
					      .time_ns = rec.time_ns});
	if (!ino)
		return ino.error();
	if (opts_.count_lookups)
		node(*ino)->nlookup++;
	notify(ChangeKind::Created, *ino, true, node(*ino)->fmap);
	return attr_locked(*ino);
}

Result<void> FileSystem::remove(Ino parent, std::string_view name, bool dir)
{
	std::unique_lock lock(mu_);
	if (auto ok = check_writable(); !ok)
		return ok.error();
	auto c = child(parent, name);
	if (!c)
		return c.error();
	Node &n = *node(*c);
	std::string path = path_locked(*c);
	if (dir && !n.dir)
		return err(ENOTDIR, "\"" + path + "\"", "a directory", "a file");
	if (!dir && n.dir)
		return err(EISDIR, "\"" + path + "\"", "a file", "a directory");
	if (n.dir && !n.kids.empty())
		return err(ENOTEMPTY, "\"" + path + "\"", "an empty directory",
			   std::to_string(n.kids.size()) + " entries");
	if (auto e = log_append(DeleteRecordEntry{.path = path, .time_ns = now_ns()}, LogUse::Delete); !e)
		return e.error();
	node(parent)->subdirs -= n.dir ? 1 : 0;
	node(parent)->kids.erase(node(parent)->kids.find(name));
	if (n.nlookup > 0) {
		// Open or mapped: the log says it is gone (a crash frees it), but
		// its space and number wait for the kernel's last reference.
		n.orphan = true;
		return {};
	}
	release_node(*c);
	return {};
}

void FileSystem::release_node(Ino ino)
{
	Node &n = *node(ino);
	alloc_.release(n.fmap);
	const bool dir = n.dir;
	Fmap gone = std::move(n.fmap);
	free_ino(ino);
	notify(ChangeKind::Deleted, ino, dir, gone);
}

void FileSystem::forget(Ino ino, uint64_t count)
{
	std::unique_lock lock(mu_);
	Node *n = node(ino);
	if (!n || ino == kRootIno)
		return;
	n->nlookup -= std::min<uint64_t>(count, n->nlookup);
	if (n->orphan && n->nlookup == 0)
		release_node(ino);
}

Result<void> FileSystem::check_linked(Ino ino) const
{
	if (node(ino)->orphan)
		return err(ENOENT, "inode " + std::to_string(ino), "a file with a name",
			   "an unlinked file (still open)");
	return {};
}

Result<void> FileSystem::unlink(Ino parent, std::string_view name)
{
	return remove(parent, name, false);
}

Result<void> FileSystem::rmdir(Ino parent, std::string_view name)
{
	return remove(parent, name, true);
}

Result<FileSystem::RenamePlan> FileSystem::plan_rename(Ino parent, std::string_view name,
							 Ino new_parent, std::string_view new_name,
							 uint32_t flags) const
{
	if (auto ok = check_name(new_name); !ok)
		return ok.error();
	auto src = child(parent, name);
	if (!src)
		return src.error();
	const Node *np = node(new_parent);
	if (!np)
		return err(ENOENT, "inode " + std::to_string(new_parent), "an existing directory");
	if (!np->dir)
		return err(ENOTDIR, "\"" + path_locked(new_parent) + "\"", "a directory to move into",
			   "a file");
	if (np->orphan)
		return err(ENOENT, "inode " + std::to_string(new_parent), "a directory with a name",
			   "a removed directory");
	RenamePlan plan{.src = *src, .new_parent = new_parent, .new_name = std::string(new_name),
			.exchange = (flags & kRenameExchange) != 0};
	const Node &sn = *node(*src);
	// A directory cannot move under itself: walk up from the new parent.
	std::vector<Ino> chain;
	for (Ino i = new_parent; ; i = node(i)->parent) {
		chain.push_back(i);
		if (i == kRootIno)
			break;
	}
	const std::string from = path_locked(*src);
	if (sn.dir && is_descendant(chain, *src))
		return err(EINVAL, "rename of \"" + from + "\"", "a new place outside itself",
			   "\"" + path_locked(new_parent) + "\", inside it");
	auto it = np->kids.find(new_name);
	if (it != np->kids.end()) {
		plan.victim = it->second;
		if (plan.victim == *src)
			return plan; // the same entry: nothing to do
		if (flags & kRenameNoReplace)
			return err(EEXIST, "\"" + path_locked(plan.victim) + "\"",
				   "a name not in use (RENAME_NOREPLACE)", "an existing entry");
		const Node &vn = *node(plan.victim);
		if (plan.exchange) {
			if (vn.dir && is_descendant(chain, plan.victim))
				return err(EINVAL, "rename of \"" + from + "\"", "no directory under the other");
			std::vector<Ino> up;
			for (Ino i = parent; ; i = node(i)->parent) {
				up.push_back(i);
				if (i == kRootIno)
					break;
			}
			if (vn.dir && is_descendant(up, plan.victim))
				return err(EINVAL, "rename of \"" + from + "\"", "no directory under the other");
			return plan;
		}
		const std::string to = path_locked(plan.victim);
		if (sn.dir && !vn.dir)
			return err(ENOTDIR, "rename of \"" + from + "\" over \"" + to + "\"",
				   "a directory as target", "a file");
		if (!sn.dir && vn.dir)
			return err(EISDIR, "rename of \"" + from + "\" over \"" + to + "\"",
				   "a file as target", "a directory");
		if (vn.dir && !vn.kids.empty())
			return err(ENOTEMPTY, "rename over \"" + to + "\"", "an empty directory",
				   std::to_string(vn.kids.size()) + " entries");
	} else if (plan.exchange) {
		return err(ENOENT, "rename exchange with \"" + std::string(new_name) + "\"",
			   "an existing entry to exchange with");
	}
	return plan;
}

void FileSystem::do_rename(const RenamePlan &plan)
{
	if (plan.victim == plan.src)
		return;
	Node &sn = *node(plan.src);
	Node &old_parent = *node(sn.parent);
	Node &np = *node(plan.new_parent);
	const std::string old_name = sn.name;
	if (plan.exchange) {
		Node &vn = *node(plan.victim);
		const Ino vparent = vn.parent;
		const std::string vname = vn.name;
		old_parent.kids[old_name] = plan.victim;
		np.kids[vname] = plan.src;
		if (sn.dir != vn.dir) {
			old_parent.subdirs += vn.dir ? 1 : -1;
			np.subdirs += sn.dir ? 1 : -1;
		}
		vn.parent = sn.parent;
		vn.name = old_name;
		sn.parent = vparent;
		sn.name = vname;
		return;
	}
	old_parent.kids.erase(old_parent.kids.find(old_name));
	old_parent.subdirs -= sn.dir ? 1 : 0;
	if (plan.victim) {
		Node &vn = *node(plan.victim);
		np.kids.erase(np.kids.find(plan.new_name));
		np.subdirs -= vn.dir ? 1 : 0;
		if (vn.nlookup > 0)
			vn.orphan = true; // open or mapped: freed at the last forget()
		else
			release_node(plan.victim);
	}
	np.kids.emplace(plan.new_name, plan.src);
	np.subdirs += sn.dir ? 1 : 0;
	sn.parent = plan.new_parent;
	sn.name = plan.new_name;
}

Result<void> FileSystem::rename(Ino parent, std::string_view name, Ino new_parent,
				std::string_view new_name, uint32_t flags)
{
	std::unique_lock lock(mu_);
	if (auto ok = check_writable(); !ok)
		return ok.error();
	if (flags & ~(kRenameNoReplace | kRenameExchange) ||
	    (flags & kRenameNoReplace && flags & kRenameExchange))
		return err(EINVAL, "rename flags", "none, RENAME_NOREPLACE or RENAME_EXCHANGE",
			   std::to_string(flags));
	auto plan = plan_rename(parent, name, new_parent, new_name, flags);
	if (!plan)
		return plan.error();
	if (plan->victim == plan->src)
		return {};
	const std::string from = path_locked(plan->src);
	std::string to = path_locked(new_parent);
	to = to.empty() ? std::string(new_name) : to + "/" + std::string(new_name);
	if (auto ok = check_path(to); !ok)
		return ok.error();
	// Every path under a moved directory must still fit the log's limit.
	if (node(plan->src)->dir && !plan->exchange) {
		size_t deepest = 0;
		std::vector<std::pair<Ino, size_t>> todo{{plan->src, 0}};
		while (!todo.empty()) {
			auto [d, depth] = todo.back();
			todo.pop_back();
			deepest = std::max(deepest, depth);
			for (const auto &[kname, kid] : node(d)->kids)
				todo.push_back({kid, depth + 1 + kname.size()});
		}
		if (to.size() + deepest > kMaxPathBytes)
			return err(ENAMETOOLONG, "rename of \"" + from + "\" to \"" + to + "\"",
				   "paths of at most " + std::to_string(kMaxPathBytes) + " bytes under it",
				   std::to_string(to.size() + deepest) + " bytes");
	}
	RenameRecordEntry rec{.path = from, .to = to, .flags = flags & kRenameExchange,
			      .time_ns = now_ns()};
	if (auto e = log_append(rec, plan->victim ? LogUse::Delete : use_for(node(plan->src)->uid)); !e)
		return e.error();
	do_rename(*plan);
	return {};
}

Result<Attr> FileSystem::set_attr(Ino ino, std::optional<uint32_t> mode, std::optional<uint32_t> uid,
				  std::optional<uint32_t> gid)
{
	std::unique_lock lock(mu_);
	auto found = loggable_node_locked(ino, "the root, whose mode and owner mkfs fixed");
	if (!found)
		return found.error();
	Node *n = *found;
	if (mode && *mode & ~uint32_t{07777})
		return err(EINVAL, "mode", "permission bits (07777 at most)", std::to_string(*mode));
	AttrRecordEntry rec{.path = path_locked(ino), .mode = n->link ? 0777 : mode.value_or(n->mode),
			    .uid = uid.value_or(n->uid), .gid = gid.value_or(n->gid)};
	if (rec.mode == n->mode && rec.uid == n->uid && rec.gid == n->gid)
		return attr_locked(ino);
	if (auto e = log_append(rec, use_for(n->uid)); !e)
		return e.error();
	n->mode = rec.mode;
	n->uid = rec.uid;
	n->gid = rec.gid;
	return attr_locked(ino);
}

Result<Attr> FileSystem::symlink(Ino parent, std::string_view name, std::string_view target,
				 uint32_t uid, uint32_t gid)
{
	std::unique_lock lock(mu_);
	auto new_path = new_entry_path_locked(parent, name);
	if (!new_path)
		return new_path.error();
	SymlinkRecordEntry rec{.path = *new_path, .target = std::string(target), .uid = uid,
			       .gid = gid, .time_ns = now_ns()};
	if (auto e = log_append(rec, use_for(uid)); !e)
		return e.error();
	auto ino = insert_node(parent, name, {.link = true, .target = rec.target, .mode = 0777,
					      .uid = uid, .gid = gid, .time_ns = rec.time_ns});
	if (!ino)
		return ino.error();
	if (opts_.count_lookups)
		node(*ino)->nlookup++;
	return attr_locked(*ino);
}

Result<std::string> FileSystem::readlink(Ino ino) const
{
	std::shared_lock lock(mu_);
	const Node *n = node(ino);
	if (!n)
		return err(ENOENT, "inode " + std::to_string(ino), "an existing inode");
	if (!n->link)
		return err(EINVAL, "\"" + path_locked(ino) + "\"", "a symbolic link",
			   n->dir ? "a directory" : "a regular file");
	return n->target;
}

Result<Attr> FileSystem::resize_locked(Ino ino, uint64_t size, uint64_t keep)
{
	auto found = writable_file_locked(ino);
	if (!found)
		return found.error();
	Node *n = *found;
	const std::string path = path_locked(ino);
	if (!n->fmap.is_simple()) {
		if (size == n->size && keep <= n->allocated)
			return attr_locked(ino);
		return err(EINVAL, "\"" + path + "\"", "a file with simple extents",
			   "a striped file (it keeps the size and space it was created with)");
	}
	keep = std::max(keep, size);
	Fmap next;
	SimpleExtents freed;
	const uint64_t have_units = n->allocated / kUnit;
	const uint64_t want_units = (keep + kUnit - 1) / kUnit;
	if (want_units > have_units) {
		if (n->uid != 0 && alloc_.free_units() < want_units - have_units + reserved_units())
			return err(ENOSPC, "device " + dev_->path(),
				   "space outside the " + format_size(reserved_units() * kUnit) +
					   " reserved for files owned by root",
				   format_size(alloc_.free_units() * kUnit) + " free, " +
					   format_size((want_units - have_units) * kUnit) + " needed");
		auto grown = alloc_.grow(n->fmap, keep, opts_.max_extents);
		if (!grown) {
			Error e = grown.error();
			e.field = "growing \"" + path + "\" to " + format_size(keep) + ": " + e.field;
			return e;
		}
		next = std::move(*grown);
	} else if (want_units < have_units) {
		next = alloc_.shrink(n->fmap, keep, size, &freed);
	} else {
		next = n->fmap;
	}
	next.file_size = size;
	if (next.empty())
		next.file_size = 0;
	ResizeRecordEntry rec{.path = path, .size = size, .time_ns = now_ns(), .fmap = next};
	// An empty file with no space is logged as such.
	if (next.empty() && size != 0)
		return err(EINVAL, "\"" + path + "\"", "space for a non-empty file");
	// What the file gains reads as zeros, before the log says it is there.
	if (size > n->size) {
		if (auto ok = zero_file_range(*dev_, next, n->size, size, sb_.device_size); !ok) {
			if (want_units > have_units) {
				alloc_.release(next);
				(void)alloc_.mark_used(n->fmap);
			}
			return ok.error();
		}
	}
	if (auto e = log_append(rec, want_units > have_units ? use_for(n->uid) : LogUse::Delete); !e) {
		// Undo the allocator's side: what was added goes, what was freed comes back.
		if (want_units > have_units) {
			alloc_.release(next);
			(void)alloc_.mark_used(n->fmap);
		} else if (!freed.empty()) {
			Fmap back;
			back.extents = freed;
			(void)alloc_.mark_used(back);
		}
		return e.error();
	}
	n->size = size;
	n->logged_size = size;
	n->time_ns = rec.time_ns;
	n->written_ns = 0;
	n->fmap = std::move(next);
	n->allocated = allocated_bytes(n->fmap);
	notify(ChangeKind::Resized, ino, false, n->fmap);
	return attr_locked(ino);
}

Result<Attr> FileSystem::resize(Ino ino, uint64_t size)
{
	std::unique_lock lock(mu_);
	return resize_locked(ino, size, size);
}

Result<Attr> FileSystem::fallocate(Ino ino, uint64_t off, uint64_t len, bool keep_size)
{
	std::unique_lock lock(mu_);
	if (len == 0 || off > UINT64_MAX - len)
		return err(EINVAL, "fallocate range", "a non-empty range", hex(off) + "+" + hex(len));
	auto found = file_node(ino);
	if (!found)
		return found.error();
	const Node *n = *found;
	const uint64_t end = off + len;
	const uint64_t size = keep_size ? n->size : std::max(n->size, end);
	return resize_locked(ino, size, std::max(n->allocated, end));
}

Result<size_t> FileSystem::read(Ino ino, uint64_t off, std::span<uint8_t> buf) const
{
	std::shared_lock lock(mu_);
	auto found = file_node(ino);
	if (!found)
		return found.error();
	const Node *n = *found;
	if (off >= n->size || buf.empty())
		return size_t{0};
	uint64_t want = std::min<uint64_t>(buf.size(), n->size - off);
	const uint64_t sizes[1] = {sb_.device_size};
	uint64_t done = 0;
	while (done < want) {
		Resolution r = resolve_native(n->fmap, off + done, want - done, sizes);
		if (!r.ok())
			return err(EIO, "\"" + path_locked(ino) + "\" at " + hex(off + done),
				   "an offset its fmap resolves", std::string(status_name(r.status)));
		dev_->refresh(r.device_offset, r.length);
		std::memcpy(buf.data() + done, dev_->base() + r.device_offset, r.length);
		done += r.length;
	}
	return static_cast<size_t>(done);
}

Result<size_t> FileSystem::write(Ino ino, uint64_t off, std::span<const uint8_t> buf)
{
	std::shared_lock lock(mu_);
	if (auto ok = check_writable(); !ok)
		return ok.error();
	auto found = file_node(ino);
	if (!found)
		return found.error();
	const Node *n = *found;
	if (buf.empty())
		return size_t{0};
	if (off > UINT64_MAX - buf.size())
		return err(EFBIG, "write to \"" + path_locked(ino) + "\"", "an end below 2^64",
			   hex(off) + "+" + hex(buf.size()));
	if (off + buf.size() > n->size) {
		// Past EOF: the file grows (a RESIZE entry) under the exclusive lock,
		// then the write goes on under the shared one.
		lock.unlock();
		{
			std::unique_lock wlock(mu_);
			auto cur = file_node(ino);
			if (!cur)
				return cur.error();
			Node *c = *cur;
			const uint64_t end = off + buf.size();
			if (end > c->size && end <= c->allocated && c->fmap.is_simple() &&
			    check_writable() && !c->orphan) {
				// Inside its space: the size moves in memory, and is
				// logged with the mtime at release or fsync.  A gap
				// between the old end and this write reads as zeros.
				Fmap to_end = c->fmap;
				to_end.file_size = end;
				if (off > c->size)
					if (auto ok = zero_file_range(*dev_, to_end, c->size, off,
								      sb_.device_size);
					    !ok)
						return ok.error();
				c->size = end;
				c->fmap.file_size = end;
			} else if (end > c->size) {
				auto grown = resize_locked(ino, end, std::max(c->allocated, end));
				if (!grown)
					return grown.error();
			}
		}
		lock.lock();
		found = file_node(ino);
		if (!found)
			return found.error();
		n = *found;
		if (off + buf.size() > n->size)
			return err(EAGAIN, "write to \"" + path_locked(ino) + "\"",
				   "a size that stays grown", "shrunk meanwhile");
	}
	const uint64_t sizes[1] = {sb_.device_size};
	uint64_t done = 0;
	while (done < buf.size()) {
		Resolution r = resolve_native(n->fmap, off + done, buf.size() - done, sizes);
		if (!r.ok())
			return err(EIO, "\"" + path_locked(ino) + "\" at " + hex(off + done),
				   "an offset its fmap resolves", std::string(status_name(r.status)));
		std::memcpy(dev_->base() + r.device_offset, buf.data() + done, r.length);
		// On /dev/pmemN the kernel may map this file through DAX (the
		// message path, for an inode opened before its space came): the
		// bytes go to the media now, past the block device's page cache.
		if (dev_->kind() == DeviceKind::Pmem)
			if (auto ok = dev_->flush(r.device_offset, r.length); !ok)
				return ok.error();
		done += r.length;
	}
	n->written_ns = now_ns();
	return static_cast<size_t>(done);
}

Result<void> FileSystem::fsync(Ino ino) const
{
	std::shared_lock lock(mu_);
	const Node *n = node(ino);
	if (!n)
		return err(ENOENT, "inode " + std::to_string(ino), "an existing inode");
	for (const auto &r : fmap_ranges(n->fmap))
		if (auto ok = dev_->flush(r.offset, r.length); !ok)
			return ok.error();
	return {};
}

Result<Fmap> FileSystem::fmap(Ino ino) const
{
	std::shared_lock lock(mu_);
	auto found = file_node(ino);
	if (!found)
		return found.error();
	const Node *n = *found;
	return n->fmap;
}

std::vector<std::pair<Ino, Fmap>> FileSystem::files() const
{
	std::shared_lock lock(mu_);
	std::vector<std::pair<Ino, Fmap>> out;
	for (Ino i = 1; i < nodes_.size(); i++)
		if (nodes_[i] && !nodes_[i]->dir && !nodes_[i]->link)
			out.emplace_back(i, nodes_[i]->fmap);
	return out;
}

std::vector<daxfmap::Device> FileSystem::devices() const
{
	return {daxfmap::Device{.index = 0, .name = dev_->path(), .size = sb_.device_size}};
}

uint64_t FileSystem::symlink_count_locked() const
{
	return static_cast<uint64_t>(std::count_if(nodes_.begin(), nodes_.end(),
						   [](const auto &n) { return n && n->link; }));
}

Ino FileSystem::max_ino() const
{
	std::shared_lock lock(mu_);
	return nodes_.size() - 1;
}

StatFs FileSystem::statfs() const
{
	std::shared_lock lock(mu_);
	StatFs s;
	s.total_units = alloc_.total_units();
	s.free_units = alloc_.free_units();
	s.inodes = inodes_;
	s.max_ino = nodes_.size() - 1;
	s.reserved_units = std::min(reserved_units(), s.free_units);
	s.log_size = log_.half_size();
	s.log_used = log_.used();
	s.log_epoch = log_.commit().epoch;
	s.compactions = compactions_;
	return s;
}

void FileSystem::set_listener(Listener listener)
{
	std::unique_lock lock(mu_);
	listener_ = std::move(listener);
}

} // namespace daxfmap::fs

// SPDX-License-Identifier: GPL-2.0-only
// The file system: a namespace of directories and preallocated files over a
// mapped device, kept in the metadata log and rebuilt from it at mount.
// No FUSE here; the daemon serves this over FUSE.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/result.hpp"
#include "libdaxfmap_fs/allocator.hpp"
#include "libdaxfmap_fs/device.hpp"
#include "libdaxfmap_fs/famfs_media.hpp"
#include "libdaxfmap_fs/media_format.hpp"
#include "libdaxfmap_fs/metadata_log.hpp"

namespace daxfmap::fs {

// Inode numbers are dense: the root is 1, freed numbers are reused (lowest
// first), so that BPF file tables indexed by them stay small.  A reused
// number gets a new generation.
using Ino = uint64_t;
inline constexpr Ino kRootIno = 1;

struct Attr {
	Ino ino = 0;
	uint64_t generation = 0;
	uint32_t mode = 0;      // S_IFDIR, S_IFREG or S_IFLNK | permission bits
	uint32_t uid = 0;
	uint32_t gid = 0;
	uint32_t nlink = 1;
	uint64_t size = 0;      // files: bytes; dirs: 0; symbolic links: the target's length
	uint64_t allocated = 0; // bytes of device space the fmap names
	uint64_t time_ns = 0;   // when created (or last filled), CLOCK_REALTIME
	uint32_t flags = 0;     // the FILE entry's flags word (famfs media: 2, ALL_HOSTS_RW)
	bool is_dir() const;
};

struct DirEntry {
	std::string name;
	Ino ino = 0;
	bool is_dir = false;
	bool is_link = false;
};

struct StatFs {
	uint64_t unit = kUnit;     // allocation unit (f_bsize)
	uint64_t total_units = 0;  // the data area
	uint64_t free_units = 0;
	uint64_t reserved_units = 0; // of the free ones, only files owned by root may take these
	uint64_t inodes = 0;       // in use, root included
	uint64_t max_ino = 0;      // highest inode number in use
	uint64_t log_size = 0;     // bytes of one log half (what the live log can hold)
	uint64_t log_used = 0;     // bytes of the live half in use
	uint64_t log_epoch = 0;    // compactions so far (mod 2^16)
	uint64_t compactions = 0;  // by this mount
};

// Of the data area, the share only root-owned files may allocate (as ext4's
// reserved blocks): 1/20, at least one unit.  Of a log half, what creations
// leave free: 1/16 for other users, 1/64 for root; deletes may use it all,
// so that a full log can always be emptied.
inline constexpr uint64_t kReservedDataDivisor = 20;
inline constexpr uint64_t kReservedLogDivisor = 16;
inline constexpr uint64_t kReservedLogDivisorRoot = 64;
// A compaction starts before an append once the live half is this full
// (numerator / 4), and only if the log grew by a quarter half since the last
// one, so that a namespace that nearly fills a half does not compact on every
// append.
inline constexpr uint64_t kCompactAtQuarters = 3;

struct MkfsOptions {
	uint64_t log_size = kDefaultLogSize; // a multiple of 2 MiB, kMinLogSize..kMaxLogSize
	// Refuse (EEXIST) a device that already holds a daxfmap superblock with a
	// valid CRC unless set.
	bool force = false;
};

struct MountOptions {
	bool read_only = false;
	// Most simple extents one file gets (the extended profile's limit by
	// default; 32 keeps every fmap within V10's).
	uint32_t max_extents = Allocator::kDefaultMaxExtents;
	// Crash-consistency tests: called at each durable step of the log.
	CrashPoint crash_point;
	// The FUSE daemon's mode: every lookup(), create_file() and mkdir() gives
	// the kernel a reference to the inode, which forget() returns.  A file
	// removed while referenced (open or mapped) stays readable and keeps its
	// space and number until the last reference goes (POSIX unlink).
	bool count_lookups = false;
};

// What mount found in the log.
struct ReplayReport {
	uint64_t entries = 0;       // applied
	uint64_t log_used = 0;      // bytes of the live half, up to the committed end
	std::optional<LogDamage> damage; // a torn tail (harmless) or corruption
	std::vector<std::string> warnings; // reserved fields that are not zero, ...
	bool read_only = false;     // forced by damage (or asked for)
	std::vector<std::string> notes; // human-readable: what was found and done
};

enum class ChangeKind {
	Created,   // a new file or directory (fmap: the file's, empty for a dir or empty file)
	Allocated, // an empty file got its space (fmap: the new one)
	Deleted,   // a file or directory is gone; its number may be reused
	Resized,   // a file's size or space changed (fmap: the whole new one)
};

// rename() flags, the values of renameat2(2)'s.
inline constexpr uint32_t kRenameNoReplace = 1;
// kRenameExchange (media_format.hpp) is RENAME_EXCHANGE, 2.

struct ChangeEvent {
	ChangeKind kind;
	Ino ino;
	bool is_dir;
	const Fmap &fmap; // valid only during the call
};

// Called after each change, with the file system's write lock held (so events
// arrive in log order): it must not call back into the FileSystem.
using Listener = std::function<void(const ChangeEvent &)>;

struct FsckReport;

// Which format the device holds: daxfmap's own, or famfs's (read-only).
enum class Media { Daxfmap, Famfs };
std::string_view media_name(Media m); // "daxfmap", "famfs"

// Thread-safe: metadata operations take a write lock, lookups, reads and
// writes a shared one.  Data reads and writes go through resolve_native over
// the device mapping.
class FileSystem {
public:
	// Writes a superblock and an empty log.  EINVAL for a bad log size,
	// ENOSPC if the device cannot hold superblock + log + one data unit,
	// EEXIST for an existing file system without opts.force, EROFS for a
	// read-only device.
	static Result<void> mkfs(Device &dev, const MkfsOptions &opts = {});

	// Checks the superblock (magic, version, CRC, geometry within the device)
	// and replays the log.  A torn tail entry is reported in replay_report()
	// and the mount goes on; mid-log corruption mounts read-only.  A famfs
	// device (famfs_media.hpp) mounts read-only whatever opts say: its FILE
	// and MKDIR entries become the namespace; an entry famfs's own replay
	// would stop at, or one daxfmap's checks refuse (an fmap outside the
	// device, two files on one unit, a missing parent), is damage.
	static Result<std::unique_ptr<FileSystem>> mount(std::unique_ptr<Device> dev,
							 const MountOptions &opts = {});

	~FileSystem();
	FileSystem(const FileSystem &) = delete;
	FileSystem &operator=(const FileSystem &) = delete;

	// ENOENT, ENOTDIR (parent not a directory), ENAMETOOLONG.
	Result<Attr> lookup(Ino parent, std::string_view name) const;
	Result<Attr> getattr(Ino ino) const;
	// Entries of a directory, sorted by name ("." and ".." not included).
	Result<std::vector<DirEntry>> readdir(Ino dir) const;
	// Walks a relative path ("a/b/c"; "" is the root).
	Result<Attr> lookup_path(std::string_view path) const;
	// The path of an inode relative to the root ("" for the root).
	Result<std::string> path_of(Ino ino) const;

	// Creates a file of `size` bytes with its space allocated and logged
	// (size 0: an empty file, space later with allocate()).  EEXIST, ENOENT,
	// ENOTDIR, ENAMETOOLONG, ENOSPC (device or log), EINVAL (layout), EROFS.
	// Files owned by a uid other than 0 cannot take the reserved share of
	// the data area nor of the log (ENOSPC, naming the reserve).
	Result<Attr> create_file(Ino parent, std::string_view name, uint32_t mode, uint32_t uid,
				 uint32_t gid, uint64_t size, const Layout &layout = Layout::simple());
	// Gives an empty (size 0) file its space: EINVAL if it already has some,
	// EISDIR for a directory.  Logged as a FILE entry replacing the empty one.
	Result<Attr> allocate(Ino ino, uint64_t size, const Layout &layout = Layout::simple());
	Result<Attr> mkdir(Ino parent, std::string_view name, uint32_t mode, uint32_t uid,
			   uint32_t gid);
	// Sets the modification time (logged; CLOCK_REALTIME ns).
	Result<Attr> set_mtime(Ino ino, uint64_t mtime_ns);
	// Logs what writes changed in memory (the daemon calls it at release
	// and fsync): the size a write grew the file to inside its space, with
	// the mtime, as one RESIZE entry; else the time of the last write, if
	// newer than the logged one.  Writes change mtime, and size within the
	// space a file has, without a log entry each: like data, that is
	// durable at fsync or close.
	Result<void> sync_written(Ino ino);
	// The kernel dropped `n` references (FUSE FORGET).  The last one of a
	// removed file frees its space and number (and reports Deleted).
	void forget(Ino ino, uint64_t n);
	// Removes a file and frees its space (EISDIR for a directory); with
	// count_lookups, a referenced file's space and number only at forget().
	Result<void> unlink(Ino parent, std::string_view name);
	// Removes an empty directory (ENOTEMPTY, ENOTDIR).
	Result<void> rmdir(Ino parent, std::string_view name);
	// Moves `name` of `parent` to `new_name` of `new_parent` (one RENAME
	// entry).  An existing target is replaced as POSIX says (a file by a
	// file or link, an empty directory by a directory; EISDIR, ENOTDIR,
	// ENOTEMPTY otherwise) and freed, or kept as an orphan while referenced;
	// kRenameNoReplace refuses it (EEXIST); kRenameExchange swaps the two
	// (ENOENT without a target).  EINVAL for a directory moved under itself
	// or unknown flags; ENAMETOOLONG if a path under the moved entry would
	// exceed the log's limit.  Renaming an entry onto itself does nothing.
	Result<void> rename(Ino parent, std::string_view name, Ino new_parent,
			    std::string_view new_name, uint32_t flags = 0);
	// chmod / chown: the given fields change (one ATTR entry); who may
	// change what is the caller's decision (POSIX: the daemon checks it).
	// EPERM for the root directory, EINVAL for mode bits past 07777.
	Result<Attr> set_attr(Ino ino, std::optional<uint32_t> mode, std::optional<uint32_t> uid,
			      std::optional<uint32_t> gid);
	// A symbolic link to `target` (1..4095 bytes, kept as given).
	Result<Attr> symlink(Ino parent, std::string_view name, std::string_view target,
			     uint32_t uid, uint32_t gid);
	// EINVAL for anything but a symbolic link.
	Result<std::string> readlink(Ino ino) const;
	// truncate: growing adds 2 MiB units (in place after the last extent
	// where free, else wherever), shrinking frees the units past the new
	// size.  One RESIZE entry.  EINVAL for a striped file (it keeps its
	// layout), ENOSPC (nothing changed).  The caller makes sure nobody maps
	// freed units any more (the daemon: plain FUSE only).
	Result<Attr> resize(Ino ino, uint64_t size);
	// fallocate mode 0 (the size grows to off + len if smaller) or
	// keep_size (FALLOC_FL_KEEP_SIZE): space for [0, off + len).
	Result<Attr> fallocate(Ino ino, uint64_t off, uint64_t len, bool keep_size);

	// Copies file bytes [off, off + buf.size()) clipped at EOF; returns the
	// count (0 at or past EOF).  EISDIR, ENOENT, EIO if the fmap does not
	// resolve.
	Result<size_t> read(Ino ino, uint64_t off, std::span<uint8_t> buf) const;
	// Writes [off, off + buf.size()); a write that ends past EOF grows the
	// file first: in memory while its space holds the new end (logged by
	// sync_written()), else as resize() does (ENOSPC: nothing written).
	// EROFS when read-only.
	Result<size_t> write(Ino ino, uint64_t off, std::span<const uint8_t> buf);
	// Flushes the file's device ranges (msync; nothing for devdax).
	Result<void> fsync(Ino ino) const;

	// The file's fmap (empty SimpleExtents for an empty file); EISDIR, ENOENT.
	Result<Fmap> fmap(Ino ino) const;
	// Every file and its fmap (for filling BPF maps at mount), by inode.
	std::vector<std::pair<Ino, Fmap>> files() const;
	// The devices fmaps refer to; index 0 is this file system's device.
	std::vector<daxfmap::Device> devices() const;

	// Highest inode number in use (the root's 1 at least).
	Ino max_ino() const;
	StatFs statfs() const;
	const ReplayReport &replay_report() const { return report_; }
	bool read_only() const { return read_only_; }
	Media media() const { return media_; }
	const Device &device() const { return *dev_; }
	const Superblock &superblock() const { return sb_; }

	// Writes the live namespace into the other half of the log and switches
	// to it (done by itself when the log fills; for tests and tools).
	Result<void> compact();

	// Replaces the listener (empty: none).
	void set_listener(Listener listener);

private:
	struct Node;
	// `owned` may be null (fsck borrows a device); dev is *owned when set.
	FileSystem(std::unique_ptr<Device> owned, const Device &dev, const Superblock &sb,
		   const MountOptions &opts);
	friend Result<FsckReport> fsck(const Device &dev);
	friend Result<FsckReport> fsck_famfs(const Device &dev, FsckReport rep);
	friend Result<FsckReport> check_namespace(const FileSystem &fs, const Superblock &sb,
						  FsckReport rep);

	Result<void> apply(const LogEntry &entry);
	// Who an append is for: how much of the log's reserve it may use.
	enum class LogUse { Delete, Root, User };
	static LogUse use_for(uint32_t uid) { return uid == 0 ? LogUse::Root : LogUse::User; }
	// Appends under mu_, compacting the log first when it is full enough
	// (or full).
	Result<LogEntry> log_append(const LogRecord &record, LogUse use);
	Result<void> compact_locked();
	// The live namespace as log records, parents before children.
	std::vector<LogRecord> checkpoint_locked() const;
	// ENOSPC if a file owned by `uid` would take the data reserve.
	Result<void> check_reserve(uint32_t uid) const;
	uint64_t reserved_units() const;
	Result<Ino> new_ino();
	// A new file (fmap) or directory (dir) named `name` in directory
	// `parent`, which must not have that name yet; returns its inode.
	struct NewNode {
		bool dir = false;
		bool link = false;
		std::string target;
		uint32_t mode = 0, uid = 0, gid = 0;
		uint64_t size = 0, time_ns = 0;
		uint32_t flags = 0;
		Fmap fmap;
	};
	Result<Ino> insert_node(Ino parent, std::string_view name, NewNode nn);
	void free_ino(Ino ino);
	// What a rename will do, checked against the namespace (live and replay).
	struct RenamePlan {
		Ino src = 0;
		Ino new_parent = 0;
		std::string new_name;
		bool exchange = false;
		Ino victim = 0; // what new_name names now (0: nothing)
	};
	Result<RenamePlan> plan_rename(Ino parent, std::string_view name, Ino new_parent,
				       std::string_view new_name, uint32_t flags) const;
	void do_rename(const RenamePlan &plan);
	uint64_t symlink_count_locked() const;
	// Under mu_: a writable, linked inode other than the root (whose entry
	// mkfs fixed: `root_why`), for an entry that names it by path.
	Result<Node *> loggable_node_locked(Ino ino, std::string_view root_why);
	// Under mu_: a regular file a change may be logged for (writable, linked).
	Result<Node *> writable_file_locked(Ino ino);
	// Under mu_: the new size and the space kept or grown to (>= size).
	Result<Attr> resize_locked(Ino ino, uint64_t size, uint64_t keep);
	const Node *node(Ino ino) const;
	Node *node(Ino ino);
	// ino's node if it is a regular file; else ENOENT or EISDIR naming it.
	Result<const Node *> file_node(Ino ino) const;
	Result<Node *> file_node(Ino ino);
	Result<Ino> child(Ino parent, std::string_view name) const;
	std::string path_locked(Ino ino) const;
	// Under mu_: the log path of a new entry `name` in `parent`, once the
	// file system is writable, the name valid and free, and the path fits.
	Result<std::string> new_entry_path_locked(Ino parent, std::string_view name) const;
	Attr attr_locked(Ino ino) const;
	Result<void> check_writable() const;
	void notify(ChangeKind kind, Ino ino, bool is_dir, const Fmap &fmap);
	Result<void> remove(Ino parent, std::string_view name, bool dir);
	// Frees a removed node's space and number, and reports Deleted.
	void release_node(Ino ino);
	// EROFS-like refusal for an unlinked (orphan) inode that has no path
	// the log could name.
	Result<void> check_linked(Ino ino) const;

	static Result<std::unique_ptr<FileSystem>> mount_famfs(std::unique_ptr<Device> dev,
							       const MountOptions &opts);
	// famfs's entries into the namespace, for mount and fsck alike.  Each
	// that does not apply is an Error naming it; mount stops at the first
	// (`keep_going` false), fsck lists them all.
	std::vector<Error> apply_famfs(const famfs::Log &log, bool keep_going);

	std::unique_ptr<Device> owned_;
	Media media_ = Media::Daxfmap;
	const Device *dev_;
	Superblock sb_;
	MountOptions opts_;
	MetadataLog log_;
	Allocator alloc_;
	std::vector<std::unique_ptr<Node>> nodes_; // by inode number; [0] unused
	std::vector<uint64_t> generations_;        // by inode number, survives reuse
	std::set<Ino> free_inos_;                  // holes in nodes_, lowest reused first
	uint64_t inodes_ = 0;                      // in use
	ReplayReport report_;
	bool read_only_ = false;
	uint64_t writer_id_ = 0; // set in the commit block while mounted read-write
	uint64_t compactions_ = 0;
	Listener listener_;
	mutable std::shared_mutex mu_;
};

// Offline check of a device (no mount needed, nothing written).
struct FsckReport {
	bool superblock_ok = false;
	uint64_t entries = 0;       // good log entries
	uint64_t files = 0;         // after replay
	uint64_t dirs = 0;          // root included
	uint64_t symlinks = 0;
	Media media = Media::Daxfmap;
	// famfs media: the log's slots, and the entries it holds.
	uint64_t famfs_log_slots = 0, famfs_log_used = 0;
	uint64_t used_units = 0;    // named by fmaps
	uint64_t free_units = 0;
	uint64_t total_units = 0;
	std::optional<LogDamage> damage;
	uint64_t log_half = 0;       // bytes one log half holds
	uint64_t log_used = 0;       // bytes of the live half in use
	uint64_t log_live_bytes = 0; // what a compaction would write: the live namespace
	uint64_t log_epoch = 0;
	bool writer_live = false;    // a read-write mount is live, or did not unmount cleanly
	// Worth knowing, not wrong: a torn tail append (an interrupted update
	// that never took effect), reserved fields that are not zero.
	std::vector<Error> warnings;
	// Every problem, as an Error naming where: "superblock.crc32c",
	// "log+0x1c0", "file 'a/b' extents[2]", "allocator" ...
	std::vector<Error> problems;
	bool clean() const { return problems.empty(); }
};

// Reads the superblock and the log, rebuilds the namespace and the allocator
// as mount would, and checks: superblock magic/version/CRC/geometry, log
// integrity (torn tail or corruption), each fmap valid under the extended
// profile with device index 0, unit-aligned and inside the data area, no two
// files sharing a unit, replay consistency (creates over existing paths,
// deletes of missing ones), and used + free == total.  An Error only when the
// device cannot be read at all.
Result<FsckReport> fsck(const Device &dev);

// What repair_log() did.
struct LogRepair {
	uint64_t zeroed_bytes = 0;  // past the committed end: a torn tail or stray bytes
	bool cleared_writer = false; // a writer mark left by a mount that did not unmount
};
// fsck --repair, on an unmounted device (EBUSY if this host has it mounted):
// zeroes what lies past the committed end of the live log half and clears a
// stale writer mark.  Never touches a committed entry: with a damaged
// commit word or committed entry it refuses (EROFS) and changes nothing.
Result<LogRepair> repair_log(Device &dev);

} // namespace daxfmap::fs

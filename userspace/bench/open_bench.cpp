// SPDX-License-Identifier: GPL-2.0-only
// Scenario "open": open + first access + close on a real FUSE mount served by
// daxfmapd, for the three ways the kernel can learn where a file's data is.
//
//   plain    today's kernels: OPEN, then the first 4 KiB read is a FUSE READ
//            that the daemon serves from the device mapping.
//   message  the fmap message path as V10 runs it for a file's first open:
//            OPEN, then one more round trip through /dev/fuse carrying the
//            real GET_FMAP reply (stock kernels have no opcode 54, so it
//            travels as GETXATTR user.daxfmap.fmap; V10 asks with a one-page
//            buffer, and so do we), the kernel's decode + V10 validation,
//            native resolution of offset 0, then the access is a load from
//            the device mapping (DAX: no READ).
//   bpf-X    the BPF path: OPEN, nothing more from the server (the daemon
//            put the fmap into the pinned maps of strategy X when the file
//            was created), one in-kernel resolution of offset 0 through
//            BPF_PROG_TEST_RUN (a syscall a real fault hook would not pay:
//            the figure is an upper bound), then the load from the mapping.
//
// That is the model, for stock kernels: the GETXATTR round trip stands in
// for GET_FMAP, and its rows say so.  On the daxfmap kernel (kernel/patches)
// with --open-mount (a daxfmapd mount with the message path in force), the
// real thing is measured instead, open + 4 KiB pread(2) + close:
//
//   kernel-first   the first open of an inode the kernel does not hold: the
//                  kernel sends GET_FMAP (the daemon's counter must rise by
//                  one per open) and reads through DAX.  Inodes are evicted
//                  between rounds (drop_caches 2, untimed) and looked up
//                  again (stat, untimed).
//   kernel-cached  a further open of the same inode: no GET_FMAP.
//   kernel-plain   plain FUSE (daxfmapd --message-path off on an emulated
//                  device): OPEN, then a FUSE READ.
//
// Files cover V10's range of fmap sizes: 1, 2 and 32 simple extents (the
// last two fragmented on purpose), and interleaved extents of 2 and 32
// strips.  Before timing, every mode's first 4 KiB is checked against the
// plain read, so the paths measured are paths that work.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bench/fixtures.hpp"
#include "bench/scenarios.hpp"
#include "daxfmapd/client.hpp"
#include "daxfmapd/launch.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/wire_codec.hpp"
#include "libdaxfmap_bpf/pinned.hpp"
#include "libdaxfmap_fs/device.hpp"
#include "libdaxfmap_fs/filesystem.hpp"

namespace daxfmap::bench {

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kUnit = 2 * kMiB;
constexpr size_t kPage = 4096;
constexpr uint64_t kDeviceSize = 512 * kMiB;

struct BenchFile {
	std::string name, layout, path;
	uint64_t ino = 0;
	uint32_t extents = 0;
	uint64_t ranges = 0;
};

// A mount of a fresh emulated device in a private directory, taken down (and
// the directory removed) however the scenario ends.
class BenchMount {
public:
	~BenchMount()
	{
		if (pid_ > 0) {
			auto r = daemon::unmount_and_wait(mnt_, pid_, false, std::chrono::seconds(10));
			if (!r)
				(void)daemon::unmount_and_wait(mnt_, pid_, true, std::chrono::seconds(10));
		}
		if (!dir_.empty()) {
			std::error_code ec;
			std::filesystem::remove_all(dir_, ec);
		}
	}

	Result<void> start(const Config &c, const std::vector<std::string> &extra = {})
	{
		// tmpfs when there is one, so that the device is memory like DAX.
		std::string base = c.work_dir;
		if (base.empty())
			base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		std::string tmpl = base + "/daxfmap-bench-XXXXXX";
		if (!::mkdtemp(tmpl.data()))
			return daemon::sys_error(errno, tmpl, "mkdtemp");
		dir_ = tmpl;
		device_ = dir_ + "/device.img";
		mnt_ = dir_ + "/mnt";
		if (::mkdir(mnt_.c_str(), 0755) != 0)
			return daemon::sys_error(errno, mnt_, "mkdir");
		if (auto r = fs::create_emulated(device_, kDeviceSize); !r)
			return r.error();
		{
			auto dev = fs::Device::open(device_);
			if (!dev)
				return dev.error();
			if (auto r = fs::FileSystem::mkfs(**dev); !r)
				return r.error();
		}
		const std::string instance = "bench-" + std::to_string(::getpid());
		std::vector<std::string> args{"--bpf-instance", instance};
		args.insert(args.end(), extra.begin(), extra.end());
		auto l = daemon::launch_daemon({.daemon = c.daemon.empty() ? daemon::find_daemon() : c.daemon,
						.device = device_, .mountpoint = mnt_, .extra_args = args,
						.detach = true, .log = dir_ + "/daxfmapd.log"});
		if (!l)
			return l.error();
		pid_ = l->pid;
		report_ = l->report;
		return {};
	}

	const std::string &mnt() const { return mnt_; }
	const std::string &device() const { return device_; }
	const std::string &report() const { return report_; }

private:
	std::string dir_, device_, mnt_, report_;
	pid_t pid_ = -1;
};

// The device file mapped read-only: where a DAX access lands.
class DeviceView {
public:
	~DeviceView()
	{
		if (base_)
			::munmap(const_cast<uint8_t *>(base_), size_);
	}
	Result<void> map(const std::string &path, uint64_t size)
	{
		const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return daemon::sys_error(errno, path, "open");
		void *p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
		const int err = errno;
		::close(fd);
		if (p == MAP_FAILED)
			return daemon::sys_error(err, path, "mmap");
		base_ = static_cast<const uint8_t *>(p);
		size_ = size;
		return {};
	}
	const uint8_t *base() const { return base_; }
	uint64_t size() const { return size_; }

private:
	const uint8_t *base_ = nullptr;
	uint64_t size_ = 0;
};

Result<BenchFile> make_file(const std::string &mnt, const std::string &name, uint64_t size, uint32_t strips)
{
	BenchFile f{.name = name, .layout = strips ? "interleaved" : "simple", .path = mnt + "/" + name};
	auto made = daemon::create_allocated(f.path, 0644, daemon::allocate_spec(size, strips, strips ? kUnit : 0));
	if (!made)
		return made.error();
	// Written through a new open: the creating one predates the extents,
	// and on the daxfmap kernel it holds no fmap (its writes miss the file).
	::close(*made);
	const int fd = ::open(f.path.c_str(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return daemon::sys_error(errno, f.path, "open");
	// A recognizable first page: the name and a counter.
	uint8_t page[kPage];
	for (size_t i = 0; i < kPage; i++)
		page[i] = static_cast<uint8_t>(name[i % name.size()] + i / name.size());
	const bool ok = ::pwrite(fd, page, kPage, 0) == static_cast<ssize_t>(kPage);
	const int err = errno;
	struct stat st {};
	::fstat(fd, &st);
	::close(fd);
	if (!ok)
		return daemon::sys_error(err, f.path, "write");
	f.ino = st.st_ino;
	auto bytes = daemon::get_xattr(f.path, daemon::kXattrFmap);
	if (!bytes)
		return bytes.error();
	auto d = decode_fmap({reinterpret_cast<const uint8_t *>(bytes->data()), bytes->size()},
			     limits_for(Profile::Extended));
	if (!d)
		return d.error();
	f.extents = static_cast<uint32_t>(d->fmap.extent_count());
	f.ranges = d->fmap.range_count();
	return f;
}

// Files with 1, 2 and 32 simple extents, and 2 and 32 strips.  Fragmented
// files come from first-fit allocation into holes: fill the device with
// alternating 2 MiB files, then free some of every other one.
Result<std::vector<BenchFile>> make_files(const std::string &mnt, std::ostream *prog)
{
	std::vector<BenchFile> files;
	for (auto [name, size, strips] : {std::tuple{"s1", kUnit, 0u}, std::tuple{"i2", 2 * kUnit, 2u},
					  std::tuple{"i32", 32 * kUnit, 32u}}) {
		auto f = make_file(mnt, name, size, strips);
		if (!f)
			return f.error();
		files.push_back(std::move(*f));
	}
	progress(prog, "open: filling the device to fragment it");
	// One 2 MiB file: true if made, false when the device is full.
	auto unit_file = [](const std::string &path) -> Result<bool> {
		auto fd = daemon::create_allocated(path, 0644, daemon::allocate_spec(kUnit, 0, 0));
		if (!fd)
			return fd.error().errnum == ENOSPC ? Result<bool>(false) : Result<bool>(fd.error());
		::close(*fd);
		return true;
	};
	std::vector<std::string> holes;
	for (unsigned i = 0;; i++) {
		const std::string hole = mnt + "/hole" + std::to_string(i);
		auto h = unit_file(hole);
		if (!h)
			return h.error();
		auto k = *h ? unit_file(mnt + "/keep" + std::to_string(i)) : Result<bool>(false);
		if (!k)
			return k.error();
		if (!*k)
			break;
		holes.push_back(hole);
	}
	if (holes.size() < 34)
		return Error{.errnum = ENOSPC, .field = "bench device", .expected = "room for 34 holes",
			     .found = std::to_string(holes.size())};
	size_t next = 0;
	for (auto [name, n] : {std::pair{"s2", 2u}, std::pair{"s32", 32u}}) {
		for (unsigned i = 0; i < n; i++)
			if (::unlink(holes[next++].c_str()) != 0)
				return daemon::sys_error(errno, holes[next - 1], "unlink");
		auto f = make_file(mnt, name, n * kUnit, 0);
		if (!f)
			return f.error();
		files.push_back(std::move(*f));
	}
	// Run order: simple before interleaved, then by fmap size.
	std::stable_sort(files.begin(), files.end(), [](const BenchFile &a, const BenchFile &b) {
		return std::pair(a.layout != "simple", a.ranges) < std::pair(b.layout != "simple", b.ranges);
	});
	return files;
}

// One mode: open + first access + close of one file, returning the first
// 4 KiB as the access saw them (into page).
using OpenFn = std::function<Result<void>(const BenchFile &, uint8_t *page)>;

struct Mode {
	std::string name;
	OpenFn fn;
	std::string note;                              // why the mode did not run at all
	std::map<std::string, std::string> refused;    // per file: why not (e.g. hash's inline limit)
	std::map<std::string, std::vector<double>> us; // per file
};

Result<int> open_ro(const BenchFile &f)
{
	const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return daemon::sys_error(errno, f.path, "open");
	return fd;
}

Result<void> dax_load(const DeviceView &dev, const Resolution &r, const std::string &path, uint8_t *page)
{
	if (!r.ok() || r.length < kPage || r.device != 0 || r.device_offset > dev.size() - kPage) {
		std::ostringstream found;
		found << r;
		return Error{.errnum = EIO, .field = path,
			     .expected = "offset 0 resolved to a whole page of device 0", .found = found.str()};
	}
	std::memcpy(page, dev.base() + r.device_offset, kPage);
	return {};
}


constexpr const char *kModelNote =
	"model: a GETXATTR round trip stands in for GET_FMAP (this kernel sends none)";

// The daemon's count of GET_FMAP answered, from the mount root.
Result<uint64_t> get_fmap_count(const std::string &mnt)
{
	auto v = daemon::get_xattr(mnt, daemon::kXattrCounters);
	if (!v)
		return v.error();
	const auto at = v->find("get_fmap=");
	if (at == std::string::npos)
		return Error{.errnum = EPROTO, .field = mnt + " counters", .expected = "get_fmap=N", .found = *v};
	return std::stoull(v->substr(at + 9));
}

// Every unused dentry and inode out of the caches, so that the next open of
// a file is the first of its inode (the fmap goes with the inode).
Result<void> evict_inodes()
{
	::sync();
	std::ofstream f("/proc/sys/vm/drop_caches");
	f << "2\n";
	f.flush();
	if (!f)
		return daemon::sys_error(EIO, "/proc/sys/vm/drop_caches", "write 2");
	return {};
}

// open + 4 KiB pread(2) + close: the same access on every path.
Result<void> open_pread(const BenchFile &f, uint8_t *page)
{
	auto fd = open_ro(f);
	if (!fd)
		return fd.error();
	const ssize_t n = ::pread(*fd, page, kPage, 0);
	const int err = errno;
	::close(*fd);
	if (n != static_cast<ssize_t>(kPage))
		return daemon::sys_error(n < 0 ? err : EIO, f.path, "read");
	return {};
}

// Removes the scenario's directory on the mount it was given, however the
// scenario ends.
struct DirGuard {
	std::string dir;
	~DirGuard()
	{
		std::error_code ec;
		if (!dir.empty())
			std::filesystem::remove_all(dir, ec);
	}
};

std::vector<Row> run_open_kernel(const Config &c)
{
	std::vector<Row> rows;
	auto failed = [&](const std::string &why) {
		rows.push_back({.scenario = "open", .strategy = "-", .layout = "-", .pattern = "-",
				.metric = "us_per_open", .unit = "us", .note = "not run: " + why});
		progress(c.progress, "open: not run: " + why);
		return rows;
	};
	if (::access("/sys/module/fuse/parameters/dax_fmap_max_reply", F_OK) != 0)
		return failed("--open-mount: kernel: expected the daxfmap kernel (kernel/patches), found no "
			      "FUSE_DAX_FMAP (no /sys/module/fuse/parameters/dax_fmap_max_reply)");
	auto path = daemon::get_xattr(c.open_mount, daemon::kXattrPath);
	if (!path || *path != "message")
		return failed("--open-mount " + c.open_mount +
			      ": expected a daxfmapd mount with the message path in force, found " +
			      (path ? "path " + *path : path.error().message()));
	// Its own directory on that mount: make_files fills the file system to
	// fragment it, and all of it goes at the end.
	DirGuard guard{c.open_mount + "/daxfmap-bench-" + std::to_string(::getpid())};
	if (::mkdir(guard.dir.c_str(), 0755) != 0) {
		const std::string why = daemon::sys_error(errno, guard.dir, "mkdir").message();
		guard.dir.clear();
		return failed(why);
	}
	auto files = make_files(guard.dir, c.progress);
	if (!files)
		return failed(files.error().message());
	BenchMount plain;
	if (auto r = plain.start(c, {"--message-path", "off"}); !r)
		return failed("plain mount: " + r.error().message());
	auto plain_files = make_files(plain.mnt(), c.progress);
	if (!plain_files)
		return failed("plain mount: " + plain_files.error().message());

	struct KMode {
		std::string name;
		const std::vector<BenchFile> *files;
		std::map<std::string, std::string> refused;
		std::map<std::string, std::vector<double>> us;
	};
	std::vector<KMode> modes{{"kernel-first", &*files, {}, {}}, {"kernel-cached", &*files, {}, {}},
				 {"kernel-plain", &*plain_files, {}, {}}};
	// Same bytes on every path before anything is timed.
	for (size_t i = 0; i < files->size(); i++) {
		uint8_t a[kPage], b[kPage];
		const BenchFile &f = (*files)[i];
		if (auto r = open_pread(f, a); !r)
			modes[0].refused[f.name] = modes[1].refused[f.name] = r.error().message();
		else if (auto p = open_pread((*plain_files)[i], b); !p)
			modes[2].refused[f.name] = p.error().message();
		else if (std::memcmp(a, b, kPage) != 0)
			for (KMode &m : modes)
				m.refused[f.name] = "WRONG DATA: the first page differs between the two mounts";
	}

	// Each repeat is `rounds` rounds: evict, look every file up again, then
	// one first open per file, `per_round` cached and plain opens, in turn.
	const unsigned per_round = 5, rounds = c.quick ? 3 : 20;
	progress(c.progress, "open (daxfmap kernel): " + std::to_string(files->size()) + " files x 3 modes x " +
				     std::to_string(c.repeats) + " repeats x " + std::to_string(rounds) + " rounds");
	uint8_t page[kPage];
	auto timed = [&](KMode &m, const BenchFile &f, unsigned n) -> double {
		const auto t0 = std::chrono::steady_clock::now();
		for (unsigned i = 0; i < n; i++)
			if (auto r = open_pread(f, page); !r) {
				m.refused[f.name] = r.error().message();
				return 0;
			}
		return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
	};
	for (unsigned rep = 0; rep < c.repeats; rep++) {
		std::map<std::pair<size_t, size_t>, double> total;
		for (unsigned r = 0; r < rounds; r++) {
			if (auto e = evict_inodes(); !e)
				return failed(e.error().message());
			for (const auto *set : {&*files, &*plain_files})
				for (const BenchFile &f : *set) {
					struct stat st {};
					(void)::stat(f.path.c_str(), &st);
				}
			auto before = get_fmap_count(c.open_mount);
			for (size_t i = 0; i < files->size(); i++) {
				const std::string &name = (*files)[i].name;
				for (size_t mi = 0; mi < modes.size(); mi++)
					if (!modes[mi].refused.count(name))
						total[{mi, i}] += timed(modes[mi], (*modes[mi].files)[i], mi == 0 ? 1 : per_round);
			}
			// One GET_FMAP per first open, none for the cached ones: else
			// the first opens were not first.
			auto after = get_fmap_count(c.open_mount);
			if (!before || !after)
				return failed((before ? after : before).error().message());
			size_t firsts = 0;
			for (const BenchFile &f : *files)
				firsts += !modes[0].refused.count(f.name);
			if (*after - *before != firsts)
				return failed("GET_FMAP: expected " + std::to_string(firsts) + " in a round (one per first open), found " +
					      std::to_string(*after - *before) + " (drop_caches did not evict the inodes?)");
		}
		for (size_t mi = 0; mi < modes.size(); mi++)
			for (size_t i = 0; i < files->size(); i++)
				if (!modes[mi].refused.count((*files)[i].name))
					modes[mi].us[(*files)[i].name].push_back(total[{mi, i}] /
										 (rounds * (mi == 0 ? 1 : per_round)));
	}

	for (const BenchFile &f : *files) {
		double first = NAN;
		if (auto it = modes[0].us.find(f.name); it != modes[0].us.end())
			first = summarize(it->second).median;
		for (const KMode &m : modes) {
			const std::string shape = f.layout == "simple" ? "-" : std::to_string(f.ranges) + " strips";
			const auto refused = m.refused.find(f.name);
			Row row{.scenario = "open", .strategy = m.name, .layout = f.layout, .extents = f.extents,
				.ranges = f.ranges, .pattern = shape, .metric = "us_per_open", .unit = "us",
				.baseline = "kernel-first",
				.iterations = rounds * (&m == &modes[0] ? 1 : per_round),
				.note = refused != m.refused.end() ? "refused: " + refused->second : std::string()};
			if (auto it = m.us.find(f.name); it != m.us.end() && !it->second.empty()) {
				row.value = summarize(it->second);
				row.ratio = row.value.median / first;
			}
			rows.push_back(std::move(row));
		}
	}
	return rows;
}

} // namespace

std::vector<Row> run_open(const Config &c)
{
	std::vector<Row> rows;
	auto failed = [&](const std::string &why) {
		rows.push_back({.scenario = "open", .strategy = "-", .layout = "-", .pattern = "-",
				.metric = "us_per_open", .unit = "us", .note = "not run: " + why});
		progress(c.progress, "open: not run: " + why);
		return rows;
	};
	if (!c.open_mount.empty())
		return run_open_kernel(c);
	// The model is plain FUSE plus a simulated round trip: on the daxfmap
	// kernel the daemon must not take FUSE_DAX_FMAP for an image file.
	BenchMount m;
	if (auto r = m.start(c, {"--message-path", "off"}); !r)
		return failed(r.error().message());
	progress(c.progress, "open: mounted, " + m.report().substr(0, m.report().find('\n')));
	auto files = make_files(m.mnt(), c.progress);
	if (!files)
		return failed(files.error().message());
	DeviceView dev;
	if (auto r = dev.map(m.device(), kDeviceSize); !r)
		return failed(r.error().message());
	const uint64_t sizes[] = {kDeviceSize};

	std::vector<Mode> modes;
	modes.push_back({.name = "plain", .fn = [](const BenchFile &f, uint8_t *page) -> Result<void> {
		auto fd = open_ro(f);
		if (!fd)
			return fd.error();
		const ssize_t n = ::pread(*fd, page, kPage, 0);
		const int err = errno;
		::close(*fd);
		if (n != static_cast<ssize_t>(kPage))
			return daemon::sys_error(n < 0 ? err : EIO, f.path, "read");
		return {};
	}});
	modes.push_back({.name = "message", .fn = [&](const BenchFile &f, uint8_t *page) -> Result<void> {
		auto fd = open_ro(f);
		if (!fd)
			return fd.error();
		uint8_t reply[kPage];
		const ssize_t n = ::fgetxattr(*fd, daemon::kXattrFmap, reply, sizeof(reply));
		const int err = errno;
		if (n < 0) {
			::close(*fd);
			return daemon::sys_error(err, f.path, "GET_FMAP (getxattr)");
		}
		auto d = decode_and_validate({reply, static_cast<size_t>(n)}, limits_for(Profile::V10));
		Result<void> r = d ? dax_load(dev, resolve_native(d->fmap, 0, kPage, sizes), f.path, page)
				   : Result<void>(d.error());
		::close(*fd);
		return r;
	}});
	std::vector<std::unique_ptr<bpf::Resolver>> resolvers;
	auto instance = daemon::get_xattr(m.mnt(), daemon::kXattrBpfInstance);
	for (bpf::Strategy s : c.strategies) {
		if (s == bpf::Strategy::Native)
			continue;
		Mode mode{.name = "bpf-" + std::string(bpf::strategy_name(s))};
		if (!instance) {
			mode.note = "no BPF instance on the mount: " + instance.error().message();
		} else {
			auto r = bpf::make_resolver(s, {.pin_dir = bpf::pin_dir(bpf::kDefaultBpffsRoot, *instance, s),
							.reuse_pinned = true});
			if (!r)
				mode.note = r.error().message();
			else {
				bpf::Resolver *res = r->get();
				resolvers.push_back(std::move(*r));
				mode.fn = [res, &dev](const BenchFile &f, uint8_t *page) -> Result<void> {
					auto fd = open_ro(f);
					if (!fd)
						return fd.error();
					auto a = res->resolve({.file_id = f.ino, .offset = 0, .length = kPage});
					Result<void> done = a ? dax_load(dev, *a, f.path, page) : Result<void>(a.error());
					::close(*fd);
					return done;
				};
			}
		}
		modes.push_back(std::move(mode));
	}

	// Every mode must see the plain read's bytes before it is timed.
	for (const BenchFile &f : *files) {
		uint8_t want[kPage], got[kPage];
		if (auto r = modes[0].fn(f, want); !r)
			return failed(r.error().message());
		for (Mode &mode : modes) {
			if (!mode.fn)
				continue;
			auto r = mode.fn(f, got);
			if (!r)
				mode.refused[f.name] = r.error().message();
			else if (std::memcmp(want, got, kPage) != 0)
				mode.refused[f.name] = "WRONG DATA: its first page differs from the plain read";
		}
	}

	// Each repeat is `blocks` rounds in which every mode does `per_block`
	// opens in turn: the modes alternate every few opens, so the machine's
	// drift moves them all alike.
	const unsigned per_block = 10, blocks = c.quick ? 5 : 50, opens = per_block * blocks;
	progress(c.progress, "open: " + std::to_string(files->size()) + " files x " + std::to_string(modes.size()) +
				     " modes x " + std::to_string(c.repeats) + " repeats x " +
				     std::to_string(opens) + " opens");
	uint8_t page[kPage];
	for (unsigned rep = 0; rep < c.repeats; rep++)
		for (const BenchFile &f : *files) {
			std::vector<double> total(modes.size());
			for (unsigned b = 0; b < blocks; b++)
				for (size_t mi = 0; mi < modes.size(); mi++) {
					Mode &mode = modes[mi];
					if (!mode.fn || mode.refused.count(f.name))
						continue;
					const auto t0 = std::chrono::steady_clock::now();
					for (unsigned i = 0; i < per_block; i++)
						if (auto r = mode.fn(f, page); !r) {
							mode.refused[f.name] = r.error().message();
							break;
						}
					total[mi] += std::chrono::duration<double, std::micro>(
						std::chrono::steady_clock::now() - t0).count();
				}
			for (size_t mi = 0; mi < modes.size(); mi++)
				if (modes[mi].fn && !modes[mi].refused.count(f.name))
					modes[mi].us[f.name].push_back(total[mi] / opens);
		}

	for (const BenchFile &f : *files) {
		double message = NAN;
		for (const Mode &mode : modes)
			if (mode.name == "message" && mode.us.count(f.name))
				message = summarize(mode.us.at(f.name)).median;
		for (const Mode &mode : modes) {
			// Interleaved files differ by their strips, not their extents.
			const std::string shape = f.layout == "simple" ? "-" : std::to_string(f.ranges) + " strips";
			const auto refused = mode.refused.find(f.name);
			Row row{.scenario = "open", .strategy = mode.name, .layout = f.layout, .extents = f.extents,
				.ranges = f.ranges, .pattern = shape, .metric = "us_per_open", .unit = "us",
				.baseline = "message", .iterations = opens,
				.note = refused != mode.refused.end() ? "refused: " + refused->second
					: mode.name == "message" ? std::string(kModelNote) : mode.note};
			if (auto it = mode.us.find(f.name); it != mode.us.end() && !it->second.empty()) {
				row.value = summarize(it->second);
				row.ratio = row.value.median / message;
			}
			rows.push_back(std::move(row));
		}
	}
	return rows;
}

} // namespace daxfmap::bench

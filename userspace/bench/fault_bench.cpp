// SPDX-License-Identifier: GPL-2.0-only
// Scenario "fault": the message path on the daxfmap kernel (kernel/patches),
// where a DAX fault on a FUSE file walks the fmap GET_FMAP brought (V10's
// algorithm in iomap_begin).  Measured per file:
//
//   us_per_pte_fault   first touch of 4 KiB pages of a MADV_NOHUGEPAGE mapping
//   us_per_pmd_fault   first touch of 2 MiB pieces of a huge mapping
//   MiB_per_s_read     read(2) of 1 MiB pieces
//
// at sequential (evenly spaced, in order) and random (distinct, shuffled)
// offsets over the whole file, drawn once per probe.  DAX has no page cache,
// so munmap + mmap again makes every page fault again; only the touches are
// timed, after one untimed warm-up cycle (see there).
//
// The files: fmapsrv (vm/guest/fmapsrv.c) serves one file per fmap the
// scenario generates and answers its GET_FMAP with it; GET_DAXDEV 0 names
// the fsdax device given (--dax-device).  A 1 GiB NVDIMM cannot hold files
// of a million distinct extents, so extents repeat device ranges: extent i
// (or strip i) maps bytes [(i mod slots) * L, +L) of the device.  Simple
// files have extents of L = 2 MiB * max(1, 32 / N) (64 MiB files up to 32
// extents); interleaved ones have extents of 2 strips of L in 2 MiB chunks.
// Every piece is 2 MiB aligned, so huge mappings get PMD faults.
//
// Files over 32 extents need the kernel's large maps, an opt-in the scenario
// never turns on itself: fuse.dax_fmap_max_reply must be large enough.
//
// The designs: the message path (V10's walk, the baseline) and each BPF
// design of fault_hook.hpp, bound with the kernel's hook on an fmapsrv
// mount of its own over the same cases.  Probes of one file, kind and
// pattern are adjacent, a design after the other on the same offsets, so
// drift moves them alike.  Every design must be in force, or its rows say
// so instead of a value: no GET_FMAP for a file the resolver handles, one
// per inode for the message path and fallback-first.
//
// Ratios are to the 1-extent file of the same design, layout, pattern and
// metric; ratio_<metric> rows are a design / the message path, repeat by
// repeat (their IQR is the spread); us_per_first_open rows (open + 4 KiB
// read + close of an evicted inode) have their ratio to the message path.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/fault_hook.hpp"
#include "bench/fixtures.hpp"
#include "bench/scenarios.hpp"
#include "daxfmapd/client.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::bench {

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kPmd = 2 * kMiB;
constexpr uint64_t kPte = 4096;
constexpr uint64_t kReadSize = kMiB;
constexpr const char *kMaxReplyParam = "/sys/module/fuse/parameters/dax_fmap_max_reply";
constexpr uint32_t kV10MaxExtents = 32;
constexpr uint64_t kLargestReply = 64 * kMiB; // the parameter's ceiling (patch 0007)
constexpr uint32_t kFlatMaxExtents = 32768;

// The large-map parameter: absent on kernels without FUSE_DAX_FMAP.
Result<uint64_t> max_reply()
{
	std::ifstream f(kMaxReplyParam);
	uint64_t v = 0;
	if (!(f >> v))
		return Error{.errnum = ENOTSUP, .field = "kernel",
			     .expected = "the daxfmap kernel (kernel/patches: FUSE_DAX_FMAP, DAX faults through the fmap)",
			     .found = "no " + std::string(kMaxReplyParam) + " (this kernel has no FUSE_DAX_FMAP)"};
	return v;
}

// Size of an fsdax block device (queue/dax 1): what GET_DAXDEV may name.
Result<uint64_t> dax_device_size(const std::string &dev)
{
	if (dev.empty())
		return Error{.errnum = EINVAL, .field = "--dax-device",
			     .expected = "the fsdax block device the files map (e.g. /dev/pmem0)", .found = "none given"};
	struct stat st {};
	if (::stat(dev.c_str(), &st) != 0)
		return daemon::sys_error(errno, dev, "stat");
	if (!S_ISBLK(st.st_mode))
		return Error{.errnum = ENOTBLK, .field = dev, .expected = "a block device in fsdax mode",
			     .found = "not a block device"};
	const std::string name = std::filesystem::path(dev).filename();
	std::ifstream q("/sys/class/block/" + name + "/queue/dax");
	int dax = 0;
	if (!(q >> dax) || dax != 1)
		return Error{.errnum = EOPNOTSUPP, .field = dev, .expected = "DAX-capable (queue/dax 1: fsdax mode)",
			     .found = "queue/dax is not 1"};
	// Read-only: the size is all that is asked of the device.
	const int fd = ::open(dev.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return daemon::sys_error(errno, dev, "open");
	uint64_t size = 0;
	const int rc = ::ioctl(fd, BLKGETSIZE64, &size);
	const int err = errno;
	::close(fd);
	if (rc != 0)
		return daemon::sys_error(err, dev, "BLKGETSIZE64");
	return size;
}

struct FaultFile {
	std::string name, layout;
	uint32_t extents = 0;
	uint64_t ranges = 0, size = 0, wire = 0;
	Fmap fmap;
	std::string note; // why it is not measured
	// Per design (mount): two inodes of the same fmap, since 4 KiB DAX
	// entries stay in a file's mapping after munmap and make later PMD
	// faults there fall back, so the PTE probes fault their own file
	// (NAME-4k); and why the design does not measure it.
	std::vector<int> fd, fd_pte;
	std::vector<std::string> dnote;
};

// The fmap of a file of n extents over a device of dev_size bytes (see the
// head of the file).
Fmap fault_fmap(bool interleaved, uint32_t n, uint64_t dev_size)
{
	const uint64_t len = kPmd * std::max<uint64_t>(1, kV10MaxExtents / n);
	const uint64_t slots = std::max<uint64_t>(1, dev_size / len);
	auto piece = [&](uint64_t i) {
		return SimpleExtent{.device = 0, .offset = (i % slots) * len, .length = len};
	};
	Fmap f;
	if (!interleaved) {
		SimpleExtents e;
		e.reserve(n);
		for (uint32_t i = 0; i < n; i++)
			e.push_back(piece(i));
		f.extents = std::move(e);
		f.file_size = uint64_t{n} * len;
	} else {
		InterleavedExtents e;
		e.reserve(n);
		for (uint32_t i = 0; i < n; i++)
			e.push_back({.chunk_size = static_cast<uint32_t>(kPmd), .nbytes = 2 * len,
				     .strips = {piece(2 * uint64_t{i}), piece(2 * uint64_t{i} + 1)}});
		f.extents = std::move(e);
		f.file_size = uint64_t{n} * 2 * len;
	}
	return f;
}

Result<void> write_bytes(const std::string &path, const Bytes &b)
{
	std::ofstream o(path, std::ios::binary | std::ios::trunc);
	o.write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
	if (!o)
		return daemon::sys_error(EIO, path, "write");
	return {};
}

// fmapsrv serving a case directory on a private mount point; unmounted (and
// the server reaped) however the scenario ends.
class FmapsrvMount {
public:
	~FmapsrvMount()
	{
		if (pid_ > 0) {
			if (::umount2(mnt_.c_str(), 0) != 0)
				::umount2(mnt_.c_str(), MNT_DETACH);
			for (int i = 0; i < 100 && ::waitpid(pid_, nullptr, WNOHANG) == 0; i++)
				std::this_thread::sleep_for(std::chrono::milliseconds(50));
			if (::kill(pid_, 0) == 0) {
				::kill(pid_, SIGKILL);
				::waitpid(pid_, nullptr, 0);
			}
		}
		if (!dir_.empty()) {
			std::error_code ec;
			std::filesystem::remove_all(dir_, ec);
		}
	}

	Result<void> make_dirs(const std::string &work_dir)
	{
		std::string tmpl = (work_dir.empty() ? std::string("/tmp") : work_dir) + "/daxfmap-fault-XXXXXX";
		if (!::mkdtemp(tmpl.data()))
			return daemon::sys_error(errno, tmpl, "mkdtemp");
		dir_ = tmpl;
		mnt_ = dir_ + "/mnt";
		cases_ = dir_ + "/cases";
		for (const std::string &d : {mnt_, cases_})
			if (::mkdir(d.c_str(), 0755) != 0)
				return daemon::sys_error(errno, d, "mkdir");
		return {};
	}

	// Starts fmapsrv and waits for the mount; FUSE_DAX_FMAP must have been
	// negotiated at INIT, or nothing measured would be the message path.
	// With bind, fmapsrv installs the device by ioctl and binds its
	// connection to the BPF ops of that name (FMAPSRV_BIND).
	Result<void> start(const std::string &fmapsrv, const std::string &cases, const std::string &device,
			   const std::string &bind = {})
	{
		const std::string log = this->log(), devices = "0=" + device;
		pid_ = ::fork();
		if (pid_ < 0)
			return daemon::sys_error(errno, fmapsrv, "fork");
		if (pid_ == 0) {
			const int null = ::open("/dev/null", O_RDWR);
			if (null >= 0) {
				::dup2(null, 0);
				::dup2(null, 1);
			}
			if (!bind.empty())
				::setenv("FMAPSRV_BIND", bind.c_str(), 1);
			::execlp(fmapsrv.c_str(), fmapsrv.c_str(), mnt_.c_str(), cases.c_str(), devices.c_str(),
				 log.c_str(), static_cast<char *>(nullptr));
			::_exit(127);
		}
		for (int i = 0; i < 200; i++) {
			if (mounted())
				break;
			if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
				pid_ = -1;
				return Error{.errnum = ENOENT, .field = "fmapsrv",
					     .expected = "the test FUSE server (vm/guest/fmapsrv.c, --fmapsrv PATH) serving " + mnt_,
					     .found = "it exited before mounting: " + first_line(log, fmapsrv)};
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		}
		if (!mounted())
			return Error{.errnum = ETIMEDOUT, .field = "fmapsrv", .expected = "a mount on " + mnt_ + " within 10 s",
				     .found = "none"};
		// INIT is answered before the first request of ours gets through.
		struct stat st {};
		(void)::stat(mnt_.c_str(), &st);
		const std::string init = grep(log, "INIT ");
		if (init.find("offered and accepted") == std::string::npos)
			return Error{.errnum = ENOTSUP, .field = "FUSE INIT",
				     .expected = "FUSE_DAX_FMAP offered by the kernel and accepted",
				     .found = init.empty() ? "no INIT line in " + log : init};
		if (!bind.empty()) {
			// fmapsrv installs the device, then binds, right after INIT:
			// wait for its word on both.
			std::string b;
			for (int i = 0; i < 100 && (b = grep(log, "BIND ")).empty(); i++)
				std::this_thread::sleep_for(std::chrono::milliseconds(50));
			const std::string dev = grep(log, "DEVICE 0 ");
			if (dev != "DEVICE 0 " + device + " ok")
				return Error{.errnum = EBUSY, .field = "FUSE_DEV_IOC_DAX_FMAP_DEVICE",
					     .expected = "DEVICE 0 " + device + " ok in " + log,
					     .found = dev.empty() ? "no DEVICE line" : dev};
			if (b != "BIND " + bind + " ok")
				return Error{.errnum = ENOTSUP, .field = "FUSE_DEV_IOC_DAX_FMAP_BIND",
					     .expected = "BIND " + bind + " ok in " + log,
					     .found = b.empty() ? "no BIND line" : b};
		}
		return {};
	}

	// GET_FMAP requests fmapsrv logged for the file NAME.
	size_t get_fmaps(const std::string &name) const
	{
		std::ifstream f(log());
		size_t n = 0;
		for (std::string line; std::getline(f, line);)
			n += line.rfind("GET_FMAP " + name + " ", 0) == 0;
		return n;
	}

	std::string log() const { return dir_ + "/fmapsrv.log"; }
	const std::string &mnt() const { return mnt_; }
	const std::string &cases() const { return cases_; }

private:
	bool mounted() const
	{
		std::ifstream m("/proc/mounts");
		for (std::string line; std::getline(m, line);)
			if (line.find(" " + mnt_ + " ") != std::string::npos)
				return true;
		return false;
	}
	static std::string grep(const std::string &path, const std::string &what)
	{
		std::ifstream f(path);
		for (std::string line; std::getline(f, line);)
			if (line.rfind(what, 0) == 0)
				return line;
		return {};
	}
	static std::string first_line(const std::string &path, const std::string &fallback)
	{
		std::ifstream f(path);
		std::string line;
		return std::getline(f, line) ? line : "no log (is " + fallback + " on the PATH?)";
	}

	std::string dir_, mnt_, cases_;
	pid_t pid_ = -1;
};

// n distinct offsets, multiples of unit, over [0, size): evenly spaced in
// order, or random (Floyd's sampling) and shuffled.
std::vector<uint64_t> offsets(uint64_t size, uint64_t unit, size_t n, bool random, std::mt19937_64 &rng)
{
	const uint64_t units = size / unit;
	n = static_cast<size_t>(std::min<uint64_t>(n, units));
	std::vector<uint64_t> v;
	v.reserve(n);
	if (!random) {
		for (size_t k = 0; k < n; k++)
			v.push_back(k * units / n * unit);
		return v;
	}
	std::vector<uint64_t> picked;
	for (uint64_t j = units - n; j < units; j++) {
		const uint64_t t = std::uniform_int_distribution<uint64_t>(0, j)(rng);
		picked.push_back(std::find(picked.begin(), picked.end(), t) == picked.end() ? t : j);
	}
	std::shuffle(picked.begin(), picked.end(), rng);
	for (uint64_t u : picked)
		v.push_back(u * unit);
	return v;
}

enum class Kind { Pte, Pmd, Read };

struct Probe {
	size_t file, design;
	Kind kind;
	bool random;
	std::vector<uint64_t> offs; // the same every cycle (see the warm-up)
	std::vector<double> per_repeat; // us per fault, or MiB/s
	std::string note;
};

// One cycle: map the file, time first touches at offs, unmap.  Returns us.
Result<double> touch_cycle(const FaultFile &f, size_t d, Kind kind, const std::vector<uint64_t> &offs)
{
	void *p = ::mmap(nullptr, f.size, PROT_READ, MAP_SHARED, kind == Kind::Pte ? f.fd_pte[d] : f.fd[d], 0);
	if (p == MAP_FAILED)
		return daemon::sys_error(errno, f.name, "mmap");
	if (kind == Kind::Pmd && reinterpret_cast<uintptr_t>(p) % kPmd != 0) {
		::munmap(p, f.size);
		return Error{.errnum = EINVAL, .field = f.name + " mapping", .expected = "2 MiB aligned (PMD faults)",
			     .found = "mapped at " + hex(reinterpret_cast<uintptr_t>(p))};
	}
	if (::madvise(p, f.size, kind == Kind::Pte ? MADV_NOHUGEPAGE : MADV_HUGEPAGE) != 0) {
		const int err = errno;
		::munmap(p, f.size);
		return daemon::sys_error(err, f.name, "madvise");
	}
	const volatile uint8_t *b = static_cast<const uint8_t *>(p);
	unsigned sum = 0;
	const auto t0 = std::chrono::steady_clock::now();
	for (uint64_t o : offs)
		sum += b[o];
	const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
	::munmap(p, f.size);
	(void)sum;
	return us;
}

Result<double> read_cycle(const FaultFile &f, size_t d, const std::vector<uint64_t> &offs,
			  std::vector<uint8_t> &buf)
{
	const auto t0 = std::chrono::steady_clock::now();
	for (uint64_t o : offs) {
		const ssize_t n = ::pread(f.fd[d], buf.data(), kReadSize, static_cast<off_t>(o));
		if (n != static_cast<ssize_t>(kReadSize))
			return daemon::sys_error(n < 0 ? errno : EIO, f.name, "read of 1 MiB at " + hex(o));
	}
	return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

std::string_view metric_of(Kind k)
{
	switch (k) {
	case Kind::Pte: return "us_per_pte_fault";
	case Kind::Pmd: return "us_per_pmd_fault";
	case Kind::Read: return "MiB_per_s_read";
	}
	return "?";
}

// Every unused dentry and inode out of the caches: the next open of a file
// is the first of its inode (the kernel keeps the fmap with the inode).
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

// open + 4 KiB pread(2) + close of a file looked up already: us.
Result<double> open_cycle(const std::string &path, std::vector<uint8_t> &buf)
{
	const auto t0 = std::chrono::steady_clock::now();
	const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return daemon::sys_error(errno, path, "open");
	const ssize_t n = ::pread(fd, buf.data(), kPte, 0);
	const int err = errno;
	::close(fd);
	if (n != static_cast<ssize_t>(kPte))
		return daemon::sys_error(n < 0 ? err : EIO, path, "read(2) of 4 KiB");
	return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

// A design of the scenario: the message path (no hook), or a BPF design
// bound to a mount of its own over the same files.
struct Design {
	std::string row;
	std::optional<HookDesign> hook;
	HookRegistration reg;
	std::unique_ptr<FmapsrvMount> mount;
	std::string note; // not run: why
};

} // namespace

std::vector<Row> run_fault(const Config &c)
{
	std::vector<Row> rows;
	auto failed = [&](const Error &e) {
		rows.push_back({.scenario = "fault", .strategy = "message", .layout = "-", .pattern = "-",
				.metric = "us_per_pte_fault", .unit = "us", .note = "not run: " + e.message()});
		return rows; // the CLI says it: an error, not a result
	};
	auto limit = max_reply();
	if (!limit)
		return failed(limit.error());
	// A connection holds its devices exclusively (another fs-dax user gets
	// EBUSY), so every design's mount needs a device of its own: the
	// message path the first, each design the next.  The files are laid
	// out over the smallest.
	std::vector<std::string> devices;
	for (size_t b = 0, e; b <= c.dax_device.size(); b = e + 1) {
		e = c.dax_device.find(',', b);
		if (e == std::string::npos)
			e = c.dax_device.size();
		devices.push_back(c.dax_device.substr(b, e - b));
	}
	Result<uint64_t> dev_size = uint64_t{0};
	for (const std::string &dev : devices) {
		auto sz = dax_device_size(dev);
		if (!sz)
			return failed(sz.error());
		if (*dev_size == 0 || *sz < *dev_size)
			dev_size = *sz;
	}

	// The designs: the message path first (the baseline), each BPF design on
	// a mount of its own, bound to its ops.
	std::vector<Design> designs;
	designs.push_back({.row = "message"});
	for (const std::string &name : c.fault_designs) {
		if (name == "message")
			continue;
		auto h = hook_design(name);
		if (!h)
			return failed(Error{.errnum = EINVAL, .field = "--fault-designs",
					    .expected = "message, const, hash, flat, digest or fallback", .found = name});
		designs.push_back({.row = h->row, .hook = *h});
		if (designs.size() > devices.size())
			designs.back().note = "not run: no fsdax device of its own (--dax-device gives " +
					      std::to_string(devices.size()) + "; a connection holds its device exclusively)";
	}
	for (Design &d : designs)
		d.mount = std::make_unique<FmapsrvMount>();
	FmapsrvMount &m = *designs[0].mount;
	for (Design &d : designs)
		if (auto r = d.mount->make_dirs(c.work_dir); !r)
			return failed(r.error());

	// The files, as fmapsrv's cases: written before it starts (it reads them
	// once); every mount serves the same directory.
	std::vector<FaultFile> files;
	uint64_t ranges = 0;
	for (Layout l : c.layouts) {
		if (l == Layout::SimplePow2)
			continue; // the kernel walks every simple layout alike
		const bool il = l == Layout::Interleaved;
		for (uint32_t n : c.fault_extents) {
			FaultFile f{.name = std::string(il ? "i" : "s") + std::to_string(n),
				    .layout = il ? "interleaved" : "simple", .extents = n,
				    .fmap = fault_fmap(il, n, *dev_size)};
			f.ranges = f.fmap.range_count();
			f.size = f.fmap.file_size;
			f.wire = f.fmap.wire_size();
			f.fd.assign(designs.size(), -1);
			f.fd_pte.assign(designs.size(), -1);
			f.dnote.assign(designs.size(), "");
			if (f.wire > kLargestReply)
				f.note = "not run: a " + std::to_string(f.wire) + "-byte map is larger than any the kernel "
					 "takes (" + std::to_string(kLargestReply) + " bytes)";
			else if (n > kV10MaxExtents && *limit < f.wire)
				f.note = "not run: a " + std::to_string(f.wire) + "-byte map needs the kernel's large maps: " +
					 kMaxReplyParam + " is " + std::to_string(*limit) + ", needs at least " +
					 std::to_string(f.wire);
			else
				for (const std::string &name : {f.name, f.name + "-4k"})
					if (auto w = write_bytes(m.cases() + "/" + name, encode_fmap(f.fmap)); !w)
						return failed(w.error());
			if (f.note.empty())
				ranges += 2 * f.ranges;
			files.push_back(std::move(f));
		}
	}
	// ranges: both inodes of every file; a strategy's pool takes up to 3
	// entries a range (digest's index beside the extents).
	// The constant resolver places every file at one range: it measures the
	// 1-extent simple file, which it describes exactly (64 MiB at 0).
	const FaultFile *one = nullptr;
	for (const FaultFile &f : files)
		if (f.layout == "simple" && f.extents == 1 && f.note.empty())
			one = &f;

	// Register the BPF designs (before their mounts: fmapsrv binds at INIT).
	for (size_t d = 1; d < designs.size(); d++) {
		Design &de = designs[d];
		if (!de.note.empty())
			continue;
		if (de.hook->kind == HookKind::Const && !one) {
			de.note = "not run: the constant resolver measures the 1-extent simple file (--fault-extents 1)";
			continue;
		}
		const std::string instance = "benchfault" + std::to_string(::getpid()) + "_" + de.hook->ops.substr(8);
		auto reg = HookRegistration::make(*de.hook, c.hookctl, 0, one ? one->size : 0, *dev_size, instance,
						  static_cast<uint32_t>(std::min<uint64_t>(UINT32_MAX, 3 * ranges + 1024)));
		if (!reg) {
			de.note = "not run: " + reg.error().message();
			continue;
		}
		de.reg = std::move(*reg);
	}
	progress(c.progress, "fault: starting fmapsrv on " + m.mnt() + " (device 0: " + devices[0] + ")");
	if (auto r = m.start(c.fmapsrv, m.cases(), devices[0]); !r)
		return failed(r.error());
	for (size_t d = 1; d < designs.size(); d++)
		if (designs[d].note.empty())
			if (auto r = designs[d].mount->start(c.fmapsrv, m.cases(), devices[d], designs[d].hook->ops); !r)
				designs[d].note = "not run: " + r.error().message();

	// Which files each design measures, and the strategies' maps: each file
	// under its FUSE nodeid (the inode number), before its first open.
	for (size_t d = 1; d < designs.size(); d++)
		for (FaultFile &f : files) {
			Design &de = designs[d];
			if (!de.note.empty() || !f.note.empty())
				continue;
			if (de.hook->kind == HookKind::Const && &f != one) {
				f.dnote[d] = "-"; // no row: the constant resolver has one file
				continue;
			}
			if (de.hook->kind != HookKind::Strategy)
				continue;
			// flat walks a file's extents one by one (bpf_loop) at every
			// fault: at 1M extents one run would take hours under TCG.
			if (de.hook->strategy == bpf::Strategy::Flat && f.extents > kFlatMaxExtents) {
				f.dnote[d] = "not run: flat walks its extents linearly at every fault; measured up to " +
					     std::to_string(kFlatMaxExtents) + " extents";
				continue;
			}
			for (const std::string &name : {f.name, f.name + "-4k"}) {
				struct stat st {};
				const std::string path = de.mount->mnt() + "/" + name;
				if (::stat(path.c_str(), &st) != 0) {
					f.dnote[d] = "refused: " + daemon::sys_error(errno, path, "stat").message();
					break;
				}
				if (auto u = de.reg.fill(st.st_ino, f.fmap); !u) {
					f.dnote[d] = "not run: the " + de.row + " maps refuse it: " + u.error().message();
					break;
				}
			}
		}

	// Open every file once: GET_FMAP now (or the resolver's setup), the
	// fmap cached on the inode for the run; a read(2) of the first 1 MiB
	// proves DAX serves it (fmapsrv answers no READ).
	std::vector<uint8_t> buf(kReadSize);
	for (FaultFile &f : files) {
		if (!f.note.empty())
			continue;
		for (size_t d = 0; d < designs.size(); d++) {
			if (!designs[d].note.empty() || !f.dnote[d].empty())
				continue;
			for (int *fd : {&f.fd[d], &f.fd_pte[d]}) {
				const std::string path = designs[d].mount->mnt() + "/" + f.name + (fd == &f.fd[d] ? "" : "-4k");
				*fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
				if (*fd < 0) {
					f.dnote[d] = "refused: " + daemon::sys_error(errno, path, "open").message();
					break;
				}
				if (::pread(*fd, buf.data(), kReadSize, 0) != static_cast<ssize_t>(kReadSize)) {
					f.dnote[d] = "refused: " + daemon::sys_error(errno, path, "read(2) through DAX").message();
					break;
				}
			}
		}
	}
	auto runs = [&](const Probe &p) {
		return designs[p.design].note.empty() && files[p.file].note.empty() && files[p.file].dnote[p.design].empty() &&
		       p.note.empty();
	};

	// The probes of one file, kind and pattern are adjacent, a design after
	// the other, on the same offsets: the designs alternate pair by pair.
	std::vector<Probe> probes;
	const size_t pte_n = c.quick ? 64 : 512, pmd_n = c.quick ? 8 : 32, read_n = c.quick ? 8 : 64;
	std::mt19937_64 rng(c.seed);
	for (size_t i = 0; i < files.size(); i++)
		for (Kind k : {Kind::Pte, Kind::Pmd, Kind::Read})
			for (bool random : {false, true}) {
				const uint64_t unit = k == Kind::Pte ? kPte : k == Kind::Pmd ? kPmd : kReadSize;
				const size_t want = k == Kind::Pte ? pte_n : k == Kind::Pmd ? pmd_n : read_n;
				const auto offs = offsets(files[i].size, unit, want, random, rng);
				for (size_t d = 0; d < designs.size(); d++)
					probes.push_back({.file = i, .design = d, .kind = k, .random = random, .offs = offs});
			}
	auto cycle = [&](Probe &p) -> Result<double> {
		const FaultFile &f = files[p.file];
		return p.kind == Kind::Read ? read_cycle(f, p.design, p.offs, buf) : touch_cycle(f, p.design, p.kind, p.offs);
	};
	// An untimed cycle of every probe first: the first touch ever of a
	// piece also makes its DAX entry, initializes its struct pages and (in a
	// VM) faults the NVDIMM's backing memory in on the host, costs that have
	// nothing to do with the fmap and that a second mapping does not pay.
	progress(c.progress, "fault: warm-up cycle");
	for (Probe &p : probes)
		if (runs(p))
			if (auto t = cycle(p); !t)
				p.note = "refused: " + t.error().message();

	// Each repeat: `blocks` rounds in which every probe runs one cycle in
	// turn, so the machine's drift moves them all alike.
	const unsigned blocks = c.quick ? 1 : 3;
	progress(c.progress, "fault: " + std::to_string(files.size()) + " files x " + std::to_string(designs.size()) +
				     " designs x 6 probes x " + std::to_string(c.repeats) + " repeats x " +
				     std::to_string(blocks) + " cycles");
	for (unsigned rep = 0; rep < c.repeats; rep++) {
		std::vector<double> us(probes.size()), count(probes.size());
		for (unsigned b = 0; b < blocks; b++)
			for (size_t pi = 0; pi < probes.size(); pi++) {
				Probe &p = probes[pi];
				if (!runs(p))
					continue;
				auto t = cycle(p);
				if (!t) {
					p.note = "refused: " + t.error().message();
					continue;
				}
				us[pi] += *t;
				count[pi] += static_cast<double>(p.offs.size());
			}
		for (size_t pi = 0; pi < probes.size(); pi++)
			if (count[pi] > 0)
				probes[pi].per_repeat.push_back(probes[pi].kind == Kind::Read
									? count[pi] * kReadSize / kMiB / (us[pi] / 1e6)
									: us[pi] / count[pi]);
		progress(c.progress, "fault: repeat " + std::to_string(rep + 1) + "/" + std::to_string(c.repeats) + " done");
	}
	for (FaultFile &f : files)
		for (size_t d = 0; d < designs.size(); d++)
			for (int *fd : {&f.fd[d], &f.fd_pte[d]})
				if (*fd >= 0) {
					::close(*fd);
					*fd = -1;
				}

	// The open path: open + 4 KiB read + close of an evicted inode, each
	// design in turn per file (GET_FMAP for the message path and
	// fallback-first; the resolver's setup alone for a handled file).  The
	// files of V10's one-page range only.
	struct OpenProbe {
		size_t file, design;
		std::vector<double> per_repeat;
		std::string note;
	};
	std::vector<OpenProbe> opens;
	for (size_t i = 0; i < files.size(); i++)
		if (files[i].extents <= kV10MaxExtents)
			for (size_t d = 0; d < designs.size(); d++)
				opens.push_back({.file = i, .design = d});
	const unsigned open_rounds = c.quick ? 3 : 10;
	auto open_runs = [&](const OpenProbe &o) {
		return designs[o.design].note.empty() && files[o.file].note.empty() && files[o.file].dnote[o.design].empty() &&
		       o.note.empty();
	};
	progress(c.progress, "fault: first opens, " + std::to_string(open_rounds) + " rounds per repeat");
	for (unsigned rep = 0; rep < c.repeats; rep++) {
		std::vector<double> us(opens.size()), count(opens.size());
		for (unsigned r = 0; r < open_rounds; r++) {
			if (auto e = evict_inodes(); !e)
				return failed(e.error());
			for (OpenProbe &o : opens) {
				// The lookup again, untimed: only the open is measured.
				struct stat st {};
				const std::string path = designs[o.design].mount->mnt() + "/" + files[o.file].name;
				if (open_runs(o))
					(void)::stat(path.c_str(), &st);
			}
			for (size_t oi = 0; oi < opens.size(); oi++) {
				OpenProbe &o = opens[oi];
				if (!open_runs(o))
					continue;
				auto t = open_cycle(designs[o.design].mount->mnt() + "/" + files[o.file].name, buf);
				if (!t) {
					o.note = "refused: " + t.error().message();
					continue;
				}
				us[oi] += *t;
				count[oi] += 1;
			}
		}
		for (size_t oi = 0; oi < opens.size(); oi++)
			if (count[oi] > 0)
				opens[oi].per_repeat.push_back(us[oi] / count[oi]);
	}

	// Whether each design was in force: a handled file takes no GET_FMAP,
	// a file of the message path or fallback-first one per inode at least.
	auto in_force = [&](size_t file, size_t d) -> std::string {
		const FaultFile &f = files[file];
		const size_t n = designs[d].mount->get_fmaps(f.name) + designs[d].mount->get_fmaps(f.name + "-4k");
		const bool handled = designs[d].hook && designs[d].hook->kind != HookKind::Fallback;
		if (handled && n != 0)
			return "not in force: the resolver fell back, " + std::to_string(n) + " GET_FMAP sent";
		if (!handled && n < 2)
			return "not in force: " + std::to_string(n) + " GET_FMAP for 2 inodes";
		return {};
	};

	for (const Probe &p : probes) {
		const FaultFile &f = files[p.file];
		if (f.dnote[p.design] == "-")
			continue;
		const Design &de = designs[p.design];
		Row row{.scenario = "fault", .strategy = de.row, .layout = f.layout, .extents = f.extents,
			.ranges = f.ranges, .pattern = p.random ? "random" : "sequential",
			.metric = std::string(metric_of(p.kind)), .unit = p.kind == Kind::Read ? "MiB/s" : "us",
			.baseline = "1 extent", .iterations = p.offs.size() * blocks,
			.note = !de.note.empty() ? de.note : !f.note.empty() ? f.note : !f.dnote[p.design].empty() ? f.dnote[p.design] : p.note};
		if (!p.per_repeat.empty()) {
			row.note = in_force(p.file, p.design);
			if (row.note.empty())
				row.value = summarize(p.per_repeat);
		}
		rows.push_back(std::move(row));
		// BPF / native per fault, repeat by repeat (the designs alternate
		// within every repeat, so these ratios carry the run's spread).
		if (p.design > 0 && rows.back().value.n) {
			const Probe &native = probes[&p - &probes[0] - p.design];
			if (native.per_repeat.size() == p.per_repeat.size() && in_force(p.file, 0).empty()) {
				std::vector<double> r;
				for (size_t k = 0; k < p.per_repeat.size(); k++)
					r.push_back(p.kind == Kind::Read ? native.per_repeat[k] / p.per_repeat[k]
									 : p.per_repeat[k] / native.per_repeat[k]);
				Row q = rows.back();
				q.metric = "ratio_" + q.metric;
				q.unit = "x";
				q.baseline = "message";
				q.value = summarize(r);
				rows.push_back(std::move(q));
			}
		}
	}
	for (const OpenProbe &o : opens) {
		const FaultFile &f = files[o.file];
		if (f.dnote[o.design] == "-")
			continue;
		const Design &de = designs[o.design];
		Row row{.scenario = "fault", .strategy = de.row, .layout = f.layout, .extents = f.extents,
			.ranges = f.ranges, .pattern = "-", .metric = "us_per_first_open", .unit = "us",
			.baseline = "message", .iterations = open_rounds,
			.note = !de.note.empty() ? de.note : !f.note.empty() ? f.note : !f.dnote[o.design].empty() ? f.dnote[o.design] : o.note};
		if (!o.per_repeat.empty()) {
			row.note = in_force(o.file, o.design);
			if (row.note.empty())
				row.value = summarize(o.per_repeat);
		}
		rows.push_back(std::move(row));
	}
	for (Row &r : rows) {
		if (r.unit == "x")
			continue;
		for (const Row &base : rows)
			if (r.metric == "us_per_first_open" ? base.strategy == "message" && base.layout == r.layout && base.extents == r.extents
							    : base.strategy == r.strategy && base.extents == 1 &&
								      base.layout == r.layout && base.pattern == r.pattern)
				if (base.metric == r.metric && base.value.n && r.value.n)
					r.ratio = r.value.median / base.value.median;
	}
	return rows;
}

} // namespace daxfmap::bench

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
// Ratios are to the 1-extent file of the same layout, pattern and metric.
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
	// Two inodes of the same fmap: 4 KiB DAX entries stay in a file's
	// mapping after munmap and make later PMD faults there fall back, so
	// the PTE probes fault their own file (NAME-4k).
	int fd = -1, fd_pte = -1;
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
	Result<void> start(const std::string &fmapsrv, const std::string &device)
	{
		const std::string log = dir_ + "/fmapsrv.log", devices = "0=" + device;
		pid_ = ::fork();
		if (pid_ < 0)
			return daemon::sys_error(errno, fmapsrv, "fork");
		if (pid_ == 0) {
			const int null = ::open("/dev/null", O_RDWR);
			if (null >= 0) {
				::dup2(null, 0);
				::dup2(null, 1);
			}
			::execlp(fmapsrv.c_str(), fmapsrv.c_str(), mnt_.c_str(), cases_.c_str(), devices.c_str(),
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
		return {};
	}

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
	size_t file;
	Kind kind;
	bool random;
	std::vector<uint64_t> offs; // the same every cycle (see the warm-up)
	std::vector<double> per_repeat; // us per fault, or MiB/s
	std::string note;
};

// One cycle: map the file, time first touches at offs, unmap.  Returns us.
Result<double> touch_cycle(const FaultFile &f, Kind kind, const std::vector<uint64_t> &offs)
{
	void *p = ::mmap(nullptr, f.size, PROT_READ, MAP_SHARED, kind == Kind::Pte ? f.fd_pte : f.fd, 0);
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

Result<double> read_cycle(const FaultFile &f, const std::vector<uint64_t> &offs, std::vector<uint8_t> &buf)
{
	const auto t0 = std::chrono::steady_clock::now();
	for (uint64_t o : offs) {
		const ssize_t n = ::pread(f.fd, buf.data(), kReadSize, static_cast<off_t>(o));
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
	auto dev_size = dax_device_size(c.dax_device);
	if (!dev_size)
		return failed(dev_size.error());
	FmapsrvMount m;
	if (auto r = m.make_dirs(c.work_dir); !r)
		return failed(r.error());

	// The files, as fmapsrv's cases: written before it starts (it reads them once).
	std::vector<FaultFile> files;
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
			files.push_back(std::move(f));
		}
	}
	progress(c.progress, "fault: starting fmapsrv on " + m.mnt() + " (device 0: " + c.dax_device + ")");
	if (auto r = m.start(c.fmapsrv, c.dax_device); !r)
		return failed(r.error());

	// Open every file once: GET_FMAP now, the fmap cached on the inode for
	// the run; a read(2) of the first 1 MiB proves DAX serves it (fmapsrv
	// answers no READ).
	std::vector<uint8_t> buf(kReadSize);
	for (FaultFile &f : files) {
		if (!f.note.empty())
			continue;
		for (int *fd : {&f.fd, &f.fd_pte}) {
			const std::string path = m.mnt() + "/" + f.name + (fd == &f.fd ? "" : "-4k");
			*fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
			if (*fd < 0) {
				f.note = "refused: " + daemon::sys_error(errno, path, "open (GET_FMAP)").message();
				break;
			}
			if (::pread(*fd, buf.data(), kReadSize, 0) != static_cast<ssize_t>(kReadSize)) {
				f.note = "refused: " + daemon::sys_error(errno, path, "read(2) through DAX").message();
				break;
			}
		}
	}

	std::vector<Probe> probes;
	const size_t pte_n = c.quick ? 64 : 512, pmd_n = c.quick ? 8 : 32, read_n = c.quick ? 8 : 64;
	std::mt19937_64 rng(c.seed);
	for (size_t i = 0; i < files.size(); i++)
		for (Kind k : {Kind::Pte, Kind::Pmd, Kind::Read})
			for (bool random : {false, true}) {
				const uint64_t unit = k == Kind::Pte ? kPte : k == Kind::Pmd ? kPmd : kReadSize;
				const size_t want = k == Kind::Pte ? pte_n : k == Kind::Pmd ? pmd_n : read_n;
				probes.push_back({.file = i, .kind = k, .random = random,
						  .offs = offsets(files[i].size, unit, want, random, rng)});
			}
	auto cycle = [&](Probe &p) -> Result<double> {
		const FaultFile &f = files[p.file];
		return p.kind == Kind::Read ? read_cycle(f, p.offs, buf) : touch_cycle(f, p.kind, p.offs);
	};
	// An untimed cycle of every probe first: the first touch ever of a
	// piece also makes its DAX entry, initializes its struct pages and (in a
	// VM) faults the NVDIMM's backing memory in on the host, costs that have
	// nothing to do with the fmap and that a second mapping does not pay.
	progress(c.progress, "fault: warm-up cycle");
	for (Probe &p : probes)
		if (files[p.file].note.empty())
			if (auto t = cycle(p); !t)
				p.note = "refused: " + t.error().message();

	// Each repeat: `blocks` rounds in which every probe runs one cycle in
	// turn, so the machine's drift moves them all alike.
	const unsigned blocks = c.quick ? 1 : 3;
	progress(c.progress, "fault: " + std::to_string(files.size()) + " files x " + std::to_string(probes.size() / std::max<size_t>(1, files.size())) +
				     " probes x " + std::to_string(c.repeats) + " repeats x " + std::to_string(blocks) + " cycles");
	for (unsigned rep = 0; rep < c.repeats; rep++) {
		std::vector<double> us(probes.size()), count(probes.size());
		for (unsigned b = 0; b < blocks; b++)
			for (size_t pi = 0; pi < probes.size(); pi++) {
				Probe &p = probes[pi];
				if (!files[p.file].note.empty() || !p.note.empty())
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
		for (int fd : {f.fd, f.fd_pte})
			if (fd >= 0)
				::close(fd);

	for (const Probe &p : probes) {
		const FaultFile &f = files[p.file];
		Row row{.scenario = "fault", .strategy = "message", .layout = f.layout, .extents = f.extents,
			.ranges = f.ranges, .pattern = p.random ? "random" : "sequential",
			.metric = std::string(metric_of(p.kind)), .unit = p.kind == Kind::Read ? "MiB/s" : "us",
			.baseline = "1 extent", .iterations = p.offs.size() * blocks,
			.note = !f.note.empty() ? f.note : p.note};
		if (!p.per_repeat.empty())
			row.value = summarize(p.per_repeat);
		rows.push_back(std::move(row));
	}
	for (Row &r : rows)
		for (const Row &base : rows)
			if (base.extents == 1 && base.value.n && r.value.n && base.layout == r.layout &&
			    base.pattern == r.pattern && base.metric == r.metric)
				r.ratio = r.value.median / base.value.median;
	return rows;
}

} // namespace daxfmap::bench

// SPDX-License-Identifier: GPL-2.0-only
// Scenario "fs": the file system's metadata operations per second (creates,
// grows by one unit, renames), each one a durable log append, and what a
// mount of a log of many entries costs: the replay, and filling a BPF
// strategy's maps with every file, one at a time against upsert_many.  On
// an emulated device in /dev/shm (msync is nearly free there), so the
// figures are the log's and the namespace's, not a disk's.
#include <chrono>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

#include "bench/fixtures.hpp"
#include "bench/scenarios.hpp"
#include "libdaxfmap_fs/filesystem.hpp"

namespace daxfmap::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0)
{
	return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A scratch device file, removed with the object.
struct ScratchDevice {
	std::string path;
	explicit ScratchDevice(const Config &c, uint64_t size)
	{
		std::string dir = !c.work_dir.empty() ? c.work_dir : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		path = dir + "/daxfmap-bench-fs-XXXXXX";
		int fd = mkstemp(path.data());
		if (fd >= 0)
			close(fd);
		(void)fs::create_emulated(path, size, true);
	}
	~ScratchDevice() { unlink(path.c_str()); }
};

Result<std::unique_ptr<fs::FileSystem>> fresh_fs(const ScratchDevice &d, uint64_t log_size)
{
	auto dev = fs::Device::open(d.path);
	if (!dev)
		return dev.error();
	if (auto ok = fs::FileSystem::mkfs(**dev, {.log_size = log_size, .force = true}); !ok)
		return ok.error();
	auto again = fs::Device::open(d.path);
	if (!again)
		return again.error();
	return fs::FileSystem::mount(std::move(*again));
}

Row fs_row(const std::string &what, const std::string &metric, const std::string &unit, uint32_t n)
{
	return Row{.scenario = "fs", .strategy = what, .layout = "simple", .extents = n, .ranges = n,
		   .pattern = "-", .metric = metric, .unit = unit, .baseline = "-"};
}

} // namespace

std::vector<Row> run_fs(const Config &c)
{
	std::vector<Row> rows;
	const uint32_t ops = c.quick ? 500 : 5000;
	const uint32_t grow_steps = c.quick ? 50 : 200;
	const uint32_t mount_files = c.quick ? 5000 : 50000; // two log entries each: 100K entries
	// Sparse: one 2 MiB unit per file of the mount log, of which only the
	// first page is ever touched (zeroed at create).
	ScratchDevice dev(c, (uint64_t{mount_files} + 64) * fs::kUnit + (uint64_t{64} << 20));

	Row creates = fs_row("create", "ops_per_s", "ops/s", 1);
	Row grows = fs_row("grow", "ops_per_s", "ops/s", 1);
	Row renames = fs_row("rename", "ops_per_s", "ops/s", 1);
	std::vector<double> cr, gr, rn;
	for (unsigned rep = 0; rep < c.repeats; rep++) {
		progress(c.progress, "fs: creates, grows and renames, repeat " + std::to_string(rep + 1));
		auto fs = fresh_fs(dev, 64 << 20);
		if (!fs) {
			creates.note = grows.note = renames.note = "not run: " + fs.error().message();
			break;
		}
		auto t0 = Clock::now();
		for (uint32_t i = 0; i < ops; i++)
			if (auto f = (*fs)->create_file(fs::kRootIno, "f" + std::to_string(i), 0644, 0, 0, 0); !f) {
				creates.note = "failed: " + f.error().message();
				break;
			}
		cr.push_back(ops / seconds_since(t0));
		auto g = (*fs)->create_file(fs::kRootIno, "growing", 0644, 0, 0, 0);
		if (!g)
			break;
		// Grows by one 2 MiB unit each: a RESIZE entry with the new fmap.
		const uint32_t steps = grow_steps;
		t0 = Clock::now();
		for (uint32_t i = 1; i <= steps; i++)
			if (auto r = (*fs)->resize(g->ino, uint64_t{i} * fs::kUnit); !r) {
				grows.note = "failed: " + r.error().message();
				break;
			}
		gr.push_back(steps / seconds_since(t0));
		t0 = Clock::now();
		for (uint32_t i = 0; i < ops; i++) {
			const std::string from = "f" + std::to_string(i), to = "g" + std::to_string(i);
			if (auto r = (*fs)->rename(fs::kRootIno, from, fs::kRootIno, to); !r) {
				renames.note = "failed: " + r.error().message();
				break;
			}
		}
		rn.push_back(ops / seconds_since(t0));
	}
	if (!cr.empty())
		creates.value = summarize(cr);
	if (!gr.empty())
		grows.value = summarize(gr);
	if (!rn.empty())
		renames.value = summarize(rn);
	rows.insert(rows.end(), {creates, grows, renames});

	// A log of 2 * mount_files entries (create + allocate), then mounts.
	Row replay = fs_row("mount-replay", "ms_per_mount", "ms", 2 * mount_files);
	progress(c.progress, "fs: a log of " + std::to_string(2 * mount_files) + " entries");
	std::vector<std::pair<fs::Ino, Fmap>> files;
	{
		auto fs = fresh_fs(dev, 64 << 20);
		if (!fs) {
			replay.note = "not run: " + fs.error().message();
			rows.push_back(replay);
			return rows;
		}
		for (uint32_t i = 0; i < mount_files; i++) {
			auto f = (*fs)->create_file(fs::kRootIno, "m" + std::to_string(i), 0644, 0, 0, 0);
			if (!f || !(*fs)->allocate(f->ino, 4096)) {
				replay.note = "log not built: stopped at file " + std::to_string(i) +
					      (f ? "" : ": " + f.error().message());
				break;
			}
		}
	}
	std::vector<double> ms;
	for (unsigned rep = 0; rep < c.repeats && replay.note.empty(); rep++) {
		auto d = fs::Device::open(dev.path);
		if (!d)
			break;
		const auto t0 = Clock::now();
		auto fs = fs::FileSystem::mount(std::move(*d));
		ms.push_back(seconds_since(t0) * 1e3);
		if (!fs) {
			replay.note = "mount failed: " + fs.error().message();
			break;
		}
		if (rep == 0) {
			files = (*fs)->files();
			replay.iterations = (*fs)->replay_report().entries;
		}
	}
	if (!ms.empty())
		replay.value = summarize(ms);
	rows.push_back(replay);

	// Filling a strategy's maps with those files, as daxfmapd does at mount.
	for (bpf::Strategy s : c.strategies) {
		if (s == bpf::Strategy::Native || files.empty())
			continue;
		Row one = fs_row(std::string(bpf::strategy_name(s)) + " upsert", "ms_per_fill", "ms",
				 static_cast<uint32_t>(files.size()));
		Row many = one;
		many.strategy = std::string(bpf::strategy_name(s)) + " upsert_many";
		progress(c.progress, "fs: filling " + std::string(bpf::strategy_name(s)) + " with " +
					     std::to_string(files.size()) + " files");
		std::vector<double> t_one, t_many;
		for (unsigned rep = 0; rep < c.repeats; rep++) {
			auto r = bpf::make_resolver(s, {.max_files = static_cast<uint32_t>(files.back().first + 1)});
			if (!r) {
				one.note = many.note = "not run: " + r.error().message();
				break;
			}
			const std::vector<uint64_t> sizes{uint64_t{1} << 40};
			(void)(*r)->set_devices(sizes);
			auto t0 = Clock::now();
			for (const auto &[ino, fm] : files)
				if (auto u = (*r)->upsert(ino, fm); !u) {
					one.note = "failed: " + u.error().message();
					break;
				}
			t_one.push_back(seconds_since(t0) * 1e3);
			for (const auto &[ino, fm] : files)
				(void)(*r)->remove(ino);
			std::vector<bpf::Resolver::FileFmap> batch;
			batch.reserve(files.size());
			for (const auto &[ino, fm] : files)
				batch.push_back({ino, &fm});
			t0 = Clock::now();
			if (auto u = (*r)->upsert_many(batch); !u) {
				many.note = "failed: " + u.error().message();
				break;
			}
			t_many.push_back(seconds_since(t0) * 1e3);
		}
		if (!t_one.empty())
			one.value = summarize(t_one);
		if (!t_many.empty()) {
			many.value = summarize(t_many);
			if (!t_one.empty())
				many.ratio = many.value.median / one.value.median;
		}
		many.baseline = one.strategy;
		rows.push_back(one);
		rows.push_back(many);
	}
	return rows;
}

} // namespace daxfmap::bench

// SPDX-License-Identifier: GPL-2.0-only
// daxfmap bench: the message path against the BPF path, every strategy.
// Medians of repeats, ratios to native, measured in one run; tables on
// stdout, JSON/CSV/SVG plots on request, progress on stderr.
#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench/fault_hook.hpp"
#include "bench/output.hpp"
#include "bench/scenarios.hpp"
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "daxfmapd/launch.hpp"
#include "libdaxfmap/size_parse.hpp"

#include <unistd.h>

namespace daxfmap::cli {

namespace {

struct Options {
	std::vector<std::string> scenarios;
	bool quick = false;
	std::string repeats = "5";
	std::string extents;
	std::string strategies = "native,hash,flat,digest";
	std::string layouts = "simple,simple-pow2,interleaved";
	std::string seed = "1";
	std::string out_dir;
	std::string fault_extents = "1,32";
	std::string dax_device;
	std::string fmapsrv;
	std::string fault_designs = "const,digest,fallback,hash,flat";
	std::string hookctl;
	std::string open_mount;
	bool json = false;
	bool quiet = false;
};

std::vector<std::string> split(const std::string &s)
{
	std::vector<std::string> v;
	std::stringstream ss(s);
	for (std::string x; std::getline(ss, x, ',');)
		if (!x.empty())
			v.push_back(x);
	return v;
}

Result<void> write_file(const std::string &path, const std::string &data)
{
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	f << data;
	if (!f)
		return Error{.errnum = EIO, .field = path, .expected = "a writable file", .found = "write failed"};
	return {};
}

// Extent counts, each 1..1M; false (said on stderr) for a bad one.
bool parse_counts(Io &io, const std::string &list, const char *option, std::vector<uint32_t> &out)
{
	out.clear();
	for (const std::string &e : split(list)) {
		auto n = parse_size(e, option);
		if (!n || *n == 0 || *n > (1u << 20)) {
			io.err << "daxfmap bench: " << option << ": each count must be 1..1048576, found '" << e << "'\n";
			return false;
		}
		out.push_back(static_cast<uint32_t>(*n));
	}
	if (out.empty())
		io.err << "daxfmap bench: " << option << ": expected at least one count, found '" << list << "'\n";
	return !out.empty();
}

// A guest tool (fmapsrv, hookctl) beside this program (the guests' /bin),
// else from the PATH.
std::string find_beside(const std::string &tool)
{
	std::error_code ec;
	const auto beside = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / tool;
	return !ec && ::access(beside.c_str(), X_OK) == 0 ? beside.string() : tool;
}

int run(Io &io, const Options &o)
{
	bench::Config c;
	c.quick = o.quick;
	c.progress = o.quiet ? nullptr : &io.err;
	c.daemon = daemon::find_daemon();
	if (o.quick) {
		c.extent_counts = {1, 32, 1024};
		c.target_ms = 2;
	}
	auto repeats = parse_size(o.repeats, "--repeats");
	auto seed = parse_size(o.seed, "--seed");
	if (!repeats || !seed || *repeats < 5 || *repeats > 1000) {
		io.err << "daxfmap bench: --repeats must be 5..1000 (medians need at least 5) and --seed a number\n";
		return kExitUsage;
	}
	c.repeats = static_cast<unsigned>(*repeats);
	c.seed = *seed;
	if (!o.extents.empty() && !parse_counts(io, o.extents, "--extents", c.extent_counts))
		return kExitUsage;
	if (!parse_counts(io, o.fault_extents, "--fault-extents", c.fault_extents))
		return kExitUsage;
	c.dax_device = o.dax_device;
	c.open_mount = o.open_mount;
	c.fmapsrv = o.fmapsrv.empty() ? find_beside("fmapsrv") : o.fmapsrv;
	c.hookctl = o.hookctl.empty() ? find_beside("hookctl") : o.hookctl;
	c.fault_designs = split(o.fault_designs);
	for (const std::string &d : c.fault_designs)
		if (d != "message" && !bench::hook_design(d)) {
			io.err << "daxfmap bench: --fault-designs: expected const, hash, flat, digest or fallback, found '"
			       << d << "'\n";
			return kExitUsage;
		}
	c.strategies.clear();
	for (const std::string &s : split(o.strategies)) {
		auto st = bpf::parse_strategy(s);
		if (!st) {
			io.err << "daxfmap bench: --strategies: unknown strategy '" << s << "'\n";
			return kExitUsage;
		}
		c.strategies.push_back(*st);
	}
	if (std::find(c.strategies.begin(), c.strategies.end(), bpf::Strategy::Native) == c.strategies.end())
		c.strategies.insert(c.strategies.begin(), bpf::Strategy::Native); // ratios need it
	c.layouts.clear();
	for (const std::string &l : split(o.layouts)) {
		if (l == "simple")
			c.layouts.push_back(bench::Layout::Simple);
		else if (l == "simple-pow2")
			c.layouts.push_back(bench::Layout::SimplePow2);
		else if (l == "interleaved")
			c.layouts.push_back(bench::Layout::Interleaved);
		else {
			io.err << "daxfmap bench: --layouts: unknown layout '" << l << "'\n";
			return kExitUsage;
		}
	}
	std::vector<std::string> scenarios = o.scenarios;
	if (scenarios.empty())
		scenarios = {"resolve", "open", "update", "memory"};
	std::vector<bench::Row> rows;
	for (const std::string &s : scenarios) {
		std::vector<bench::Row> r;
		if (s == "resolve")
			r = bench::run_resolve(c);
		else if (s == "open")
			r = bench::run_open(c);
		else if (s == "update")
			r = bench::run_update(c);
		else if (s == "memory")
			r = bench::run_memory(c);
		else if (s == "fs")
			r = bench::run_fs(c);
		else if (s == "fault") {
			r = bench::run_fault(c);
			// Asked for by name: a fault scenario that cannot run is an error.
			if (r.size() == 1 && r[0].note.rfind("not run: ", 0) == 0) {
				io.err << "daxfmap bench: fault: " << r[0].note << "\n";
				return kExitUsage;
			}
		} else {
			io.err << "daxfmap bench: unknown scenario '" << s << "' (resolve, open, update, memory, fault, fs)\n";
			return kExitUsage;
		}
		rows.insert(rows.end(), r.begin(), r.end());
	}
	const bench::Machine m = bench::describe_machine();
	const auto j = bench::to_json(rows, m, c);
	if (o.json) {
		io.out << j.dump(2) << "\n";
	} else {
		io.out << "machine: " << m.cpu << ", " << m.cpus << " CPUs, " << m.kernel << ", " << m.date << "\n";
		bench::print_tables(io.out, rows);
	}
	if (!o.out_dir.empty()) {
		std::error_code ec;
		std::filesystem::create_directories(o.out_dir, ec);
		for (auto r : {write_file(o.out_dir + "/results.json", j.dump(2) + "\n"),
			       write_file(o.out_dir + "/results.csv", bench::to_csv(rows))})
			if (!r) {
				print_failure(io, "bench", r.error());
				return kExitUsage;
			}
		auto plots = bench::write_plots(rows, o.out_dir + "/plots");
		if (!plots)
			io.err << "daxfmap bench: " << plots.error().message() << "\n";
		else
			io.err << "daxfmap bench: wrote " << o.out_dir << "/results.json, results.csv and "
			       << plots->size() << " plots in " << o.out_dir << "/plots\n";
	}
	return kExitOk;
}

} // namespace

Verb add_bench(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("bench", "Measure the resolvers: lookup cost, opens, updates, map memory");
	cmd->add_option("SCENARIO", o->scenarios,
			"resolve, open, update, memory (default: these four); fault, fs (by name)");
	cmd->add_flag("--quick", o->quick, "A short run (1, 32 and 1K extents, short repeats):\na smoke test of the harness, not figures");
	cmd->add_option("--repeats", o->repeats, "Repeats per measurement (>= 5)")->capture_default_str();
	cmd->add_option("--extents", o->extents, "Comma-separated extent counts\n(default 1,2,32,1K,32K,1M)");
	cmd->add_option("--strategies", o->strategies, "Comma-separated strategies")->capture_default_str();
	cmd->add_option("--layouts", o->layouts, "Comma-separated: simple, simple-pow2, interleaved")
		->capture_default_str();
	cmd->add_option("--seed", o->seed, "Seed of the generated fmaps")->capture_default_str();
	cmd->add_option("--out", o->out_dir, "Write results.json, results.csv and plots/*.svg here");
	cmd->add_option("--fault-extents", o->fault_extents,
			"fault: comma-separated extent counts; over 32 need the\nkernel's large maps (fuse.dax_fmap_max_reply)")
		->capture_default_str();
	cmd->add_option("--dax-device", o->dax_device,
			"fault: the fsdax block devices the files map, one per design\n(a connection holds its device: "
			"/dev/pmem0,/dev/pmem1,...;\nthe first for the message path; only read)");
	cmd->add_option("--fmapsrv", o->fmapsrv, "fault: the test FUSE server (vm/guest/fmapsrv.c)\n(default: beside daxfmap, else PATH)");
	cmd->add_option("--fault-designs", o->fault_designs,
			"fault: the BPF designs beside the message path: const, hash,\nflat, digest, fallback (empty: none)")
		->capture_default_str();
	cmd->add_option("--hookctl", o->hookctl, "fault: the hook's registration tool (vm/guest/hookctl.c)\n(default: beside daxfmap, else PATH)");
	cmd->add_option("--open-mount", o->open_mount,
			"open on the daxfmap kernel: a daxfmapd mount with the message\npath in force, to measure the real GET_FMAP (see below)");
	cmd->add_flag("--json", o->json, "Print JSON instead of tables");
	cmd->add_flag("--quiet", o->quiet, "No progress lines on stderr");
	cmd->footer(
		"resolve: ns per lookup of a 4 KiB page, sequential and random offsets; BPF\n"
		"  strategies are timed inside the kernel (bpf_ktime_get_ns around a bpf_loop of\n"
		"  lookups, one BPF_PROG_TEST_RUN), native in userspace the same way.\n"
		"open: open + first 4 KiB access + close on a real daxfmapd mount (emulated device\n"
		"  in /dev/shm), us per open: plain (FUSE READ), message (one more round trip\n"
		"  carrying the real GET_FMAP reply, V10 validation, native resolution, a load from\n"
		"  the device), bpf-<strategy> (one in-kernel resolution, the load); ratio to message.\n"
		"  Files of 1, 2, 32 simple extents and 2, 32 strips (V10's one-page range).\n"
		"  That message row is a model (its note says so). On the daxfmap kernel,\n"
		"  --open-mount MNT measures the real thing: open + 4 KiB pread + close, the first\n"
		"  open of an evicted inode (GET_FMAP sent; drop_caches between rounds), a cached\n"
		"  one, and plain FUSE (--message-path off); ratio to kernel-first. It fills MNT's\n"
		"  file system with its files, in a directory of its own that it removes.\n"
		"update: compile-and-load throughput (extents/s) and atomic swap latency (us).\n"
		"memory: bytes per extent of each strategy's maps (fdinfo memlock, pools sized to\n"
		"  the file) against the wire format.\n"
		"fault: only on the daxfmap kernel (kernel/patches: FUSE_DAX_FMAP); says what is\n"
		"  missing elsewhere.  fmapsrv serves generated files (--fault-extents, simple and\n"
		"  interleaved) over --dax-device; us per first-touch 4 KiB PTE fault\n"
		"  (MADV_NOHUGEPAGE) and 2 MiB PMD fault, and MiB/s of 1 MiB read(2)s, sequential\n"
		"  and random; an untimed warm-up cycle, then munmap + mmap between cycles; ratio\n"
		"  to the 1-extent file.  The same files again through each --fault-designs\n"
		"  design, bound with the kernel's BPF hook on a mount of its own, alternating\n"
		"  with the message path probe by probe: bpf-const (a constant resolver: the\n"
		"  hook's own cost, the 1-extent file), bpf-hash|flat|digest (the strategies'\n"
		"  struct_ops forms over maps filled by nodeid), fallback-first (setup answers\n"
		"  FALLBACK: GET_FMAP once, then the kernel's walk); ratio_* rows are design /\n"
		"  message per repeat; us_per_first_open is open + 4 KiB read + close of an\n"
		"  evicted inode (files up to 32 extents).\n"
		"Strategies are interleaved inside every repeat, so ratios hold on a noisy machine.\n"
		"The tables end with each curve's growth from the fewest extents to the most.\n"
		"Needs root for the BPF strategies and the mount.\n\n"
		"Examples:\n  daxfmap bench --quick\n  daxfmap bench resolve --extents 1,32,1M --out bench-results\n"
		"  daxfmap bench fault --dax-device /dev/pmem0 --fault-extents 1,32,1K,32K,1M");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

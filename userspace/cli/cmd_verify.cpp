// SPDX-License-Identifier: GPL-2.0-only
// daxfmap verify FMAPS...: the differential check.  Loads the fmaps into the
// native resolver and into each BPF strategy (in the kernel), resolves the
// same queries, concentrated at extent and chunk boundaries, through all of
// them, and reports every answer that differs from native's.  With one
// MOUNTPOINT instead, a live mount's own pinned maps (verify_mount.cpp).
#include <algorithm>
#include <cerrno>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "cli/verify_mount.hpp"
#include "libdaxfmap/size_parse.hpp"
#include "libdaxfmap_bpf/differential.hpp"
#include "libdaxfmap_bpf/pinned.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::vector<std::string> files;
	std::string strategies = "hash,flat,digest";
	std::string queries = "10000";
	std::string seed = "1";
	std::string profile = "extended";
	std::string format;
	std::string bpffs_root = bpf::kDefaultBpffsRoot;
	bool json = false;
};

int run(Io &io, const Options &o)
{
	std::vector<bpf::Strategy> strategies{bpf::Strategy::Native};
	std::stringstream ss(o.strategies);
	for (std::string name; std::getline(ss, name, ',');) {
		auto s = bpf::parse_strategy(name);
		if (!s || *s == bpf::Strategy::Native) {
			io.err << "daxfmap verify: --strategies: expected hash, flat or digest, found '" << name
			       << "'\n";
			return kExitUsage;
		}
		strategies.push_back(*s);
	}
	auto queries = parse_size(o.queries, "--queries");
	auto seed = parse_size(o.seed, "--seed");
	if (!queries || !seed || *queries == 0 || *queries > UINT32_MAX) {
		io.err << "daxfmap verify: --queries must be 1..4294967295 and --seed a number\n";
		return kExitUsage;
	}

	struct stat mst;
	if (o.files.size() == 1 && ::stat(o.files.front().c_str(), &mst) == 0 && S_ISDIR(mst.st_mode))
		return verify_mount(io, {.mountpoint = o.files.front(),
					 .strategies = {strategies.begin() + 1, strategies.end()},
					 .queries = static_cast<uint32_t>(*queries), .seed = *seed,
					 .bpffs_root = o.bpffs_root, .json = o.json});

	const Limits &limits = profile_limits(o.profile);
	bpf::DiffSetup setup;
	setup.queries_per_file = static_cast<uint32_t>(*queries);
	setup.seed = *seed;
	std::vector<uint64_t> listed; // device sizes the files' devices: lists give
	uint64_t ranges = 0;
	for (const std::string &path : o.files) {
		int code = kExitOk;
		auto l = load_or_report(io, "verify", path, input_format(o.format), limits, code);
		if (!l)
			return code;
		const ValidationReport r = verdict(*l, limits);
		if (!r.ok()) {
			io.err << "daxfmap verify: " << path << ": INVALID under " << limits.name << "\n";
			print_issues(io.err, r, "  ");
			return kExitInvalid;
		}
		for (const Device &d : l->record.devices) {
			if (listed.size() <= d.index)
				listed.resize(d.index + 1, 0);
			listed[d.index] = std::max(listed[d.index], d.size);
		}
		ranges += l->record.fmap.range_count();
		setup.files.push_back(std::move(l->record.fmap));
	}
	// Devices: as listed in the files where they say, else just large enough
	// for every range (the fit a file system would have).
	setup.devices = bpf::devices_for(setup.files);
	for (size_t i = 0; i < listed.size() && i < setup.devices.size(); i++)
		if (listed[i])
			setup.devices[i] = listed[i];

	uint64_t entries = 0;
	for (const Fmap &f : setup.files)
		entries += f.range_count() + 2 * f.extent_count() + 2;
	const bpf::Options ropts{
		.max_files = static_cast<uint32_t>(setup.files.size()),
		.pool_entries = static_cast<uint32_t>(std::min<uint64_t>(entries + 64, UINT32_MAX)),
	};
	std::vector<std::unique_ptr<bpf::Resolver>> owned;
	std::vector<bpf::Resolver *> resolvers;
	for (bpf::Strategy s : strategies) {
		auto r = bpf::make_resolver(s, ropts);
		if (!r) {
			io.err << "daxfmap verify: " << bpf::strategy_name(s) << ": " << r.error().message() << "\n";
			return kExitUsage;
		}
		resolvers.push_back(r->get());
		owned.push_back(std::move(*r));
	}

	const bpf::DiffReport rep = bpf::run_differential(resolvers, setup);
	const bool ok = rep.mismatches == 0 && rep.outside_device == 0;
	if (o.json) {
		nlohmann::ordered_json j;
		j["ok"] = ok;
		j["files"] = setup.files.size();
		j["ranges"] = ranges;
		j["queries_per_file"] = setup.queries_per_file;
		for (const auto &t : rep.per_resolver)
			j["strategies"].push_back({{"strategy", bpf::strategy_name(t.strategy)},
						   {"files_held", t.files_held},
						   {"answers", t.answers},
						   {"mismatches", t.mismatches},
						   {"outside_device", t.outside_device}});
		for (int st = 0; st < DAXFMAP_STATUS_MAX; st++)
			if (rep.by_status[st])
				j["native_statuses"][std::string(status_name(static_cast<daxfmap_status>(st)))] =
					rep.by_status[st];
		j["failures"] = rep.first_failures;
		io.out << j.dump(2) << "\n";
	} else {
		io.out << setup.files.size() << " files, " << ranges << " extents and strips, "
		       << setup.queries_per_file << " queries per file\n";
		Table t({{"STRATEGY"}, {"FILES HELD", Table::Align::Right}, {"ANSWERS", Table::Align::Right},
			 {"MISMATCHES", Table::Align::Right}, {"OUTSIDE DEVICE", Table::Align::Right}});
		for (const auto &tally : rep.per_resolver)
			t.add_row({std::string(bpf::strategy_name(tally.strategy)), std::to_string(tally.files_held),
				   std::to_string(tally.answers),
				   tally.strategy == bpf::Strategy::Native ? "(reference)" : std::to_string(tally.mismatches),
				   std::to_string(tally.outside_device)});
		t.print(io.out);
		std::string statuses;
		for (int st = 0; st < DAXFMAP_STATUS_MAX; st++)
			if (rep.by_status[st])
				statuses += " " + std::string(status_name(static_cast<daxfmap_status>(st))) + "=" +
					    std::to_string(rep.by_status[st]);
		io.out << "native answers:" << statuses << "\n";
		for (const auto &f : rep.first_failures)
			io.out << "MISMATCH " << f << "\n";
		io.out << (ok ? "OK: every strategy agrees with native" : "FAILED: strategies disagree") << "\n";
	}
	return ok ? kExitOk : kExitInvalid;
}

} // namespace

Verb add_verify(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("verify", "Prove the BPF resolvers give the native resolver's answers");
	cmd->add_option("FMAPS", o->files, "fmap files (yaml, json or wire), or one daxfmap MOUNTPOINT")->required();
	cmd->add_option("--strategies", o->strategies, "Comma-separated BPF strategies to check:\nhash, flat, digest")
		->capture_default_str();
	cmd->add_option("--queries", o->queries, "Queries per file")->capture_default_str();
	cmd->add_option("--seed", o->seed, "Seed of the query generator")->capture_default_str();
	cmd->add_flag("--json", o->json, "Print the result as JSON");
	cmd->add_option("--bpffs-root", o->bpffs_root, "With a MOUNTPOINT: where its daemon pinned\nits instance")
		->capture_default_str();
	add_profile_option(cmd, o->profile);
	add_input_format_option(cmd, o->format);
	cmd->footer("Each file is loaded into every strategy (hash refuses fmaps over its inline\n"
		    "limits, which is reported, not failed); queries fall on extent and chunk\n"
		    "boundaries, +-1, the last byte and past the end, with lengths from 1 byte to\n"
		    "several chunks.  Any answer that differs from native's, errors included, or\n"
		    "that leaves its device, fails the check (exit 1).  Needs root for BPF.\n\n"
		    "With a MOUNTPOINT, the daemon's pinned maps are checked as they are (file id =\n"
		    "inode number) against each file's fmap read through the mount, which may be\n"
		    "in use meanwhile: a file whose inode generation changes while it is checked\n"
		    "(its number went to a new file) is read again, and one that vanished is\n"
		    "skipped and counted (files_skipped).  The pins are read only from a trusted\n"
		    "pin tree (see daxfmap bpf load --help).\n\n"
		    "Examples:\n  daxfmap verify examples/fmaps/*.yaml --queries 100000\n  daxfmap verify /mnt/dax");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

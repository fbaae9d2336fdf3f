// SPDX-License-Identifier: GPL-2.0-only
// daxfmap fsck DEVICE [--json] [--repair]: checks a daxfmap file system
// offline (superblock, log integrity and fullness, extents, allocator); writes
// only with --repair, and then only what no committed entry holds.
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "libdaxfmap_fs/device.hpp"
#include "libdaxfmap_fs/filesystem.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string device;
	bool json = false;
	bool repair = false;
};

unsigned percent(uint64_t part, uint64_t whole)
{
	return whole ? static_cast<unsigned>(part * 100 / whole) : 0;
}

int run(Io &io, const Options &o)
{
	auto dev = fs::Device::open(o.device, {.read_only = !o.repair});
	if (!dev) {
		print_failure(io, "fsck", dev.error());
		return kExitUsage;
	}
	std::optional<fs::LogRepair> fixed;
	if (o.repair && fs::famfs::looks_like_famfs(**dev)) {
		print_failure(io, "fsck --repair",
			      {.errnum = EROFS, .field = "device " + o.device, .expected = "daxfmap media",
			       .found = "famfs media, which daxfmap never writes (famfs's own fsck repairs it)"});
		return kExitUsage;
	}
	if (o.repair) {
		auto rep = fs::repair_log(**dev);
		if (!rep) {
			print_failure(io, "fsck --repair", rep.error());
			return kExitUsage;
		}
		fixed = *rep;
	}
	auto r = fs::fsck(**dev);
	if (!r) {
		print_failure(io, "fsck", r.error());
		return kExitUsage;
	}
	const fs::FsckReport &f = *r;
	if (o.json) {
		nlohmann::ordered_json j;
		j["device"] = o.device;
		j["media"] = std::string(fs::media_name(f.media));
		j["clean"] = f.clean();
		j["superblock_ok"] = f.superblock_ok;
		j["entries"] = f.entries;
		j["files"] = f.files;
		j["dirs"] = f.dirs;
		j["symlinks"] = f.symlinks;
		j["used_units"] = f.used_units;
		j["free_units"] = f.free_units;
		j["total_units"] = f.total_units;
		j["log"] = {{"half_bytes", f.log_half}, {"used_bytes", f.log_used},
			    {"live_bytes", f.log_live_bytes}, {"used_percent", percent(f.log_used, f.log_half)},
			    {"epoch", f.log_epoch}, {"writer_live", f.writer_live}};
		if (f.media == fs::Media::Famfs)
			j["famfs_log"] = {{"entries_used", f.famfs_log_used}, {"entries_total", f.famfs_log_slots},
					  {"bad_entries", f.famfs_log_used - f.entries},
					  {"directories", f.dirs - 1}};
		if (f.damage)
			j["damage"] = {{"offset", f.damage->offset}, {"length", f.damage->length},
				       {"seq", f.damage->seq}, {"reason", f.damage->reason},
				       {"corrupt", f.damage->corrupt}};
		if (fixed)
			j["repair"] = {{"zeroed_bytes", fixed->zeroed_bytes},
				       {"cleared_writer", fixed->cleared_writer}};
		j["warnings"] = nlohmann::ordered_json::array();
		for (const Error &e : f.warnings)
			j["warnings"].push_back(error_json(e));
		j["problems"] = nlohmann::ordered_json::array();
		for (const Error &e : f.problems)
			j["problems"].push_back(error_json(e));
		io.out << j.dump(2) << "\n";
	} else {
		if (f.media == fs::Media::Famfs)
			io.out << o.device << ": famfs media (read-only to daxfmap): " << f.famfs_log_used << " of "
			       << f.famfs_log_slots << " log entries used, " << f.famfs_log_used - f.entries
			       << " bad log entries, " << f.files << " files, " << (f.dirs ? f.dirs - 1 : 0)
			       << " directories (besides the root)\n";
		io.out << o.device << ": superblock " << (f.superblock_ok ? "ok" : "BAD") << ", " << f.entries
		       << " log entries, " << f.files << " files, " << f.dirs << " directories, "
		       << f.symlinks << " symbolic links, " << f.used_units << " of " << f.total_units << " units used, " << f.free_units << " free\n";
		if (f.media == fs::Media::Daxfmap)
			io.out << "log: " << f.log_used << " of " << f.log_half << " bytes used ("
			       << percent(f.log_used, f.log_half) << "%), " << f.log_live_bytes
			       << " after a compaction, epoch " << f.log_epoch << "\n";
		if (fixed)
			io.out << "repair: zeroed " << fixed->zeroed_bytes
			       << " uncommitted log bytes" << (fixed->cleared_writer ? ", cleared a stale writer mark" : "")
			       << "\n";
		if (f.writer_live)
			io.out << "note: a read-write mount is live, or did not unmount cleanly "
				  "(read-only mounts are refused until it unmounts or fsck --repair)\n";
		if (f.damage)
			io.out << "log damage at log+" << hex(f.damage->offset) << " (" << f.damage->length
			       << " bytes): " << f.damage->reason << "\n";
		for (const Error &e : f.warnings)
			io.out << "warning: " << e.message() << "\n";
		for (const Error &e : f.problems)
			io.out << "problem: " << e.message() << "\n";
		io.out << (f.clean() ? "clean" : "NOT CLEAN: " + std::to_string(f.problems.size()) + " problems")
		       << "\n";
	}
	return f.clean() ? kExitOk : kExitInvalid;
}

} // namespace

Verb add_fsck(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("fsck", "Check a daxfmap file system on a device (read-only)");
	cmd->add_option("DEVICE", o->device, "The device or emulated device file")->required();
	cmd->add_flag("--json", o->json, "Print the report as JSON");
	cmd->add_flag("--repair", o->repair,
		      "First zero what lies past the log's committed end (an interrupted append or\n"
		      "stray bytes) and clear a stale writer mark; never touches committed entries");
	cmd->footer("Checks the superblock, the log's commit word and every committed entry (CRC,\n"
		    "sequence, epoch, fields), that nothing but one interrupted append lies past the\n"
		    "committed end, each file's extents (aligned, inside the data area, no unit\n"
		    "shared by two files) and that the allocator's used and free units add up; says\n"
		    "how full the live log half is.  Without --repair it never writes.\n"
		    "Exit 0 clean, 1 problems found, 2 unreadable.\n\n"
		    "Example:\n  daxfmap fsck /var/tmp/daxfmap.img");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

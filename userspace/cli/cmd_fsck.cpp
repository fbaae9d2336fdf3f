// SPDX-License-Identifier: GPL-2.0-only
// daxfmap fsck DEVICE [--json]: checks a daxfmap file system offline
// (superblock, log integrity, extents, allocator); never writes.
#include <memory>
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
};

int run(Io &io, const Options &o)
{
	auto dev = fs::Device::open(o.device, {.read_only = true});
	if (!dev) {
		print_failure(io, "fsck", dev.error());
		return kExitUsage;
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
		j["clean"] = f.clean();
		j["superblock_ok"] = f.superblock_ok;
		j["entries"] = f.entries;
		j["files"] = f.files;
		j["dirs"] = f.dirs;
		j["used_units"] = f.used_units;
		j["free_units"] = f.free_units;
		j["total_units"] = f.total_units;
		if (f.damage)
			j["damage"] = {{"offset", f.damage->offset}, {"length", f.damage->length},
				       {"seq", f.damage->seq}, {"reason", f.damage->reason},
				       {"followed_by_entries", f.damage->followed_by_entries}};
		j["problems"] = nlohmann::ordered_json::array();
		for (const Error &e : f.problems)
			j["problems"].push_back(error_json(e));
		io.out << j.dump(2) << "\n";
	} else {
		io.out << o.device << ": superblock " << (f.superblock_ok ? "ok" : "BAD") << ", " << f.entries
		       << " log entries, " << f.files << " files, " << f.dirs << " directories, " << f.used_units
		       << " of " << f.total_units << " units used, " << f.free_units << " free\n";
		if (f.damage)
			io.out << "log damage at log+" << hex(f.damage->offset) << " (" << f.damage->length
			       << " bytes): " << f.damage->reason << "\n";
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
	cmd->footer("Checks the superblock, every log entry's CRC, each file's extents (aligned,\n"
		    "inside the data area, no unit shared by two files) and that the allocator's\n"
		    "used and free units add up.  Exit 0 clean, 1 problems found, 2 unreadable.\n\n"
		    "Example:\n  daxfmap fsck /var/tmp/daxfmap.img");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

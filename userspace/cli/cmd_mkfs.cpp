// SPDX-License-Identifier: GPL-2.0-only
// daxfmap mkfs DEVICE [--log-size S] [--force]: a new, empty daxfmap file
// system (superblock and metadata log) on a DAX device or an emulated one.
#include <cerrno>
#include <memory>
#include <ostream>
#include <string>

#include <sys/stat.h>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "libdaxfmap/size_parse.hpp"
#include "libdaxfmap_fs/device.hpp"
#include "libdaxfmap_fs/filesystem.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string device;
	std::string log_size;
	bool force = false;
};

constexpr std::string_view kEmulated = "emulated:";

int run(Io &io, const Options &o)
{
	fs::MkfsOptions mo;
	mo.force = o.force;
	if (!o.log_size.empty()) {
		auto l = parse_size(o.log_size, "--log-size");
		if (!l) {
			print_failure(io, "mkfs", l.error());
			return kExitUsage;
		}
		mo.log_size = *l;
	}
	std::string path = o.device;
	if (std::string_view(o.device).starts_with(kEmulated)) {
		// emulated:PATH:SIZE -- a device file created here.
		const std::string rest = o.device.substr(kEmulated.size());
		const size_t colon = rest.rfind(':');
		if (colon == std::string::npos || colon == 0) {
			print_failure(io, "mkfs", {.errnum = EINVAL, .field = "DEVICE", .expected = "emulated:PATH:SIZE",
						   .found = "'" + o.device + "'"});
			return kExitUsage;
		}
		path = rest.substr(0, colon);
		auto size = parse_size(rest.substr(colon + 1), "emulated device size");
		if (!size) {
			print_failure(io, "mkfs", size.error());
			return kExitUsage;
		}
		struct stat st;
		const bool exists = ::stat(path.c_str(), &st) == 0;
		if (exists && !o.force) {
			print_failure(io, "mkfs", {.errnum = EEXIST, .field = path,
						   .expected = "a new file for the emulated device (--force replaces it)",
						   .found = "an existing file"});
			return kExitInvalid;
		}
		if (auto r = fs::create_emulated(path, *size, o.force); !r) {
			print_failure(io, "mkfs", r.error());
			return kExitInvalid;
		}
	}
	auto dev = fs::Device::open(path);
	if (!dev) {
		print_failure(io, "mkfs", dev.error());
		return kExitInvalid;
	}
	if (auto r = fs::FileSystem::mkfs(**dev, mo); !r) {
		Error e = r.error();
		if (e.errnum == EEXIST && e.found.find("--force") == std::string::npos)
			e.found += " (daxfmap mkfs --force replaces it)";
		print_failure(io, "mkfs", e);
		return kExitInvalid;
	}
	const uint64_t data_units = ((*dev)->size() - fs::kLogOffset - mo.log_size) / fs::kUnit;
	io.out << path << ": daxfmap file system created: " << format_size((*dev)->size()) << " "
	       << fs::kind_name((*dev)->kind()) << " device, log " << format_size(mo.log_size) << " at "
	       << format_size(fs::kLogOffset) << ", " << data_units << " data units of 2 MiB\n";
	return kExitOk;
}

} // namespace

Verb add_mkfs(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("mkfs", "Make a daxfmap file system on a device");
	cmd->add_option("DEVICE", o->device,
			"/dev/daxX.Y, /dev/pmemN, an existing device file, or emulated:PATH:SIZE\n"
			"to create an emulated device file")->required();
	cmd->add_option("--log-size", o->log_size, "Metadata log size, a multiple of 2M (default 8M)");
	cmd->add_flag("--force,-f", o->force, "Replace an existing file system (or emulated device file)");
	cmd->footer("The superblock goes at offset 0, the log at 2 MiB, data after it in 2 MiB\n"
		    "units (docs/media-format.md).  An existing daxfmap file system is never\n"
		    "overwritten without --force.\n\n"
		    "Examples:\n  daxfmap mkfs emulated:/var/tmp/daxfmap.img:1G\n  daxfmap mkfs /dev/dax0.0 --force");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

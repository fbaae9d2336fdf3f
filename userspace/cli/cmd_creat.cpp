// SPDX-License-Identifier: GPL-2.0-only
// daxfmap creat PATH --size S [--strips N --chunk C] [--mode M]: a
// preallocated file in a daxfmap mount: exactly the space asked for, simple
// or striped (files written by other tools grow as they are written).
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>

#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "daxfmapd/client.hpp"
#include "libdaxfmap/size_parse.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string path;
	std::string size;
	std::string strips;
	std::string chunk;
	std::string mode = "0644";
};

int run(Io &io, const Options &o)
{
	auto size = parse_size(o.size, "--size");
	if (!size) {
		print_failure(io, "creat", size.error());
		return kExitUsage;
	}
	uint64_t strips = 0, chunk = 0;
	if (!o.strips.empty() || !o.chunk.empty()) {
		auto s = parse_size(o.strips.empty() ? "0" : o.strips, "--strips");
		auto c = parse_size(o.chunk.empty() ? "2M" : o.chunk, "--chunk");
		for (const Error *e : {s ? nullptr : &s.error(), c ? nullptr : &c.error()})
			if (e) {
				print_failure(io, "creat", *e);
				return kExitUsage;
			}
		strips = *s;
		chunk = *c;
		if (strips < 1 || strips > 256) {
			print_failure(io, "creat", {.errnum = EINVAL, .field = "--strips",
						    .expected = "1..256 when striping", .found = o.strips.empty() ? "none" : o.strips});
			return kExitUsage;
		}
	}
	char *end = nullptr;
	const unsigned long mode = std::strtoul(o.mode.c_str(), &end, 8);
	if (o.mode.empty() || *end || mode > 07777) {
		print_failure(io, "creat", {.errnum = EINVAL, .field = "--mode", .expected = "octal permission bits",
					    .found = "'" + o.mode + "'"});
		return kExitUsage;
	}
	auto fd = daemon::create_allocated(o.path, static_cast<uint32_t>(mode),
					   daemon::allocate_spec(*size, static_cast<uint32_t>(strips), chunk));
	if (!fd) {
		print_failure(io, "creat", fd.error());
		return kExitInvalid; // the command was fine; the file system said no
	}
	::close(*fd);
	return kExitOk;
}

} // namespace

Verb add_creat(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("creat", "Create a preallocated file in a daxfmap mount");
	cmd->add_option("PATH", o->path, "The new file, inside a mount")->required();
	cmd->add_option("--size,-s", o->size, "File size (4K, 2M, 1G, 0x...)")->required();
	cmd->add_option("--strips,-N", o->strips, "Stripe over N strips (interleaved extent)");
	cmd->add_option("--chunk,-C", o->chunk, "Chunk size when striping: a power of two, multiple of 2M (default 2M)");
	cmd->add_option("--mode,-m", o->mode, "Permission bits, octal")->capture_default_str();
	cmd->footer("The file's space is allocated at once, in 2 MiB units: contiguous, or striped\n"
		    "over --strips strips of --chunk chunks.  The size is fixed; writes past it fail.\n\n"
		    "Examples:\n  daxfmap creat /mnt/dax/a --size 64M\n"
		    "  daxfmap creat /mnt/dax/b --size 1G --strips 4 --chunk 2M");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

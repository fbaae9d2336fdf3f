// SPDX-License-Identifier: GPL-2.0-only
// daxfmap: inspect, convert and resolve DAX file maps (fmaps).
#include <algorithm>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"

#ifndef DAXFMAP_VERSION
#define DAXFMAP_VERSION "0.1.0"
#endif

namespace {

constexpr const char *kDescription =
	"daxfmap - file maps (fmaps) of DAX-backed FUSE files: validate them as the\n"
	"famfs-over-FUSE V10 kernel would, convert between famfs YAML, JSON and the\n"
	"GET_FMAP wire format, and resolve file offsets to device offsets.";

constexpr const char *kFooter =
	"Inputs are famfs-style YAML (.yaml/.yml), JSON (.json) or GET_FMAP wire bytes\n"
	"(.bin/.fmap); other names are sniffed, --format overrides.  An input larger\n"
	"than the largest fmap the profile accepts is refused, after reading that much.\n"
	"Every verb checks fmaps against --profile v10 by default, what the V10 kernel\n"
	"accepts; --profile extended allows more devices, extents and strips and adds\n"
	"the sanity checks V10 lacks (see any verb's --help).\n"
	"Exit status: 0 success, 1 invalid fmap or unresolvable offset, 2 usage error,\n"
	"unreadable input or output that could not be written (stdout included).\n"
	"Run 'daxfmap VERB --help' for a verb's options and examples.";

int run(int argc, char **argv)
{
	using namespace daxfmap::cli;
	CLI::App app{kDescription, "daxfmap"};
	app.footer(kFooter);
	app.set_version_flag("--version", "daxfmap " DAXFMAP_VERSION);
	app.require_subcommand(1);
	app.fallthrough(false);

	const std::vector<Verb> verbs = {
		add_validate(app),
		add_encode(app),
		add_decode(app),
		add_resolve(app),
		add_verify(app),
		add_bpf(app),
		add_bench(app),
		add_mkfs(app),
		add_mount(app),
		add_umount(app),
		add_creat(app),
		add_cp(app),
		add_mkdir(app),
		add_getmap(app),
		add_fsck(app),
		add_status(app),
	};

	// CLI11 would say "a subcommand is required" for a misspelt verb too;
	// name the word it did not know instead.
	std::string names;
	for (const auto &v : verbs)
		names += (names.empty() ? "" : ", ") + v.command->get_name();
	if (argc < 2) {
		std::cerr << "daxfmap: a command is required: " << names << " (see daxfmap --help)\n";
		return kExitUsage;
	}
	if (argv[1][0] != '-' && std::none_of(verbs.begin(), verbs.end(),
					      [&](const Verb &v) { return v.command->get_name() == argv[1]; })) {
		std::cerr << "daxfmap: unknown command '" << argv[1] << "'; the commands are " << names
			  << " (see daxfmap --help)\n";
		return kExitUsage;
	}

	int code = kExitUsage;
	std::string who = "daxfmap";
	try {
		app.parse(argc, argv);
		Io io{std::cout, std::cerr};
		for (const auto &v : verbs)
			if (v.command->parsed()) {
				who += " " + v.command->get_name();
				code = v.run(io);
			}
	} catch (const CLI::ParseError &e) {
		code = app.exit(e, std::cout, std::cerr) == 0 ? kExitOk : kExitUsage;
	}
	// Output that never arrived is a failure, whatever the verb decided.
	if (auto f = flush_stdout(std::cout); !f) {
		std::cerr << who << ": " << f.error().message() << "\n";
		code = std::max<int>(code, kExitUsage);
	}
	return code;
}

} // namespace

int main(int argc, char **argv)
{
	// The boundary: nothing escapes as an abort or a core dump.
	try {
		return run(argc, argv);
	} catch (const std::bad_alloc &) {
		std::cerr << "daxfmap: out of memory\n";
	} catch (const std::exception &e) {
		std::cerr << "daxfmap: internal error: " << e.what() << "\n";
	} catch (...) {
		std::cerr << "daxfmap: internal error\n";
	}
	return daxfmap::cli::kExitUsage;
}

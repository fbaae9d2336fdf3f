// SPDX-License-Identifier: GPL-2.0-only
// The daxfmap command line: one verb per cmd_*.cpp file.
//
// Adding a verb: write cmd_<verb>.cpp defining `Verb add_<verb>(CLI::App &)`,
// declare it below, and add one line to the list in main.cpp.
#pragma once

#include <functional>
#include <iosfwd>

#include <CLI/CLI.hpp>

namespace daxfmap::cli {

// Exit statuses shared by every verb.
enum Exit : int {
	kExitOk = 0,      // done; the fmap is valid; the query resolved
	kExitInvalid = 1, // the fmap is invalid, or the query does not resolve
	kExitUsage = 2,   // bad command line, unreadable or unparsable input, I/O error
};

struct Io {
	std::ostream &out;
	std::ostream &err;
};

// A registered verb: its subcommand, and what to run once it parsed.
struct Verb {
	CLI::App *command = nullptr;
	std::function<int(Io &)> run;
};

Verb add_validate(CLI::App &app);
Verb add_encode(CLI::App &app);
Verb add_decode(CLI::App &app);
Verb add_resolve(CLI::App &app);
Verb add_bpf(CLI::App &app);
Verb add_verify(CLI::App &app);
Verb add_bench(CLI::App &app);
// The file-system verbs: a device, the daemon, and files through a mount.
Verb add_mkfs(CLI::App &app);
Verb add_mount(CLI::App &app);
Verb add_umount(CLI::App &app);
Verb add_creat(CLI::App &app);
Verb add_cp(CLI::App &app);
Verb add_mkdir(CLI::App &app);
Verb add_getmap(CLI::App &app);
Verb add_fsck(CLI::App &app);
Verb add_status(CLI::App &app);

} // namespace daxfmap::cli

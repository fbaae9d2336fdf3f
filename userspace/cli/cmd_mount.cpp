// SPDX-License-Identifier: GPL-2.0-only
// daxfmap mount DEVICE MOUNTPOINT: starts daxfmapd on the device.  In the
// background (the default) it returns once the mount serves requests and
// prints the daemon's report, the path in force among it.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "daxfmapd/client.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string device;
	std::string mountpoint;
	bool foreground = false;
	std::string bpf_instance;
	bool no_bpf = false;
	std::string message_path = "on";
	std::string log;
	bool read_only = false;
};

// daxfmapd next to this program (the build tree, or an install), else
// $DAXFMAPD, else the PATH.
std::string daemon_path()
{
	if (const char *env = ::getenv("DAXFMAPD"); env && *env)
		return env;
	std::error_code ec;
	const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
	if (!ec) {
		const auto beside = self.parent_path() / "daxfmapd";
		if (::access(beside.c_str(), X_OK) == 0)
			return beside.string();
	}
	return "daxfmapd";
}

int run(Io &io, const Options &o)
{
	const std::string daemon = daemon_path();
	std::vector<std::string> args{daemon, o.device, o.mountpoint, "--message-path", o.message_path};
	if (!o.bpf_instance.empty())
		args.insert(args.end(), {"--bpf-instance", o.bpf_instance});
	if (o.no_bpf)
		args.push_back("--no-bpf");
	if (o.read_only)
		args.push_back("--read-only");
	auto argv_of = [](std::vector<std::string> &a) {
		std::vector<char *> v;
		for (auto &s : a)
			v.push_back(s.data());
		v.push_back(nullptr);
		return v;
	};
	if (o.foreground) {
		io.out.flush();
		auto argv = argv_of(args);
		::execvp(argv[0], argv.data());
		print_failure(io, "mount", daemon::sys_error(errno, daemon, "cannot run the daemon"));
		return kExitUsage;
	}

	int p[2];
	if (::pipe2(p, O_CLOEXEC) != 0) {
		print_failure(io, "mount", daemon::sys_error(errno, "pipe", "cannot create"));
		return kExitUsage;
	}
	args.insert(args.end(), {"--background", "--ready-fd", std::to_string(p[1])});
	if (!o.log.empty())
		args.insert(args.end(), {"--log", o.log});
	io.out.flush();
	io.err.flush();
	const pid_t pid = ::fork();
	if (pid < 0) {
		print_failure(io, "mount", daemon::sys_error(errno, "fork", "cannot start the daemon"));
		return kExitUsage;
	}
	if (pid == 0) {
		::setsid(); // outlive this command and its terminal
		::fcntl(p[1], F_SETFD, 0);
		if (int null = ::open("/dev/null", O_RDWR); null >= 0) {
			::dup2(null, STDIN_FILENO);
			::dup2(null, STDOUT_FILENO);
		}
		auto argv = argv_of(args);
		::execvp(argv[0], argv.data());
		::dprintf(STDERR_FILENO, "daxfmap mount: cannot run %s: %s\n", argv[0], std::strerror(errno));
		::_exit(kExitUsage);
	}
	::close(p[1]);
	std::string report;
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		report.append(buf, static_cast<size_t>(n));
	}
	::close(p[0]);
	if (report.find("path in force") != std::string::npos) {
		io.out << report;
		return kExitOk;
	}
	// The daemon gave up before the mount was ready; it said why on stderr.
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	io.err << "daxfmap mount: " << o.device << " was not mounted on " << o.mountpoint << " (daxfmapd exit "
	       << code << ")\n";
	return code == 2 ? kExitUsage : kExitInvalid;
}

} // namespace

Verb add_mount(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("mount", "Mount a daxfmap file system (starts daxfmapd)");
	cmd->add_option("DEVICE", o->device, "The device or emulated device file")->required();
	cmd->add_option("MOUNTPOINT", o->mountpoint, "An existing directory")->required();
	cmd->add_flag("--foreground,-F", o->foreground, "Run the daemon in this terminal until unmounted");
	cmd->add_option("--bpf-instance", o->bpf_instance, "Name of the pinned BPF instance (default: from the mountpoint)");
	cmd->add_flag("--no-bpf", o->no_bpf, "Do not load the BPF strategies");
	cmd->add_option("--message-path", o->message_path, "Accept FUSE_DAX_FMAP when the kernel offers it")
		->check(CLI::IsMember({"on", "off"}))->capture_default_str();
	cmd->add_option("--log", o->log, "Background daemon's log file (default: none)");
	cmd->add_flag("--read-only", o->read_only, "Mount read-only");
	cmd->footer("Prints which path resolves file offsets for this mount and why: bpf-hook (the\n"
		    "kernel has a BPF fmap hook), message (the kernel offered FUSE_DAX_FMAP) or plain\n"
		    "(the daemon serves read, write and mmap).  Needs root.\n\n"
		    "Example:\n  daxfmap mount /var/tmp/daxfmap.img /mnt/dax");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

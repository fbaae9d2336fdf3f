// SPDX-License-Identifier: GPL-2.0-only
#include "daxfmapd/launch.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daxfmapd/client.hpp"
#include "libdaxfmap_bpf/pin_owner.hpp"

namespace daxfmap::daemon {

std::string find_daemon()
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

Result<Launched> launch_daemon(const LaunchOptions &o)
{
	int p[2];
	if (::pipe2(p, O_CLOEXEC) != 0)
		return sys_error(errno, "pipe", "cannot create");
	std::vector<std::string> args{o.daemon, o.device, o.mountpoint};
	args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
	args.insert(args.end(), {"--ready-fd", std::to_string(p[1])});
	if (o.detach) {
		args.push_back("--background");
		if (!o.log.empty())
			args.insert(args.end(), {"--log", o.log});
	}
	std::vector<char *> argv;
	for (auto &s : args)
		argv.push_back(s.data());
	argv.push_back(nullptr);

	const pid_t pid = ::fork();
	if (pid < 0) {
		const int err = errno;
		::close(p[0]);
		::close(p[1]);
		return sys_error(err, "fork", "cannot start the daemon");
	}
	if (pid == 0) {
		if (o.detach) {
			::setsid(); // outlive the caller and its terminal
			if (int null = ::open("/dev/null", O_RDWR); null >= 0) {
				::dup2(null, STDIN_FILENO);
				::dup2(null, STDOUT_FILENO);
			}
		}
		::fcntl(p[1], F_SETFD, 0);
		::execvp(argv[0], argv.data());
		::dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], std::strerror(errno));
		::_exit(2);
	}
	::close(p[1]);
	Launched l{.pid = pid};
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		l.report.append(buf, static_cast<size_t>(n));
	}
	::close(p[0]);
	if (l.report.find("path in force") != std::string::npos)
		return l;
	// The daemon gave up before the mount was ready.
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	return Error{.errnum = code == 2 ? EINVAL : EIO, .field = o.mountpoint,
		     .expected = o.device + " mounted",
		     .found = "daxfmapd exited with status " + std::to_string(code) + " before the mount was ready"};
}

bool process_alive(pid_t pid)
{
	// A zombie has finished; its parent may just not have reaped it yet.
	return bpf::process_start(pid).has_value();
}

Result<void> unmount_and_wait(const std::string &mountpoint, pid_t pid, bool lazy,
			      std::chrono::milliseconds wait)
{
	if (::umount2(mountpoint.c_str(), lazy ? MNT_DETACH : 0) != 0) {
		Error e = sys_error(errno, mountpoint, "umount");
		if (errno == EBUSY)
			e.found += " (files are open; --lazy detaches it now)";
		return e;
	}
	if (pid <= 0)
		return {};
	const auto deadline = std::chrono::steady_clock::now() + wait;
	while (process_alive(pid)) {
		// Reap it if it is our child; harmless (ECHILD) if it is not.
		::waitpid(pid, nullptr, WNOHANG);
		if (std::chrono::steady_clock::now() > deadline)
			return Error{.errnum = ETIMEDOUT, .field = mountpoint, .expected = "daxfmapd gone after umount",
				     .found = "daxfmapd (pid " + std::to_string(pid) + ") still running after " +
					      std::to_string(wait.count()) + " ms"};
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return {};
}

} // namespace daxfmap::daemon

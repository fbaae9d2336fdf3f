// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_bpf/pin_owner.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libdaxfmap_bpf/bpf_object.hpp"
#include "libdaxfmap_bpf/hook_ops.hpp"
#include "libdaxfmap_bpf/pin_tree.hpp"

namespace daxfmap::bpf {

namespace {

constexpr const char *kDaemonTag = "daxfmapd";
constexpr const char *kBpfLoadTag = "bpf-load";

std::string owner_text(const PinOwner &o)
{
	if (o.kind == PinOwner::Kind::BpfLoad)
		return kBpfLoadTag;
	// The mountpoint last: it may hold spaces.
	return std::string(kDaemonTag) + " pid=" + std::to_string(o.pid) + " start=" + std::to_string(o.start) +
	       " mount=" + o.mountpoint;
}

std::optional<PinOwner> parse_owner(const std::string &text)
{
	if (text == kBpfLoadTag)
		return PinOwner{};
	std::istringstream in(text);
	std::string tag, pid, start;
	in >> tag >> pid >> start;
	const std::string mount_key = " mount=";
	const size_t m = text.find(mount_key);
	if (tag != kDaemonTag || pid.rfind("pid=", 0) != 0 || start.rfind("start=", 0) != 0 ||
	    m == std::string::npos)
		return std::nullopt;
	PinOwner o{.kind = PinOwner::Kind::Daemon, .mountpoint = text.substr(m + mount_key.size())};
	try {
		o.pid = static_cast<pid_t>(std::stol(pid.substr(4)));
		o.start = std::stoull(start.substr(6));
	} catch (const std::exception &) {
		return std::nullopt;
	}
	return o.pid > 0 ? std::optional(o) : std::nullopt;
}

} // namespace

std::optional<uint64_t> process_start(pid_t pid)
{
	if (pid <= 0)
		return std::nullopt;
	std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
	std::string line;
	if (!std::getline(in, line))
		return std::nullopt;
	// "pid (comm) state ppid ...": comm may hold anything, so count the
	// fields after its closing parenthesis; the start time is field 22.
	const size_t close = line.rfind(')');
	if (close == std::string::npos)
		return std::nullopt;
	std::istringstream f(line.substr(close + 1));
	std::string state, field;
	f >> state;
	if (state == "Z" || state == "X") // finished; not reaped yet
		return std::nullopt;
	for (int i = 4; i < 22 && f >> field;)
		i++;
	uint64_t start = 0;
	if (!(f >> start))
		return std::nullopt;
	return start;
}

PinOwner daemon_owner(const std::string &mountpoint)
{
	return PinOwner{.kind = PinOwner::Kind::Daemon, .pid = ::getpid(),
			.start = process_start(::getpid()).value_or(0), .mountpoint = mountpoint};
}

Result<void> record_owner(const std::string &instance_dir, const PinOwner &owner)
{
	const std::string link = instance_dir + "/" + kOwnerLink;
	if (::symlink(owner_text(owner).c_str(), link.c_str()) != 0)
		return Error{.errnum = errno, .field = "owner record " + link,
			     .found = std::string("symlink: ") + std::strerror(errno)};
	return {};
}

std::optional<PinOwner> read_owner(const std::string &instance_dir)
{
	const std::string link = instance_dir + "/" + kOwnerLink;
	char buf[PATH_MAX + 64];
	const ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf));
	if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf))
		return std::nullopt;
	return parse_owner(std::string(buf, static_cast<size_t>(n)));
}

PinState pin_state(const std::optional<PinOwner> &owner)
{
	if (!owner)
		return PinState::Unknown;
	if (owner->kind == PinOwner::Kind::BpfLoad)
		return PinState::Loaded;
	const auto start = process_start(owner->pid);
	return start && *start == owner->start ? PinState::InUse : PinState::Orphaned;
}

std::string state_name(PinState s)
{
	switch (s) {
	case PinState::InUse: return "in-use";
	case PinState::Orphaned: return "orphaned";
	case PinState::Loaded: return "loaded";
	case PinState::Unknown: return "unknown";
	}
	return "unknown";
}

std::string describe_owner(const std::string &instance, const std::optional<PinOwner> &owner)
{
	const std::string unload = "`daxfmap bpf unload --instance " + instance + "`";
	const PinState s = pin_state(owner);
	if (s == PinState::Unknown)
		return "owner unknown (no owner record); " + unload + " removes it";
	if (s == PinState::Loaded)
		return "loaded by `daxfmap bpf load`; stays until " + unload;
	const std::string daemon = "daxfmapd pid " + std::to_string(owner->pid);
	const std::string mount = owner->mountpoint.empty() ? std::string("a FUSE connection")
							     : "the mount at " + owner->mountpoint;
	if (s == PinState::InUse)
		return "in use by " + mount + " (" + daemon + ")";
	return "ORPHANED: pinned for " + mount + " by " + daemon + ", which is gone; " +
	       (owner->mountpoint.empty() ? "" : "`daxfmap umount " + owner->mountpoint + "` or ") + unload +
	       " removes it";
}

Result<std::vector<Orphan>> remove_orphans(const std::string &root, const std::string &mountpoint)
{
	std::vector<Orphan> removed;
	struct stat st;
	if (::lstat(root.c_str(), &st) != 0 || !check_bpffs(root))
		return removed; // nothing pinned there
	if (auto ok = check_pin_dirs(root, PinAccess::Write); !ok)
		return ok.error();
	std::error_code ec;
	std::vector<std::string> dirs;
	for (const auto &e : std::filesystem::directory_iterator(root, ec))
		if (e.symlink_status(ec).type() == std::filesystem::file_type::directory)
			dirs.push_back(e.path().filename().string());
	std::sort(dirs.begin(), dirs.end());
	for (const std::string &name : dirs) {
		const std::string dir = root + "/" + name;
		const auto owner = read_owner(dir);
		if (!owner || owner->kind != PinOwner::Kind::Daemon || owner->mountpoint != mountpoint ||
		    pin_state(owner) != PinState::Orphaned)
			continue;
		// Its ops stay registered after it died: remove_instance
		// unregisters them before their pin goes.
		if (auto ok = remove_instance(dir); !ok)
			return ok.error();
		removed.push_back({name, *owner});
	}
	return removed;
}

} // namespace daxfmap::bpf

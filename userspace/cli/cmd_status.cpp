// SPDX-License-Identifier: GPL-2.0-only
// daxfmap status MOUNTPOINT [--json]: what the daemon serving a mount says
// about itself: the path in force and why, the device, the BPF instance,
// space in the data area and the metadata log, and the daemon's counters
// (GET_FMAP and GET_DAXDEV answered).  All of it comes from the mount's
// root xattrs, so it needs no privilege beyond reading the mount.
#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "daxfmapd/client.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string mountpoint;
	bool json = false;
};

// "a=1 b=2" -> {a: 1, b: 2}; words that are not key=number are skipped.
std::map<std::string, uint64_t> numbers(const std::string &words)
{
	std::map<std::string, uint64_t> out;
	std::istringstream in(words);
	for (std::string w; in >> w;) {
		const size_t eq = w.find('=');
		if (eq == std::string::npos)
			continue;
		try {
			out[w.substr(0, eq)] = std::stoull(w.substr(eq + 1));
		} catch (const std::exception &) {
		}
	}
	return out;
}

int run(Io &io, const Options &o)
{
	const std::string &m = o.mountpoint;
	auto path = daemon::get_xattr(m, daemon::kXattrPath);
	if (!path) {
		Error e = path.error();
		if (e.errnum == ENODATA || e.errnum == ENOTSUP || e.errnum == EOPNOTSUPP)
			e.expected = "the root of a daxfmap mount";
		print_failure(io, "status", e);
		return kExitUsage;
	}
	auto text = [&](const char *name) {
		auto v = daemon::get_xattr(m, name);
		return v ? *v : std::string();
	};
	const std::string reason = text(daemon::kXattrPathReason);
	const std::string pid = text(daemon::kXattrPid);
	const std::string device = text(daemon::kXattrDevice);
	const std::string instance = text(daemon::kXattrBpfInstance);
	const auto counters = numbers(text(daemon::kXattrCounters));
	// "strategy=S ops=NAME not_held=N" on the bpf-hook path
	std::map<std::string, std::string> hook;
	{
		std::istringstream words(text(daemon::kXattrHook));
		for (std::string w; words >> w;)
			if (const size_t eq = w.find('='); eq != std::string::npos)
				hook[w.substr(0, eq)] = w.substr(eq + 1);
	}
	const auto space = numbers(text(daemon::kXattrSpace));

	if (o.json) {
		nlohmann::ordered_json j;
		j["mountpoint"] = m;
		j["path"] = *path;
		j["path_reason"] = reason;
		j["pid"] = pid.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(std::stoll(pid));
		j["device"] = device;
		j["bpf_instance"] = instance.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(instance);
		if (hook.count("strategy"))
			j["hook"] = {{"strategy", hook["strategy"]},
				     {"ops", hook["ops"]},
				     {"files_not_held", std::strtoull(hook["not_held"].c_str(), nullptr, 10)}};
		else
			j["hook"] = nullptr;
		j["counters"] = counters;
		j["space"] = space;
		io.out << j.dump(2) << "\n";
		return kExitOk;
	}
	Table t({{"what"}, {"value"}});
	t.add_row({"path in force", *path + (reason.empty() ? "" : " (" + reason + ")")});
	t.add_row({"daemon pid", pid});
	t.add_row({"device", device});
	t.add_row({"BPF instance", instance.empty() ? "none" : instance});
	if (hook.count("strategy"))
		t.add_row({"BPF hook", "strategy " + hook["strategy"] + ", ops " + hook["ops"] + ", " +
					       hook["not_held"] + " files not held (message path)"});
	for (const auto &[k, v] : counters)
		t.add_row({k + " answered", std::to_string(v)});
	auto get = [&](const char *k) { return space.count(k) ? space.at(k) : 0; };
	if (!space.empty()) {
		t.add_row({"data free", format_size(get("data_free")) + " of " + format_size(get("data_total")) +
						(get("data_reserved") ? " (" + format_size(get("data_reserved")) +
									       " reserved for root)"
								       : "")});
		t.add_row({"metadata log", std::to_string(get("log_used")) + " of " +
						   std::to_string(get("log_half")) + " bytes of the live half used"});
	}
	t.print(io.out);
	return kExitOk;
}

} // namespace

Verb add_status(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("status", "What the daemon serving a mount says about itself");
	cmd->add_option("MOUNTPOINT", o->mountpoint, "The root of a daxfmap mount")->required();
	cmd->add_flag("--json", o->json, "Print it as JSON");
	cmd->footer("The path in force (plain, message or bpf-hook) and why, the daemon's pid, the\n"
		    "device, the pinned BPF instance, on the bpf-hook path the strategy bound to the\n"
		    "hook and how many files it does not hold (those take the message path), the GET_FMAP and GET_DAXDEV requests the daemon\n"
		    "answered, and the free space of the data area and the metadata log.\n\n"
		    "Example:\n  daxfmap status /mnt/dax --json");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli

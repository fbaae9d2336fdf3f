// SPDX-License-Identifier: GPL-2.0-only
// daxfmap bpf load|status|unload: the BPF strategies as a named instance
// pinned in bpffs, for the daemon, bpftool and other processes to share.
#include <cerrno>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "libdaxfmap/size_parse.hpp"
#include "libdaxfmap_bpf/bpf_object.hpp"
#include "libdaxfmap_bpf/hook_ops.hpp"
#include "libdaxfmap_bpf/pin_tree.hpp"
#include "libdaxfmap_bpf/pinned.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string root = bpf::kDefaultBpffsRoot;
	std::string instance = "default";
	std::string strategies = "hash,flat,digest";
	std::string max_files = "65536";
	std::string pool_entries = "2M";
	bool json = false;
	bool all = false;
	bool force = false;
};

Result<std::vector<bpf::Strategy>> parse_strategies(const std::string &list)
{
	std::vector<bpf::Strategy> out;
	std::stringstream ss(list);
	for (std::string name; std::getline(ss, name, ',');) {
		auto s = bpf::parse_strategy(name);
		if (!s || *s == bpf::Strategy::Native)
			return Error{.errnum = EINVAL, .field = "--strategies",
				     .expected = "a comma-separated list of hash, flat, digest",
				     .found = "'" + name + "'"};
		out.push_back(*s);
	}
	if (out.empty())
		return Error{.errnum = EINVAL, .field = "--strategies", .expected = "at least one"};
	return out;
}

std::string octal(uint32_t mode)
{
	std::ostringstream s;
	s << "0" << std::oct << mode;
	return s.str();
}

int load(Io &io, const Options &o)
{
	if (auto ok = bpf::check_instance_name(o.instance); !ok) {
		print_failure(io, "bpf load", ok.error());
		return kExitUsage;
	}
	auto strategies = parse_strategies(o.strategies);
	auto max_files = parse_size(o.max_files, "--max-files");
	auto pool = parse_size(o.pool_entries, "--pool-entries");
	for (const Error *e : {strategies ? nullptr : &strategies.error(),
			       max_files ? nullptr : &max_files.error(), pool ? nullptr : &pool.error()})
		if (e) {
			print_failure(io, "bpf load", *e);
			return kExitUsage;
		}
	if (*max_files == 0 || *max_files > UINT32_MAX || *pool == 0 || *pool > UINT32_MAX) {
		print_failure(io, "bpf load", {.errnum = ERANGE, .field = "--max-files/--pool-entries",
					       .expected = "1..4294967295 entries"});
		return kExitUsage;
	}
	const std::string idir = o.root + "/" + o.instance;
	// Making the instance's directory claims the name.
	if (auto c = bpf::make_pin_dirs(idir, /*fresh=*/true); !c) {
		if (c.error().errnum == EEXIST)
			io.err << "daxfmap bpf load: instance '" << o.instance << "' is already loaded at " << idir
			       << " (daxfmap bpf unload --instance " << o.instance << ")\n";
		else
			print_failure(io, "bpf load", c.error());
		return kExitUsage;
	}
	if (auto r = bpf::record_owner(idir, bpf::PinOwner{}); !r) {
		print_failure(io, "bpf load", r.error());
		(void)bpf::unpin_dir(idir);
		return kExitUsage;
	}
	Table t({{"STRATEGY"}, {"MAPS", Table::Align::Right}, {"MAP MEMORY", Table::Align::Right}, {"PINNED AT"}});
	nlohmann::ordered_json j = nlohmann::ordered_json::array();
	for (bpf::Strategy s : *strategies) {
		const std::string dir = bpf::pin_dir(o.root, o.instance, s);
		auto r = bpf::make_resolver(s, {.max_files = static_cast<uint32_t>(*max_files),
						.pool_entries = static_cast<uint32_t>(*pool),
						.pin_dir = dir});
		if (!r) {
			io.err << "daxfmap bpf load: " << bpf::strategy_name(s) << ": " << r.error().message() << "\n";
			(void)bpf::unpin_dir(idir); // leave nothing half-loaded
			return kExitUsage;
		}
		uint64_t bytes = 0;
		size_t maps = 0;
		for (const auto &m : (*r)->memory())
			if (m.name != "daxfmap_batch") { // per-process scratch, not pinned
				bytes += m.bytes;
				maps++;
			}
		t.add_row({std::string(bpf::strategy_name(s)), std::to_string(maps), size_text(bytes), dir});
		j.push_back({{"strategy", bpf::strategy_name(s)}, {"maps", maps}, {"map_bytes", bytes}, {"dir", dir}});
	}
	if (o.json)
		io.out << j.dump(2) << "\n";
	else
		t.print(io.out);
	return kExitOk;
}

int status(Io &io, const Options &o)
{
	std::vector<bpf::PinnedInstance> instances;
	if (o.all) {
		auto l = bpf::list_instances(o.root);
		if (!l) {
			print_failure(io, "bpf status", l.error());
			return kExitUsage;
		}
		instances = std::move(*l);
	} else {
		auto i = bpf::inspect_instance(o.root, o.instance);
		if (!i) {
			print_failure(io, "bpf status", i.error());
			return kExitInvalid;
		}
		instances.push_back(std::move(*i));
	}
	if (o.json) {
		nlohmann::ordered_json j = nlohmann::ordered_json::array();
		for (const auto &inst : instances) {
			nlohmann::ordered_json ji{{"instance", inst.name}, {"dir", inst.dir},
						  {"state", bpf::state_name(inst.state)}};
			if (inst.owner && inst.owner->kind == bpf::PinOwner::Kind::Daemon)
				ji["owner"] = {{"daemon_pid", inst.owner->pid}, {"start_time", inst.owner->start},
					       {"mountpoint", inst.owner->mountpoint}};
			for (const auto &s : inst.strategies) {
				nlohmann::ordered_json js{{"strategy", s.strategy}, {"dir", s.dir}, {"mode", octal(s.dir_mode)}};
				for (const auto &m : s.maps)
					js["maps"].push_back({{"name", m.name}, {"id", m.id}, {"type", m.type},
							      {"key_size", m.key_size}, {"value_size", m.value_size},
							      {"max_entries", m.max_entries}, {"memlock", m.memlock},
							      {"fmaps", m.entries_used}, {"mode", octal(m.mode)}});
				for (const auto &p : s.progs)
					js["programs"].push_back({{"name", p.name}, {"id", p.id}, {"type", p.type},
								  {"verified_insns", p.verified_insns},
								  {"jited_bytes", p.jited_bytes}, {"mode", octal(p.mode)}});
				ji["strategies"].push_back(js);
			}
			j.push_back(ji);
		}
		io.out << j.dump(2) << "\n";
		return kExitOk;
	}
	if (instances.empty())
		io.out << "no daxfmap BPF instance is loaded under " << o.root << "\n";
	for (const auto &inst : instances) {
		io.out << "instance " << inst.name << " (" << inst.dir << "): "
		       << bpf::describe_owner(inst.name, inst.owner) << "\n";
		Table t({{"STRATEGY"}, {"KIND"}, {"NAME"}, {"ID", Table::Align::Right}, {"TYPE"},
			 {"ENTRIES", Table::Align::Right}, {"FMAPS", Table::Align::Right},
			 {"MEMORY / VERIFIED INSNS", Table::Align::Right}, {"MODE"}});
		for (const auto &s : inst.strategies) {
			for (const auto &m : s.maps)
				t.add_row({s.strategy, "map", m.name, std::to_string(m.id), m.type,
					   std::to_string(m.max_entries),
					   m.entries_used ? std::to_string(m.entries_used) : "-",
					   size_text(m.memlock), octal(m.mode)});
			for (const auto &p : s.progs)
				t.add_row({s.strategy, "prog", p.name, std::to_string(p.id), p.type, "-", "-",
					   std::to_string(p.verified_insns), octal(p.mode)});
		}
		t.print(io.out);
	}
	return kExitOk;
}

// A live mount's instance stays unless forced: without its pins, verify and
// the benchmark no longer find the maps the daemon keeps in sync.
std::optional<Error> in_use(const std::string &dir, const std::string &instance)
{
	const auto owner = bpf::read_owner(dir);
	if (bpf::pin_state(owner) != bpf::PinState::InUse)
		return std::nullopt;
	const std::string mount = owner->mountpoint.empty() ? "its FUSE connection" : owner->mountpoint;
	return Error{.errnum = EBUSY, .field = "instance " + instance,
		     .expected = "an instance no live mount uses (--force unloads it anyway)",
		     .found = "in use by the mount at " + mount + " (daxfmapd pid " + std::to_string(owner->pid) +
			      ")" + (owner->mountpoint.empty() ? "" : "; `daxfmap umount " + mount + "` unpins it")};
}

// 0 unloaded, else an exit status.
int unload_one(Io &io, const Options &o, const std::string &instance)
{
	const std::string dir = o.root + "/" + instance;
	if (auto busy = in_use(dir, instance); busy && !o.force) {
		print_failure(io, "bpf unload", *busy);
		return kExitInvalid;
	}
	// Ops a daemon registered from the instance (bpf-hook path) are
	// unregistered with it: the kernel falls back to the message path.
	if (auto r = bpf::remove_instance(dir); !r) {
		print_failure(io, "bpf unload", r.error());
		return kExitInvalid;
	}
	io.out << "unloaded " << instance << "\n";
	return kExitOk;
}

int unload(Io &io, const Options &o)
{
	if (o.all) {
		auto l = bpf::list_instances(o.root);
		if (!l) {
			print_failure(io, "bpf unload", l.error());
			return kExitUsage;
		}
		int code = kExitOk;
		for (const auto &inst : *l)
			if (int c = unload_one(io, o, inst.name); c != kExitOk)
				code = c; // the others are still unloaded
		return code;
	}
	if (auto ok = bpf::check_instance_name(o.instance); !ok) {
		print_failure(io, "bpf unload", ok.error());
		return kExitUsage;
	}
	return unload_one(io, o, o.instance);
}

} // namespace

Verb add_bpf(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("bpf", "Load, show or unload the BPF resolvers, pinned in bpffs");
	cmd->require_subcommand(1);
	auto common = [&o](CLI::App *c) {
		c->add_option("--instance", o->instance, "Instance name: /sys/fs/bpf/daxfmap/NAME")
			->capture_default_str();
		c->add_option("--bpffs-root", o->root, "Where instances are pinned")->capture_default_str();
	};
	CLI::App *ld = cmd->add_subcommand("load", "Load and pin the strategies' programs and maps");
	common(ld);
	ld->add_option("--strategies", o->strategies, "Comma-separated: hash, flat, digest")
		->capture_default_str();
	ld->add_option("--max-files", o->max_files, "Files each strategy holds (hash entries,\nfile-table slots)")
		->capture_default_str();
	ld->add_option("--pool-entries", o->pool_entries, "Pool entries of flat and digest (16-24 bytes\neach, preallocated)")
		->capture_default_str();
	ld->add_flag("--json", o->json, "Print the result as JSON");
	ld->footer("Maps and programs are pinned under <root>/<instance>/<strategy>/, directories\n"
		   "owned by root, mode 0700, and objects 0600, so only root reaches them (a\n"
		   "directory of the tree that is not is refused, as is a root not on a bpffs);\n"
		   "`bpftool map dump pinned PATH` shows the maps with their BTF types.  They stay\n"
		   "loaded until `daxfmap bpf unload`.\n\nExample:\n  daxfmap bpf load --instance test --max-files 4096");
	CLI::App *st = cmd->add_subcommand("status", "Show pinned instances: maps, memory, programs");
	common(st);
	st->add_flag("--all", o->all, "Every instance under the root");
	st->add_flag("--json", o->json, "Print the result as JSON");
	st->footer("MEMORY is the kernel's accounting of each map (fdinfo memlock); FMAPS the files\n"
		   "a map holds; for programs, the instructions the verifier processed.  Each\n"
		   "instance says who owns it: in use by a mount (its daemon runs), ORPHANED (its\n"
		   "daemon is gone, e.g. killed with -9: `daxfmap umount` or `bpf unload` removes\n"
		   "it), or loaded by `bpf load`.\n\n"
		   "Example:\n  daxfmap bpf status --all");
	CLI::App *ul = cmd->add_subcommand("unload", "Unpin an instance (the kernel frees it when unused)");
	common(ul);
	ul->add_flag("--all", o->all, "Every instance under the root");
	ul->add_flag("--force", o->force, "Unload an instance a live mount uses, too");
	ul->footer("An instance a live daxfmap mount uses (its daemon runs) is refused unless\n"
		   "--force, naming the mount: `daxfmap umount MOUNTPOINT` unpins it.  Orphaned\n"
		   "instances (their daemon died) and those `bpf load` made are unloaded.  On\n"
		   "the daxfmap kernel, the BPF hook ops a daemon registered from the instance are\n"
		   "unregistered with it (the kernel falls back to GET_FMAP).\n\n"
		   "Example:\n  daxfmap bpf unload --instance test");
	return {cmd, [o, ld, st](Io &io) {
			if (ld->parsed())
				return load(io, *o);
			if (st->parsed())
				return status(io, *o);
			return unload(io, *o);
		}};
}

} // namespace daxfmap::cli

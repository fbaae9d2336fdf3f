// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_bpf/pinned.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/daxfmap.h>

#include "libdaxfmap_bpf/pin_tree.hpp"

namespace daxfmap::bpf {

namespace fs = std::filesystem;

namespace {

uint32_t mode_of(const std::string &path)
{
	struct stat st {};
	return stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

uint64_t memlock_of(int fd)
{
	std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
	std::string key;
	uint64_t v = 0;
	while (in >> key)
		if (key == "memlock:") {
			in >> v;
			break;
		}
	return v;
}

// Fmaps a strategy map holds: live keys of the hash map, or file-table
// slots with extents.
uint64_t count_used(int fd, const bpf_map_info &info)
{
	uint64_t n = 0;
	const std::string name = info.name;
	if (info.type == BPF_MAP_TYPE_HASH && info.key_size == sizeof(uint64_t)) {
		uint64_t key, *prev = nullptr;
		while (bpf_map_get_next_key(fd, prev, &key) == 0) {
			n++;
			prev = &key;
		}
	} else if (name == "daxfmap_files" && info.value_size == sizeof(daxfmap_file)) {
		daxfmap_file f;
		for (uint32_t i = 0; i < info.max_entries; i++)
			if (bpf_map_lookup_elem(fd, &i, &f) == 0 && f.nextents)
				n++;
	}
	return n;
}

Result<PinnedStrategy> inspect_strategy(const std::string &dir, const std::string &strategy)
{
	PinnedStrategy ps{.strategy = strategy, .dir = dir, .dir_mode = mode_of(dir)};
	std::error_code ec;
	std::vector<fs::path> entries;
	for (const auto &e : fs::directory_iterator(dir, ec))
		entries.push_back(e.path());
	if (ec)
		return Error{.errnum = ec.value(), .field = dir, .found = ec.message()};
	std::sort(entries.begin(), entries.end());
	for (const fs::path &p : entries) {
		const std::string path = p.string(), file = p.filename().string();
		const int fd = bpf_obj_get(path.c_str());
		if (fd < 0)
			return Error{.errnum = errno, .field = path, .expected = "a pinned BPF object",
				     .found = std::strerror(errno)};
		if (file.rfind("prog_", 0) == 0) {
			bpf_prog_info info{};
			__u32 len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
				const char *t = libbpf_bpf_prog_type_str(static_cast<bpf_prog_type>(info.type));
				ps.progs.push_back({.name = file.substr(5), .path = path, .type = t ? t : "?",
						    .id = info.id, .mode = mode_of(path),
						    .verified_insns = info.verified_insns,
						    .xlated_bytes = info.xlated_prog_len,
						    .jited_bytes = info.jited_prog_len});
			}
		} else {
			bpf_map_info info{};
			__u32 len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
				const char *t = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(info.type));
				ps.maps.push_back({.name = file, .path = path, .type = t ? t : "?",
						   .id = info.id, .key_size = info.key_size,
						   .value_size = info.value_size,
						   .max_entries = info.max_entries, .mode = mode_of(path),
						   .memlock = memlock_of(fd),
						   .entries_used = count_used(fd, info)});
			}
		}
		close(fd);
	}
	return ps;
}

} // namespace

std::string pin_dir(const std::string &root, const std::string &instance, Strategy s)
{
	return root + "/" + instance + "/" + std::string(strategy_name(s));
}

Result<void> check_instance_name(const std::string &instance)
{
	// No dots: bpffs refuses them in names (EPERM), keeping them for its
	// own files such as maps.debug.
	const bool ok = !instance.empty() && instance.size() <= 64 &&
			std::all_of(instance.begin(), instance.end(), [](char c) {
				return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
			});
	if (ok)
		return {};
	return Error{.errnum = EINVAL, .field = "instance name",
		     .expected = "1-64 characters of [A-Za-z0-9_-] (bpffs refuses dots)",
		     .found = "'" + instance + "'"};
}

Result<PinnedInstance> inspect_instance(const std::string &root, const std::string &instance)
{
	PinnedInstance pi{.name = instance, .dir = root + "/" + instance};
	if (auto ok = check_bpffs(pi.dir); !ok)
		return ok.error();
	std::error_code ec;
	if (!fs::exists(fs::symlink_status(pi.dir, ec)))
		return Error{.errnum = ENOENT, .field = "instance " + instance,
			     .expected = "a directory " + pi.dir + " (made by `daxfmap bpf load`)",
			     .found = "nothing there"};
	if (auto ok = check_pin_dirs(pi.dir); !ok)
		return ok.error();
	pi.owner = read_owner(pi.dir);
	pi.state = pin_state(pi.owner);
	for (Strategy s : bpf_strategies()) {
		const std::string dir = pin_dir(root, instance, s);
		if (!fs::exists(fs::symlink_status(dir, ec)))
			continue;
		if (auto ok = check_pin_dirs(dir); !ok)
			return ok.error();
		auto ps = inspect_strategy(dir, std::string(strategy_name(s)));
		if (!ps)
			return ps.error();
		pi.strategies.push_back(std::move(*ps));
	}
	return pi;
}

Result<std::vector<PinnedInstance>> list_instances(const std::string &root)
{
	std::vector<PinnedInstance> out;
	if (auto ok = check_bpffs(root); !ok)
		return ok.error();
	std::error_code ec;
	if (!fs::exists(fs::symlink_status(root, ec)))
		return out;
	if (auto ok = check_pin_dirs(root); !ok)
		return ok.error();
	std::vector<std::string> names;
	for (const auto &e : fs::directory_iterator(root, ec))
		if (e.symlink_status(ec).type() == fs::file_type::directory)
			names.push_back(e.path().filename().string());
	std::sort(names.begin(), names.end());
	for (const std::string &n : names) {
		auto pi = inspect_instance(root, n);
		if (!pi)
			return pi.error();
		out.push_back(std::move(*pi));
	}
	return out;
}

} // namespace daxfmap::bpf

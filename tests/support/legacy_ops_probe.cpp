// SPDX-License-Identifier: GPL-2.0-only
#include "support/legacy_ops_probe.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "legacy_ops_probe.skel.h"
#include "libdaxfmap_bpf/hook_ops.hpp"

namespace daxfmap::testing {

namespace {

Error probe_error(int err, const std::string &doing)
{
	return Error{.errnum = err, .field = "legacy_ops_probe", .found = doing + ": " + std::strerror(err)};
}

} // namespace

std::string probe_name(const char *tag)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "dxft%s%x", tag, static_cast<unsigned>(::getpid()));
	return buf;
}

Result<std::unique_ptr<LegacyOpsProbe>> LegacyOpsProbe::register_as(const std::string &name)
{
	size_t size = 0;
	const void *elf = daxfmap_legacy_ops_probe__elf_bytes(&size);
	auto bytes = bpf::patch_ops_name({static_cast<const uint8_t *>(elf), size}, "dxf_probe", name);
	if (!bytes)
		return bytes.error();
	struct bpf_object *obj = bpf_object__open_mem(bytes->data(), bytes->size(), nullptr);
	if (!obj)
		return probe_error(errno, "open");
	auto fail = [&](int err, const std::string &doing) -> Result<std::unique_ptr<LegacyOpsProbe>> {
		bpf_object__close(obj);
		return probe_error(err, doing);
	};
	if (int err = bpf_object__load(obj); err)
		return fail(-err, "load");
	struct bpf_map *ops = bpf_object__find_map_by_name(obj, "legacy_ops_probe");
	if (!ops)
		return fail(ENOENT, "find its struct_ops map");
	// Registered through the map alone, as daxfmapd does it.
	auto fd = bpf::register_struct_ops_map(ops, name);
	if (!fd) {
		bpf_object__close(obj);
		return fd.error();
	}
	std::unique_ptr<LegacyOpsProbe> p(new LegacyOpsProbe());
	p->name_ = name;
	p->map_fd_ = *fd;
	bpf_object__close(obj);
	return p;
}

LegacyOpsProbe::~LegacyOpsProbe()
{
	if (map_fd_ < 0)
		return;
	const uint32_t key = 0;
	(void)bpf_map_delete_elem(map_fd_, &key); // ENOENT if unregistered already
	::close(map_fd_);
}

Result<void> LegacyOpsProbe::pin(const std::string &path) const
{
	if (bpf_obj_pin(map_fd_, path.c_str()) != 0)
		return probe_error(errno, "pin at " + path);
	return {};
}

bool LegacyOpsProbe::registered() const
{
	std::ifstream in("/proc/sys/net/ipv4/tcp_available_congestion_control");
	std::string word;
	while (in >> word)
		if (word == name_)
			return true;
	return false;
}

} // namespace daxfmap::testing

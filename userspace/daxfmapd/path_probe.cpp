// SPDX-License-Identifier: GPL-2.0-only
#include "daxfmapd/path_probe.hpp"

#include <cerrno>
#include <cstring>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

namespace daxfmap::daemon {

std::optional<std::string> find_bpf_hook(const std::string &btf_path, std::string &why)
{
	struct btf *btf = btf__parse(btf_path.c_str(), nullptr);
	if (!btf) {
		why = "cannot read the kernel's BTF at " + btf_path + ": " + std::strerror(errno);
		return std::nullopt;
	}
	// Gregory Price's fmap ops and Darrick Wong's iomap ops: either is a
	// hook a resolver program can attach to.
	std::optional<std::string> found;
	for (const char *name : {"fuse_dax_fmap_ops", "fuse_iomap_bpf_ops"})
		if (btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) > 0) {
			found = name;
			break;
		}
	btf__free(btf);
	if (!found)
		why = "the kernel's BTF has no fuse_dax_fmap_ops or fuse_iomap_bpf_ops struct_ops";
	return found;
}

PathInForce decide_path(const std::optional<std::string> &hook, bool hook_attached,
			const std::string &hook_why, bool kernel_offered, bool message_enabled,
			bool negotiated, const std::string &declined_why)
{
	if (hook && hook_attached)
		return {"bpf-hook", "a resolver is attached to the kernel's BPF fmap hook (struct " + *hook + ")" +
					    (hook_why.empty() ? "" : ": " + hook_why)};
	// A hook nothing is attached to resolves nothing: the kernel falls back.
	const std::string why = hook ? "the kernel has a BPF fmap hook (struct " + *hook +
					       "), but no resolver of this mount is attached to it" +
					       (hook_why.empty() ? "" : " (" + hook_why + ")")
				     : hook_why;
	if (kernel_offered && !declined_why.empty())
		return {"plain", why + "; the kernel offered FUSE_DAX_FMAP, declined: " + declined_why};
	if (kernel_offered && message_enabled && negotiated)
		return {"message", why + "; the kernel offered FUSE_DAX_FMAP (flags2 bit 11) at INIT and it was accepted"};
	if (kernel_offered && message_enabled)
		return {"plain", why + "; the kernel offered FUSE_DAX_FMAP but the INIT reply did not accept it (INIT failed, or a reply without flags2)"};
	if (kernel_offered)
		return {"plain", why + "; the kernel offered FUSE_DAX_FMAP but --message-path off declined it"};
	return {"plain", why + "; the kernel did not offer FUSE_DAX_FMAP (flags2 bit 11) at INIT, so the daemon serves read, write and mmap itself"};
}

std::string message_path_unfit(std::string_view device_kind)
{
	if (device_kind == "pmem")
		return {};
	if (device_kind == "devdax")
		return "the device is device-DAX, and the kernel's DAX file maps take pmem block "
		       "devices in fsdax mode (/dev/pmemN) only";
	return "the device is " + std::string(device_kind == "memfd" ? "a memfd" : "a regular file") +
	       ", and the kernel's DAX file maps take pmem block devices in fsdax mode (/dev/pmemN) "
	       "only: it would open the name GET_DAXDEV gives as one and fail (ENOTBLK)";
}

} // namespace daxfmap::daemon

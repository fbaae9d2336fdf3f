// SPDX-License-Identifier: GPL-2.0-only
// Which way the kernel will resolve file offsets for this mount, and why.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace daxfmap::daemon {

struct PathInForce {
	std::string name;   // "bpf-hook", "message" or "plain"
	std::string reason; // one sentence, for the mount line
};

// The struct_ops type a kernel with a BPF fmap hook defines, if the running
// kernel's BTF (`btf_path`, normally /sys/kernel/btf/vmlinux) has one;
// nullopt also when the BTF cannot be read (`why` says so).
std::optional<std::string> find_bpf_hook(const std::string &btf_path, std::string &why);

// The decision, once the INIT reply is out: the BPF hook if the kernel has
// one and a resolver of this mount is attached to it (`hook_attached`),
// else the message path if INIT offered FUSE_DAX_FMAP, it is enabled and
// the reply accepted it (negotiated), else plain FUSE.  A hook with nothing
// attached is only mentioned: the kernel takes the message path then.
// `hook_why`: with no hook, why the kernel has none; with one, what is
// attached (strategy and ops) or why nothing is (empty: nothing to say).
// `declined_why`, if not empty, says why the daemon declined an offer
// although the message path was asked for (the device is of a kind the
// kernel cannot map).
PathInForce decide_path(const std::optional<std::string> &hook, bool hook_attached,
			const std::string &hook_why, bool kernel_offered, bool message_enabled,
			bool negotiated, const std::string &declined_why = {});

// Why the message path cannot serve a device of this kind (fs::kind_name:
// "devdax", "pmem", "file", "memfd"), or "" if it can.  A kernel with the
// FUSE_DAX_FMAP series for 6.12 (kernel/patches) opens the device
// GET_DAXDEV names as a pmem block device in fsdax mode: a device-DAX
// character device or an image file fails every open there.
std::string message_path_unfit(std::string_view device_kind);

} // namespace daxfmap::daemon

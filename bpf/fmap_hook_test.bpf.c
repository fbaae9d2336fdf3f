// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test resolvers for the daxfmap kernel's BPF hook (struct fuse_dax_fmap_ops,
 * kernel/patches 0009), loaded by the guest tool vm/guest/hookctl.c:
 *
 *   hook_const  ("daxfmap_const") every file of the mount is one extent of
 *               hook_size bytes at hook_base on device 0: the hook's own
 *               cost, with no map lookup;
 *   hook_lie    ("daxfmap_lie") the same setup, but every resolve answers
 *               what the kernel must refuse (hook_lie_kind): a range past
 *               the end of the device, a device that is not installed, or a
 *               device offset in another place of its page than the file
 *               offset;
 *   hook_fallback ("daxfmap_defer") handles no file: setup answers
 *               FALLBACK, so every file takes GET_FMAP once and the kernel's
 *               walk (Darrick Wong's fallback-first contract, measured by
 *               daxfmap bench fault).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fuse_dax_fmap_ops.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by hookctl before load (.rodata) */
const volatile __u64 hook_base;		/* device offset of file offset 0 */
const volatile __u64 hook_size;		/* every file's size */
const volatile __u32 hook_lie_kind;	/* enum hook_lie */

enum hook_lie {
	HOOK_LIE_PAST_DEVICE = 0,	/* 1 TiB past the start of the device */
	HOOK_LIE_NO_DEVICE = 1,		/* device index 7: never installed */
	HOOK_LIE_MISALIGNED = 2,	/* 512 bytes off the file offset's place */
};

SEC("struct_ops/hook_setup")
int hook_setup(unsigned long long *ctx)
{
	struct fuse_dax_fmap_setup_args *args = (void *)ctx[0];
	struct fuse_dax_fmap_setup_out *out = (void *)ctx[1];

	if (!args || !out)
		return FUSE_DAX_FMAP_FALLBACK;
	out->size = hook_size;
	return FUSE_DAX_FMAP_HANDLED;
}

SEC("struct_ops/hook_const_resolve")
int hook_const_resolve(unsigned long long *ctx)
{
	struct fuse_dax_fmap_resolve_args *args = (void *)ctx[0];
	struct fuse_dax_fmap_resolve_out *out = (void *)ctx[1];
	__u64 off;

	if (!args || !out)
		return FUSE_DAX_FMAP_FALLBACK;
	off = args->offset;
	if (off >= hook_size)
		return FUSE_DAX_FMAP_FALLBACK;
	out->dev_index = 0;
	out->dev_offset = hook_base + off;
	out->length = hook_size - off;
	return FUSE_DAX_FMAP_HANDLED;
}

SEC("struct_ops/hook_lie_resolve")
int hook_lie_resolve(unsigned long long *ctx)
{
	struct fuse_dax_fmap_resolve_args *args = (void *)ctx[0];
	struct fuse_dax_fmap_resolve_out *out = (void *)ctx[1];
	__u64 off;

	if (!args || !out)
		return FUSE_DAX_FMAP_FALLBACK;
	off = args->offset;
	out->dev_index = 0;
	out->dev_offset = hook_base + off;
	out->length = args->length;
	switch (hook_lie_kind) {
	case HOOK_LIE_PAST_DEVICE:
		out->dev_offset = (1ULL << 40) + off;
		break;
	case HOOK_LIE_NO_DEVICE:
		out->dev_index = 7;
		break;
	default:
		out->dev_offset += 512;
		break;
	}
	return FUSE_DAX_FMAP_HANDLED;
}

SEC("struct_ops/hook_fallback_setup")
int hook_fallback_setup(unsigned long long *ctx)
{
	(void)ctx;
	return FUSE_DAX_FMAP_FALLBACK;
}

SEC(".struct_ops")
struct fuse_dax_fmap_ops hook_const = {
	.setup = (void *)hook_setup,
	.resolve = (void *)hook_const_resolve,
	.name = "daxfmap_const",
};

SEC(".struct_ops")
struct fuse_dax_fmap_ops hook_lie = {
	.setup = (void *)hook_setup,
	.resolve = (void *)hook_lie_resolve,
	.name = "daxfmap_lie",
};

SEC(".struct_ops")
struct fuse_dax_fmap_ops hook_fallback = {
	.setup = (void *)hook_fallback_setup,
	.resolve = (void *)hook_const_resolve,
	.name = "daxfmap_defer",	/* names are at most 15 characters */
};

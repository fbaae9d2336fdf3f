/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The types of the daxfmap kernel's BPF hook (struct_ops fuse_dax_fmap_ops,
 * kernel/patches 0009, fs/fuse/dax_fmap_bpf.c), declared as the kernel names
 * them: CO-RE relocates the field offsets against the running kernel's BTF,
 * and libbpf matches the ops' members by name.  A member's arguments come
 * as ctx[0], ctx[1] (the struct_ops calling convention).  The answers and
 * flags are in <linux/fuse_dax_fmap.h>.
 */
#ifndef __FUSE_DAX_FMAP_OPS_BPF_H
#define __FUSE_DAX_FMAP_OPS_BPF_H

#include <linux/types.h>
/* Not <linux/fuse.h>: it includes libc headers a BPF build lacks */
#include <linux/fuse_dax_fmap.h>

struct fuse_dax_fmap_setup_args {
	__u64 nodeid;
} __attribute__((preserve_access_index));

struct fuse_dax_fmap_setup_out {
	__u64 size;
} __attribute__((preserve_access_index));

struct fuse_dax_fmap_resolve_args {
	__u64 nodeid;
	__u64 offset;
	__u64 length;
	__u64 size;
	__u32 flags;
} __attribute__((preserve_access_index));

struct fuse_dax_fmap_resolve_out {
	__u64 dev_offset;
	__u64 length;
	__u32 dev_index;
} __attribute__((preserve_access_index));

struct fuse_dax_fmap_ops {
	int (*setup)(struct fuse_dax_fmap_setup_args *args,
		     struct fuse_dax_fmap_setup_out *out);
	int (*resolve)(struct fuse_dax_fmap_resolve_args *args,
		       struct fuse_dax_fmap_resolve_out *out);
	char name[FUSE_DAX_FMAP_OPS_NAME_MAX];
};

#endif /* __FUSE_DAX_FMAP_OPS_BPF_H */

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Strategy "hash" as a resolver of the daxfmap kernel's BPF hook: the
 * struct_ops map hook_hash, ops name "daxfmap_hash" (daxfmap_progs.bpf.h),
 * next to the strategy's SEC("syscall") programs and over its maps.
 */
#define DAXFMAP_HOOK_MAP	hook_hash
#define DAXFMAP_HOOK_NAME	"daxfmap_hash"

#include "hash.bpf.c"

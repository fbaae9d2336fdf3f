// SPDX-License-Identifier: GPL-2.0-only
/*
 * Strategy "digest" as a resolver of the daxfmap kernel's BPF hook: the
 * struct_ops map hook_digest, ops name "daxfmap_digest" (daxfmap_progs.bpf.h),
 * next to the strategy's SEC("syscall") programs and over its maps.
 */
#define DAXFMAP_HOOK_MAP	hook_digest
#define DAXFMAP_HOOK_NAME	"daxfmap_digest"

#include "digest.bpf.c"

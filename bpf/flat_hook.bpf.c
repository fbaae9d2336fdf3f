// SPDX-License-Identifier: GPL-2.0-only
/*
 * Strategy "flat" as a resolver of the daxfmap kernel's BPF hook: the
 * struct_ops map hook_flat, ops name "daxfmap_flat" (daxfmap_progs.bpf.h),
 * next to the strategy's SEC("syscall") programs and over its maps.
 */
#define DAXFMAP_HOOK_MAP	hook_flat
#define DAXFMAP_HOOK_NAME	"daxfmap_flat"

#include "flat.bpf.c"

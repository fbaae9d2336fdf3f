/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The three program forms every strategy exposes, generated around the
 * strategy's resolver:
 *
 *   static __always_inline void daxfmap_resolve(const struct daxfmap_query *q,
 *                                               struct daxfmap_result *r,
 *                                               __u64 *retries);
 *
 *   resolve  - one query in, its result out (struct daxfmap_resolve_ctx)
 *   batch    - daxfmap_batch slots [first, first + count)
 *   timed    - @iterations lookups over slots [0, count), timed in-kernel
 *
 * All are SEC("syscall"), run through BPF_PROG_TEST_RUN.  The resolver
 * itself takes no context, so a struct_ops or other hook can call it too:
 * with DAXFMAP_HOOK_MAP defined, the kernel hook's struct_ops (at the end).
 */
#ifndef __DAXFMAP_PROGS_BPF_H
#define __DAXFMAP_PROGS_BPF_H

/*
 * The strategy's resolver as a global function: the verifier checks it once,
 * on its own, instead of once per call site and per caller state, which
 * keeps every program far below the complexity limit on 6.1.  Returns the
 * number of re-reads caused by concurrent updates.
 */
__attribute__((noinline))
int daxfmap_resolve_global(const struct daxfmap_query *q, struct daxfmap_result *r)
{
	__u64 retries = 0;

	if (!q || !r)
		return 0;
	daxfmap_resolve(q, r, &retries);
	return (int)retries;
}

struct daxfmap_batch_state {
	__u32	first;
	__u64	retries;
};

static long daxfmap_batch_one(__u32 i, void *data)
{
	struct daxfmap_batch_state *st = data;
	struct daxfmap_batch_slot *slot;
	__u32 key = st->first + i;

	slot = bpf_map_lookup_elem(&daxfmap_batch, &key);
	if (!slot)
		return 1;
	st->retries += daxfmap_resolve_global(&slot->q, &slot->r);
	return 0;
}

struct daxfmap_timed_state {
	__u32	count;
	__u32	next;
	__u64	checksum;
	__u64	errors;
	__u64	retries;
};

static long daxfmap_timed_one(__u32 i __attribute__((unused)), void *data)
{
	struct daxfmap_timed_state *st = data;
	struct daxfmap_batch_slot *slot;
	struct daxfmap_result r = {};
	__u32 key = st->next;

	if (++st->next >= st->count)
		st->next = 0;
	slot = bpf_map_lookup_elem(&daxfmap_batch, &key);
	if (!slot)
		return 1;
	st->retries += daxfmap_resolve_global(&slot->q, &r);
	st->checksum += r.device_offset + r.length + r.status;
	if (r.status != DAXFMAP_OK)
		st->errors++;
	return 0;
}

SEC("syscall")
int resolve(struct daxfmap_resolve_ctx *ctx)
{
	struct daxfmap_query q = ctx->q;
	struct daxfmap_result r = {};

	daxfmap_resolve_global(&q, &r);
	ctx->r = r;
	return 0;
}

SEC("syscall")
int batch(struct daxfmap_batch_ctx *ctx)
{
	struct daxfmap_batch_state st = { .first = ctx->first };
	__u32 count = ctx->count;

	if (count > DAXFMAP_BATCH_MAX || st.first > DAXFMAP_BATCH_MAX - count)
		return -1;
	if (bpf_loop(count, daxfmap_batch_one, &st, 0) != count)
		return -1;
	ctx->retries = st.retries;
	return 0;
}

SEC("syscall")
int timed(struct daxfmap_timed_ctx *ctx)
{
	struct daxfmap_timed_state st = { .count = ctx->count };
	__u64 iterations = ctx->iterations;
	__u64 t0, t1;

	if (!st.count || st.count > DAXFMAP_BATCH_MAX || iterations > DAXFMAP_TIMED_MAX_ITERATIONS)
		return -1;
	t0 = bpf_ktime_get_ns();
	bpf_loop(iterations, daxfmap_timed_one, &st, 0);
	t1 = bpf_ktime_get_ns();
	ctx->elapsed_ns = t1 - t0;
	ctx->checksum = st.checksum;
	ctx->errors = st.errors;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

#ifdef DAXFMAP_HOOK_MAP
/*
 * The strategy as a resolver of the daxfmap kernel's BPF hook (struct_ops
 * fuse_dax_fmap_ops), over the same maps and through the same resolver as
 * the programs above, with the FUSE nodeid as the file id (daxfmapd's).  A
 * file the maps do not hold, and any resolution that is not DAXFMAP_OK,
 * answer FALLBACK: the kernel's message path.  A *_hook.bpf.c file defines
 * DAXFMAP_HOOK_MAP (the struct_ops map) and DAXFMAP_HOOK_NAME (the ops'
 * name) and includes the strategy.
 */
#include "fuse_dax_fmap_ops.bpf.h"

SEC("struct_ops/daxfmap_hook_setup")
int daxfmap_hook_setup(unsigned long long *ctx)
{
	struct fuse_dax_fmap_setup_args *args = (void *)ctx[0];
	struct fuse_dax_fmap_setup_out *out = (void *)ctx[1];
	__u64 size;

	if (!args || !out || daxfmap_file_size(args->nodeid, &size))
		return FUSE_DAX_FMAP_FALLBACK;
	out->size = size;
	return FUSE_DAX_FMAP_HANDLED;
}

SEC("struct_ops/daxfmap_hook_resolve")
int daxfmap_hook_resolve(unsigned long long *ctx)
{
	struct fuse_dax_fmap_resolve_args *args = (void *)ctx[0];
	struct fuse_dax_fmap_resolve_out *out = (void *)ctx[1];
	struct daxfmap_query q = {};
	struct daxfmap_result r = {};

	if (!args || !out)
		return FUSE_DAX_FMAP_FALLBACK;
	q.file_id = args->nodeid;
	q.offset = args->offset;
	q.length = args->length;
	daxfmap_resolve_global(&q, &r);
	if (r.status != DAXFMAP_OK || !r.length)
		return FUSE_DAX_FMAP_FALLBACK;
	out->dev_index = r.device;
	out->dev_offset = r.device_offset;
	out->length = r.length;
	return FUSE_DAX_FMAP_HANDLED;
}

SEC(".struct_ops")
struct fuse_dax_fmap_ops DAXFMAP_HOOK_MAP = {
	.setup = (void *)daxfmap_hook_setup,
	.resolve = (void *)daxfmap_hook_resolve,
	.name = DAXFMAP_HOOK_NAME,
};
#endif /* DAXFMAP_HOOK_MAP */

#endif /* __DAXFMAP_PROGS_BPF_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by every resolver strategy: the maps all of them have, the device
 * bounds check, and the result helpers.  The check order is the native
 * resolver's (userspace/libdaxfmap/native_resolver.hpp); the differential
 * tests compare the two bit for bit.
 */
#ifndef __DAXFMAP_COMMON_BPF_H
#define __DAXFMAP_COMMON_BPF_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include <linux/daxfmap.h>
#include <linux/fuse_dax_fmap.h>

/* Device table: index -> size in bytes (0 = none). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DAXFMAP_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct daxfmap_device);
} daxfmap_devices SEC(".maps");

/* Queries and results of the batch and timed programs; mmap-able so that
 * userspace fills and reads thousands of slots without a syscall each. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, DAXFMAP_BATCH_MAX);
	__type(key, __u32);
	__type(value, struct daxfmap_batch_slot);
} daxfmap_batch SEC(".maps");

/*
 * Loads that the compiler may neither merge nor move across each other.
 * Readers of a seqcount rely on loads not being reordered with loads, which
 * x86 (TSO) guarantees; weaker architectures need BPF load-acquire (6.15+).
 */
#define DAXFMAP_READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define daxfmap_barrier() asm volatile("" ::: "memory")

static __always_inline __u64 daxfmap_min(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

static __always_inline void daxfmap_fail(struct daxfmap_result *r, __u32 status)
{
	r->status = status;
	r->device = 0;
	r->device_offset = 0;
	r->length = 0;
}

/*
 * The range [base + within, base + within + len) of device @dev, already
 * inside its extent: check it against the device and publish it.  The sums
 * are never formed before they are known not to wrap.
 */
static __always_inline void daxfmap_finish(struct daxfmap_result *r, __u32 dev,
					   __u64 base, __u64 within, __u64 len)
{
	struct daxfmap_device *d;
	__u32 key = dev;
	__u64 size;

	d = bpf_map_lookup_elem(&daxfmap_devices, &key);
	if (!d || !d->size) {
		daxfmap_fail(r, DAXFMAP_E_NO_DEVICE);
		return;
	}
	size = d->size;
	if (base > size || within > size - base || len > size - base - within) {
		daxfmap_fail(r, DAXFMAP_E_OUT_OF_DEVICE);
		return;
	}
	r->status = DAXFMAP_OK;
	r->device = dev;
	r->device_offset = base + within;
	r->length = len;
}

/*
 * Interleave arithmetic for a query @local bytes into an interleaved
 * extent: which strip, how far into it, and how many bytes until the chunk
 * ends.  A zero shift means "not a power of two: divide".
 */
struct daxfmap_chunk_pos {
	__u64	strip;		/* strip index */
	__u64	within;		/* bytes from the strip's start */
	__u64	len;		/* min(request, bytes left in the chunk) */
};

static __always_inline void daxfmap_interleave(struct daxfmap_chunk_pos *p, __u64 local,
					       __u64 req, __u64 chunk_size, __u64 nstrips,
					       __u32 chunk_shift, __u32 strip_shift1)
{
	__u64 chunk, chunk_off, stripe;

	if (chunk_shift) {
		chunk = local >> chunk_shift;
		chunk_off = local & (chunk_size - 1);
	} else {
		chunk = local / chunk_size;
		chunk_off = local % chunk_size;
	}
	if (strip_shift1) {
		stripe = chunk >> (strip_shift1 - 1);
		p->strip = chunk & (nstrips - 1);
	} else {
		stripe = chunk / nstrips;
		p->strip = chunk % nstrips;
	}
	/* stripe * chunk_size <= local: cannot wrap. */
	p->within = stripe * chunk_size + chunk_off;
	p->len = daxfmap_min(req, chunk_size - chunk_off);
}

#endif /* __DAXFMAP_COMMON_BPF_H */

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Strategy "hash": one hash map keyed by file id, the fmap inline in the
 * value (up to 32 extents, or 2 interleaved extents of up to 16 strips),
 * resolved by the kernel's walk.  The design of the upstream prototype
 * that fills the map at open and resolves in iomap_begin.
 */
#include "daxfmap_common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);	/* userspace resizes before load */
	__type(key, __u64);
	__type(value, struct daxfmap_hash_fmap);
} daxfmap_hash_fmaps SEC(".maps");

static __always_inline void hash_simple(const struct daxfmap_hash_fmap *v, __u32 n,
					__u64 local, __u64 req, struct daxfmap_result *r)
{
	for (__u32 i = 0; i < DAXFMAP_HASH_MAX_EXTENTS; i++) {
		const struct daxfmap_hash_ext *e = &v->ext[i];
		__u64 len;

		if (i >= n)
			break;
		len = e->len;
		if (local < len) {
			daxfmap_finish(r, e->device, e->offset, local,
				       daxfmap_min(req, len - local));
			return;
		}
		local -= len;
	}
	daxfmap_fail(r, DAXFMAP_E_PAST_END);
}

static __always_inline void hash_interleaved(const struct daxfmap_hash_fmap *v, __u32 n,
					     __u64 local, __u64 req,
					     struct daxfmap_result *r)
{
	__u64 file_size = v->file_size;

	for (__u32 k = 0; k < DAXFMAP_HASH_MAX_IEXT; k++) {
		const struct daxfmap_hash_iext *ie = &v->iext[k];
		const struct daxfmap_hash_ext *s;
		struct daxfmap_chunk_pos p;
		__u64 ext_size;
		__u32 nstrips, idx;

		if (k >= n)
			break;
		/* V10 sizes every extent against the whole file. */
		ext_size = daxfmap_min(ie->nbytes, file_size);
		if (!ext_size) {
			daxfmap_fail(r, DAXFMAP_E_PAST_END);
			return;
		}
		if (local >= ext_size) {
			local -= ext_size;
			continue;
		}
		nstrips = ie->nstrips;
		if (!ie->chunk_size || !nstrips) {
			daxfmap_fail(r, DAXFMAP_E_BAD_FMAP);
			return;
		}
		daxfmap_interleave(&p, local, req, ie->chunk_size, nstrips, 0, 0);
		idx = ie->first_strip + (__u32)p.strip;
		if (idx >= DAXFMAP_HASH_MAX_EXTENTS) {
			daxfmap_fail(r, DAXFMAP_E_BAD_FMAP);
			return;
		}
		s = &v->ext[idx];
		if (p.within > s->len || p.len > s->len - p.within) {
			daxfmap_fail(r, DAXFMAP_E_OUT_OF_EXTENT);
			return;
		}
		daxfmap_finish(r, s->device, s->offset, p.within, p.len);
		return;
	}
	daxfmap_fail(r, DAXFMAP_E_PAST_END);
}

static __always_inline void daxfmap_resolve(const struct daxfmap_query *q,
					    struct daxfmap_result *r, __u64 *retries)
{
	struct daxfmap_hash_fmap *v;
	__u64 key = q->file_id;

	if (!q->length) {
		daxfmap_fail(r, DAXFMAP_E_BAD_LENGTH);
		return;
	}
	v = bpf_map_lookup_elem(&daxfmap_hash_fmaps, &key);
	if (!v) {
		daxfmap_fail(r, DAXFMAP_E_NO_FILE);
		return;
	}
	for (int attempt = 0; attempt < DAXFMAP_MAX_RETRIES; attempt++) {
		__u64 g1, t1, g2, t2, id;
		__u32 n;

		g1 = DAXFMAP_READ_ONCE(v->gen);
		t1 = DAXFMAP_READ_ONCE(v->gen_tail);
		daxfmap_barrier();
		id = v->file_id;
		n = v->nextents;
		if (v->ext_type == FUSE_DAX_EXT_SIMPLE)
			hash_simple(v, n, q->offset, q->length, r);
		else
			hash_interleaved(v, n, q->offset, q->length, r);
		daxfmap_barrier();
		g2 = DAXFMAP_READ_ONCE(v->gen);
		t2 = DAXFMAP_READ_ONCE(v->gen_tail);
		if (g1 == t1 && g1 == g2 && t1 == t2 && id == key)
			return;
		(*retries)++;
	}
	daxfmap_fail(r, DAXFMAP_E_STALE);
}

#ifdef DAXFMAP_HOOK_MAP
/* The size of file @file_id, read as daxfmap_resolve() reads an fmap; -1 if
 * the map holds none or it kept changing (the kernel hook's setup). */
static __always_inline int daxfmap_file_size(__u64 file_id, __u64 *size)
{
	const struct daxfmap_hash_fmap *v;
	__u64 key = file_id;

	v = bpf_map_lookup_elem(&daxfmap_hash_fmaps, &key);
	if (!v)
		return -1;
	for (int attempt = 0; attempt < DAXFMAP_MAX_RETRIES; attempt++) {
		__u64 g1, t1, g2, t2, id, sz;

		g1 = DAXFMAP_READ_ONCE(v->gen);
		t1 = DAXFMAP_READ_ONCE(v->gen_tail);
		daxfmap_barrier();
		id = v->file_id;
		sz = v->file_size;
		daxfmap_barrier();
		g2 = DAXFMAP_READ_ONCE(v->gen);
		t2 = DAXFMAP_READ_ONCE(v->gen_tail);
		if (g1 == t1 && g1 == g2 && t1 == t2 && id == key) {
			*size = sz;
			return 0;
		}
	}
	return -1;
}
#endif

#include "daxfmap_progs.bpf.h"

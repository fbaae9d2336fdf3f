// SPDX-License-Identifier: GPL-2.0-only
/*
 * Strategy "flat": one lookup reaches the file's own extent buffer (its run
 * in the pool, in wire order), then the kernel's walk.  The per-inode
 * buffer design: cost grows with the extents before the one wanted.
 */
#include "daxfmap_filetable.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 65536);	/* userspace resizes before load */
	__type(key, __u32);
	__type(value, struct daxfmap_flat_ent);
} daxfmap_flat_pool SEC(".maps");

struct flat_walk {
	const struct daxfmap_file *f;
	struct daxfmap_result *r;
	__u64 local;		/* bytes left to skip */
	__u64 req;
	__u32 pos;		/* pool index of the next extent (header) */
	int found;		/* 1: r is set */
};

static long flat_simple_one(__u32 i, void *data)
{
	struct flat_walk *w = data;
	struct daxfmap_flat_ent *e;
	__u32 key = w->f->base + i;

	e = bpf_map_lookup_elem(&daxfmap_flat_pool, &key);
	if (!e) {
		daxfmap_fail(w->r, DAXFMAP_E_LIMIT);
		w->found = 1;
		return 1;
	}
	if (w->local < e->d) {
		daxfmap_finish(w->r, e->a, e->c, w->local, daxfmap_min(w->req, e->d - w->local));
		w->found = 1;
		return 1;
	}
	w->local -= e->d;
	return 0;
}

static long flat_interleaved_one(__u32 i __attribute__((unused)), void *data)
{
	struct flat_walk *w = data;
	struct daxfmap_flat_ent *h, *s;
	struct daxfmap_chunk_pos p;
	__u64 ext_size;
	__u32 key = w->pos, nstrips;

	h = bpf_map_lookup_elem(&daxfmap_flat_pool, &key);
	if (!h) {
		daxfmap_fail(w->r, DAXFMAP_E_LIMIT);
		w->found = 1;
		return 1;
	}
	nstrips = h->a;
	ext_size = daxfmap_min(h->c, w->f->file_size);
	if (!ext_size) {
		daxfmap_fail(w->r, DAXFMAP_E_PAST_END);
		w->found = 1;
		return 1;
	}
	if (w->local >= ext_size) {
		w->local -= ext_size;
		w->pos += 1 + nstrips;
		return 0;
	}
	if (!h->b || !nstrips) {
		daxfmap_fail(w->r, DAXFMAP_E_BAD_FMAP);
		w->found = 1;
		return 1;
	}
	daxfmap_interleave(&p, w->local, w->req, h->b, nstrips, 0, 0);
	key = w->pos + 1 + (__u32)p.strip;
	s = bpf_map_lookup_elem(&daxfmap_flat_pool, &key);
	if (!s)
		daxfmap_fail(w->r, DAXFMAP_E_LIMIT);
	else if (p.within > s->d || p.len > s->d - p.within)
		daxfmap_fail(w->r, DAXFMAP_E_OUT_OF_EXTENT);
	else
		daxfmap_finish(w->r, s->a, s->c, p.within, p.len);
	w->found = 1;
	return 1;
}

static __always_inline void daxfmap_resolve_run(const struct daxfmap_file *f,
						const struct daxfmap_query *q,
						struct daxfmap_result *r)
{
	struct flat_walk w = {
		.f = f, .r = r, .local = q->offset, .req = q->length, .pos = f->base,
	};
	__u32 n = f->nextents;

	if (n > DAXFMAP_MAX_FILE_EXTENTS) {
		daxfmap_fail(r, DAXFMAP_E_LIMIT);
		return;
	}
	if (f->ext_type == FUSE_DAX_EXT_SIMPLE)
		bpf_loop(n, flat_simple_one, &w, 0);
	else
		bpf_loop(n, flat_interleaved_one, &w, 0);
	if (!w.found)
		daxfmap_fail(r, DAXFMAP_E_PAST_END);
}

#include "daxfmap_progs.bpf.h"

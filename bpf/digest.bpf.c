// SPDX-License-Identifier: GPL-2.0-only
/*
 * Strategy "digest", daxfmap's own: each file's run is a compiled index
 * (uapi: struct daxfmap_digest_ent), so a lookup costs about the same for 1
 * or 1,048,576 extents: a shift when the extents are uniform powers of two,
 * else a bucket index ("radix digest") that narrows the binary search to
 * the few extents overlapping the query's bucket; interleave arithmetic by
 * shifts when chunk size and strip count allow.
 */
#include "daxfmap_filetable.bpf.h"

/* ceil(log2(DAXFMAP_MAX_FILE_EXTENTS + 1)) */
#define DIGEST_SEARCH_STEPS 21

/* A bucket word (uapi: struct daxfmap_digest_ent): the index of the extent
 * holding the bucket's first byte, and whether that extent starts there. */
#define DIGEST_BUCKET_EXACT	(1U << 31)
#define DIGEST_BUCKET_INDEX	(DIGEST_BUCKET_EXACT - 1)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 65536);	/* userspace resizes before load */
	__type(key, __u32);
	__type(value, struct daxfmap_digest_ent);
} daxfmap_digest_pool SEC(".maps");

static __always_inline struct daxfmap_digest_ent *digest_ent(__u32 idx)
{
	return bpf_map_lookup_elem(&daxfmap_digest_pool, &idx);
}

/*
 * Index i in [0, n) of the entry (at base + i * stride) whose start is the
 * last one <= off, given start[0] <= off < start[n].  A lower-bound search:
 * ceil(log2(n)) steps, at most DIGEST_SEARCH_STEPS, so one extent costs no
 * step and 32 cost five.  Returns -1 if a pool entry is missing or n is out
 * of range (a run being rewritten).  A global function, so that the
 * verifier walks its early exits once, apart from every caller's paths.
 */
__attribute__((noinline))
long digest_search(__u32 base, __u32 stride, __u32 n, __u64 off)
{
	__u32 lo = 0, len = n;

	if (!n || n > DAXFMAP_MAX_FILE_EXTENTS)
		return -1;
	for (int step = 0; step < DIGEST_SEARCH_STEPS; step++) {
		struct daxfmap_digest_ent *e;
		__u32 half = len >> 1;

		if (!half)
			break;
		e = digest_ent(base + (lo + half) * stride);
		if (!e)
			return -1;
		if (e->a <= off)
			lo += half;
		len -= half;
	}
	return lo;
}

/* Word @w of pool entry @idx (0, 1: a's low and high half; 2, 3: b's), or
 * -1 when the entry is missing. */
static __always_inline long digest_word(__u32 idx, __u32 w)
{
	struct daxfmap_digest_ent *e = digest_ent(idx);
	__u64 v;

	if (!e)
		return -1;
	v = (w & 2) ? e->b : e->a;
	return (w & 1) ? (long)(v >> 32) : (long)(v & 0xffffffffULL);
}

/*
 * The extents [*lo, *hi) that can hold @off: all n without a bucket index,
 * else those overlapping @off's bucket, read from bucket words b and b + 1
 * (b = off >> bucket_shift; off is below the run's total, so b + 1 is at
 * most the sentinel bucket).  Simple runs keep four words to an entry after
 * the sentinel entry; interleaved runs two to a header pair, in the b of
 * its first entry.  Returns -1 when a word lies outside the run or the
 * range is not within [0, n] (a run being rewritten).
 */
static __always_inline int digest_bucket(const struct daxfmap_file *f, int interleaved, __u64 off,
					 __u32 *lo, __u32 *hi)
{
	__u32 n = f->nextents, bshift1 = (f->shift >> 8) & 0xff, w;
	long w0, w1;
	__u64 b;

	*lo = 0;
	*hi = n;
	if (!bshift1)
		return 0;
	if (bshift1 > 64)
		return -1;
	b = off >> (bshift1 - 1);
	if (interleaved) {
		if (b >= 2 * (__u64)n)
			return -1;
		w = (__u32)b;
		w0 = digest_word(f->base + 2 * (w >> 1), 2 + (w & 1));
		w++;
		w1 = digest_word(f->base + 2 * (w >> 1), 2 + (w & 1));
	} else {
		if (f->nentries <= n + 1 || b + 1 >= 4 * (__u64)(f->nentries - n - 1))
			return -1;
		w = (__u32)b;
		w0 = digest_word(f->base + n + 1 + (w >> 2), w & 3);
		w++;
		w1 = digest_word(f->base + n + 1 + (w >> 2), w & 3);
	}
	if (w0 < 0 || w1 < 0)
		return -1;
	*lo = (__u32)w0 & DIGEST_BUCKET_INDEX;
	*hi = ((__u32)w1 & DIGEST_BUCKET_INDEX) + !((__u32)w1 & DIGEST_BUCKET_EXACT);
	if (*lo >= *hi || *hi > n)
		return -1;
	return 0;
}

/*
 * Whether @off is inside the run: the sentinel at pool index @sentinel holds
 * the total.  Sets the failure status and returns 0 when it is not.
 */
static __always_inline int digest_within(__u32 sentinel, __u64 off, struct daxfmap_result *r)
{
	struct daxfmap_digest_ent *last = digest_ent(sentinel);

	if (!last) {
		daxfmap_fail(r, DAXFMAP_E_LIMIT);
		return 0;
	}
	if (off >= last->a) {
		daxfmap_fail(r, DAXFMAP_E_PAST_END);
		return 0;
	}
	return 1;
}

static __always_inline void digest_simple(const struct daxfmap_file *f, __u64 off, __u64 req,
					  struct daxfmap_result *r)
{
	struct daxfmap_digest_ent *e, *next;
	__u32 n = f->nextents, lo, hi;
	__u64 local, len;
	long i;

	if (!digest_within(f->base + n, off, r))
		return;
	if (f->shift & 0xff) {
		__u64 q = off >> (f->shift & 63);

		i = q < n - 1 ? (long)q : (long)n - 1;
	} else if (digest_bucket(f, 0, off, &lo, &hi)) {
		i = -1;
	} else if (hi - lo == 1) {
		i = lo;		/* one extent overlaps the bucket: no call */
	} else {
		i = digest_search(f->base + lo, 1, hi - lo, off);
		if (i >= 0)
			i += lo;
	}
	if (i < 0 || i >= n) {
		daxfmap_fail(r, DAXFMAP_E_LIMIT);
		return;
	}
	e = digest_ent(f->base + (__u32)i);
	next = digest_ent(f->base + (__u32)i + 1);
	if (!e || !next || off < e->a || off >= next->a) {
		daxfmap_fail(r, DAXFMAP_E_LIMIT);
		return;
	}
	local = off - e->a;
	len = next->a - e->a;
	daxfmap_finish(r, (__u32)(e->b & DAXFMAP_DEV_MASK), e->b & ~DAXFMAP_DEV_MASK, local,
		       daxfmap_min(req, len - local));
}

static __always_inline void digest_interleaved(const struct daxfmap_file *f, __u64 off,
					       __u64 req, struct daxfmap_result *r)
{
	struct daxfmap_digest_ent *h0, *h1, *h2, *s;
	struct daxfmap_chunk_pos p;
	__u32 n = f->nextents, nstrips, chunk_size, strip_base, lo, hi;
	long k = -1;

	if (!digest_within(f->base + 2 * n, off, r))
		return;
	if (!digest_bucket(f, 1, off, &lo, &hi)) {
		if (hi - lo == 1) {
			k = lo;
		} else {
			k = digest_search(f->base + 2 * lo, 2, hi - lo, off);
			if (k >= 0)
				k += lo;
		}
	}
	if (k < 0 || k >= n) {
		daxfmap_fail(r, DAXFMAP_E_LIMIT);
		return;
	}
	/* The extent is [h0->a, h2->a): the next pair's start (the sentinel's
	 * for the last extent). */
	h0 = digest_ent(f->base + 2 * (__u32)k);
	h1 = digest_ent(f->base + 2 * (__u32)k + 1);
	h2 = digest_ent(f->base + 2 * (__u32)k + 2);
	if (!h0 || !h1 || !h2 || off < h0->a || off >= h2->a) {
		daxfmap_fail(r, DAXFMAP_E_LIMIT);
		return;
	}
	chunk_size = h1->a >> 32;
	nstrips = (__u32)h1->a;
	strip_base = h1->b >> 32;
	if (!chunk_size || !nstrips) {
		daxfmap_fail(r, DAXFMAP_E_BAD_FMAP);
		return;
	}
	daxfmap_interleave(&p, off - h0->a, req, chunk_size, nstrips,
			   (h1->b >> 8) & 0xff, h1->b & 0xff);
	s = digest_ent(f->base + strip_base + (__u32)p.strip);
	if (!s) {
		daxfmap_fail(r, DAXFMAP_E_LIMIT);
		return;
	}
	if (p.within > s->b || p.len > s->b - p.within) {
		daxfmap_fail(r, DAXFMAP_E_OUT_OF_EXTENT);
		return;
	}
	daxfmap_finish(r, (__u32)(s->a & DAXFMAP_DEV_MASK), s->a & ~DAXFMAP_DEV_MASK, p.within,
		       p.len);
}

static __always_inline void daxfmap_resolve_run(const struct daxfmap_file *f,
						const struct daxfmap_query *q,
						struct daxfmap_result *r)
{
	if (f->nextents > DAXFMAP_MAX_FILE_EXTENTS) {
		daxfmap_fail(r, DAXFMAP_E_LIMIT);
		return;
	}
	if (f->ext_type == FUSE_DAX_EXT_SIMPLE)
		digest_simple(f, q->offset, q->length, r);
	else
		digest_interleaved(f, q->offset, q->length, r);
}

#include "daxfmap_progs.bpf.h"

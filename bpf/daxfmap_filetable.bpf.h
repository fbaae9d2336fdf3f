/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The file table of the pool strategies (flat, digest) and its seqcount
 * reader.  A strategy defines its pool map and
 *
 *   static __always_inline void daxfmap_resolve_run(const struct daxfmap_file *f,
 *                                                   const struct daxfmap_query *q,
 *                                                   struct daxfmap_result *r);
 *
 * which resolves q against the run @f describes, reading the pool.  It may
 * read a run that is being rewritten: every pool access is bounds-checked,
 * and the seqcount check after it throws such a result away.
 */
#ifndef __DAXFMAP_FILETABLE_BPF_H
#define __DAXFMAP_FILETABLE_BPF_H

#include "daxfmap_common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 65536);	/* userspace resizes before load */
	__type(key, __u32);
	__type(value, struct daxfmap_file);
} daxfmap_files SEC(".maps");

static __always_inline void daxfmap_resolve_run(const struct daxfmap_file *f,
						const struct daxfmap_query *q,
						struct daxfmap_result *r);

struct daxfmap_attempt {
	const struct daxfmap_query *q;
	struct daxfmap_result *r;
	struct daxfmap_file *entry;	/* live, shared with userspace */
	__u64 retries;
	int done;
};

/* One seqcount-checked read of the entry and its run; returns 1 when done. */
static __always_inline long daxfmap_attempt(struct daxfmap_attempt *a)
{
	struct daxfmap_file *e = a->entry;
	struct daxfmap_file f;
	__u64 seq;

	seq = DAXFMAP_READ_ONCE(e->seq);
	if (seq & 1) {
		a->retries++;
		return 0;
	}
	daxfmap_barrier();
	f.ext_type = e->ext_type;
	f.nextents = e->nextents;
	f.file_size = e->file_size;
	f.base = e->base;
	f.nentries = e->nentries;
	f.shift = e->shift;
	f.nstrips_total = e->nstrips_total;
	if (!f.nextents)
		daxfmap_fail(a->r, DAXFMAP_E_NO_FILE);
	else
		daxfmap_resolve_run(&f, a->q, a->r);
	daxfmap_barrier();
	if (DAXFMAP_READ_ONCE(e->seq) == seq) {
		a->done = 1;
		return 1;
	}
	a->retries++;
	return 0;
}

static long daxfmap_attempt_one(__u32 i __attribute__((unused)), void *data)
{
	return daxfmap_attempt(data);
}

static __always_inline void daxfmap_resolve(const struct daxfmap_query *q,
					    struct daxfmap_result *r, __u64 *retries)
{
	struct daxfmap_attempt a = { .q = q, .r = r };
	__u32 key;

	if (!q->length) {
		daxfmap_fail(r, DAXFMAP_E_BAD_LENGTH);
		return;
	}
	if (q->file_id > 0xffffffffULL) {
		daxfmap_fail(r, DAXFMAP_E_NO_FILE);
		return;
	}
	key = (__u32)q->file_id;
	a.entry = bpf_map_lookup_elem(&daxfmap_files, &key);
	if (!a.entry) {
		daxfmap_fail(r, DAXFMAP_E_NO_FILE);
		return;
	}
	/* The first try inline: a bpf_loop call costs more than a lookup, and
	 * retries are only needed while userspace rewrites the entry. */
	if (!daxfmap_attempt(&a))
		bpf_loop(DAXFMAP_MAX_RETRIES - 1, daxfmap_attempt_one, &a, 0);
	*retries += a.retries;
	if (!a.done)
		daxfmap_fail(r, DAXFMAP_E_STALE);
}

#ifdef DAXFMAP_HOOK_MAP
/* The size of file @file_id, seqcount-checked like daxfmap_attempt(); -1 if
 * the table holds no fmap for it or it kept changing (the kernel hook's
 * setup). */
static __always_inline int daxfmap_file_size(__u64 file_id, __u64 *size)
{
	struct daxfmap_file *e;
	__u32 key;

	if (file_id > 0xffffffffULL)
		return -1;
	key = (__u32)file_id;
	e = bpf_map_lookup_elem(&daxfmap_files, &key);
	if (!e)
		return -1;
	for (int attempt = 0; attempt < DAXFMAP_MAX_RETRIES; attempt++) {
		__u64 seq = DAXFMAP_READ_ONCE(e->seq), sz;
		__u32 n;

		if (seq & 1)
			continue;
		daxfmap_barrier();
		n = e->nextents;
		sz = e->file_size;
		daxfmap_barrier();
		if (DAXFMAP_READ_ONCE(e->seq) != seq)
			continue;
		if (!n)
			return -1;
		*size = sz;
		return 0;
	}
	return -1;
}
#endif

#endif /* __DAXFMAP_FILETABLE_BPF_H */

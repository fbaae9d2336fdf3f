/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * daxfmap.h - resolver ABI shared by daxfmap's BPF programs and userspace
 *
 * A resolver turns (file, file offset, length) into (device index, device
 * offset, length).  Every resolver (the native one in userspace and the BPF
 * strategies) reports the same status for the same query, so their answers
 * can be compared bit for bit.
 */
#ifndef _UAPI_LINUX_DAXFMAP_H
#define _UAPI_LINUX_DAXFMAP_H

#include <linux/types.h>

/*
 * enum daxfmap_status - outcome of one resolution
 *
 * The kernel's iomap_begin answers every failure with a zero-length
 * mapping, which the DAX code turns into -EIO (SIGBUS on a fault); the
 * statuses below keep the reason apart.  daxfmap_status_errno() in
 * userspace gives the errno.
 */
enum daxfmap_status {
	DAXFMAP_OK		= 0,
	DAXFMAP_E_PAST_END	= 1,	/* offset beyond the extent list (-EIO) */
	DAXFMAP_E_BAD_LENGTH	= 2,	/* request length is 0 (-EINVAL) */
	DAXFMAP_E_NO_DEVICE	= 3,	/* device index not in the device table (-EIO) */
	DAXFMAP_E_OUT_OF_DEVICE	= 4,	/* range would end past the device (-EIO) */
	DAXFMAP_E_OUT_OF_EXTENT	= 5,	/* range would end past its strip, or, with
					 * no device table, past 2^64 (-EIO).  V10
					 * does not check this and maps the whole
					 * chunk; the kernel's callers clip requests
					 * at i_size, so only a request running past
					 * the file's data can meet it */
	DAXFMAP_E_BAD_FMAP	= 6,	/* the interleaved extent the query reaches
					 * has chunk_size or nstrips 0: nothing to
					 * divide by (-EIO) */
	DAXFMAP_E_NO_FILE	= 7,	/* no fmap for this file id (-ENOENT) */
	DAXFMAP_E_STALE		= 8,	/* fmap replaced during the lookup (-EAGAIN) */
	DAXFMAP_E_LIMIT		= 9,	/* a bounded loop ran out (-E2BIG) */
	DAXFMAP_STATUS_MAX
};

/*
 * Limits of the BPF strategies.  A compiler refuses an fmap beyond them
 * with a message; it never truncates.
 */
#define DAXFMAP_MAX_DEVICES		24	/* device table slots (= kernel's) */
#define DAXFMAP_MAX_FILE_EXTENTS	(1U << 20) /* per file, flat and digest */
#define DAXFMAP_HASH_MAX_EXTENTS	32	/* hash: simple extents, or strips in all */
#define DAXFMAP_HASH_MAX_IEXT		2	/* hash: interleaved extents */
#define DAXFMAP_HASH_MAX_STRIPS		16	/* hash: strips per interleaved extent */
#define DAXFMAP_MAX_RETRIES		8	/* re-reads of an fmap being replaced */
#define DAXFMAP_BATCH_MAX		4096	/* queries per batch call */
#define DAXFMAP_TIMED_MAX_ITERATIONS	(1U << 23) /* per timed call: bpf_loop's own limit */

/* The device-offset alignment every fmap has: its low bits carry the device
 * index in the digest layout. */
#define DAXFMAP_ALIGN_SHIFT		21	/* 2 MiB */
#define DAXFMAP_DEV_MASK		((1ULL << DAXFMAP_ALIGN_SHIFT) - 1)

/*
 * One query and its answer.  The single-resolve program takes a
 * struct daxfmap_resolve_ctx as its BPF_PROG_TEST_RUN context and fills in
 * @r; the batch and timed programs read queries from, and write results to,
 * the daxfmap_batch array map (struct daxfmap_batch_slot).
 */
struct daxfmap_query {
	__u64	file_id;	/* FUSE nodeid; flat/digest: index in the file table */
	__u64	offset;		/* bytes into the file */
	__u64	length;		/* bytes wanted; > 0 */
};

struct daxfmap_result {
	__u32	status;		/* enum daxfmap_status */
	__u32	device;		/* device index */
	__u64	device_offset;	/* bytes into the device */
	__u64	length;		/* bytes mapped from device_offset; 0 unless OK */
};

struct daxfmap_resolve_ctx {
	struct daxfmap_query	q;
	struct daxfmap_result	r;
};

struct daxfmap_batch_slot {
	struct daxfmap_query	q;
	struct daxfmap_result	r;
};

/* Batch program: resolves slots [first, first + count) of daxfmap_batch. */
struct daxfmap_batch_ctx {
	__u32	first;
	__u32	count;
	__u64	retries;	/* out: fmap re-reads caused by concurrent updates */
};

/*
 * Timed program: @iterations lookups cycling over slots [0, count) of
 * daxfmap_batch, timed inside the kernel with bpf_ktime_get_ns().  Results
 * are not stored; @checksum folds them in so no lookup can be skipped.
 */
struct daxfmap_timed_ctx {
	__u32	count;
	__u32	reserved;
	__u64	iterations;
	__u64	elapsed_ns;	/* out */
	__u64	checksum;	/* out */
	__u64	errors;		/* out: lookups whose status was not OK */
};

/* Device table (array map daxfmap_devices, indexed by device index). */
struct daxfmap_device {
	__u64	size;		/* bytes; 0 = no such device */
};

/*
 * Strategy "hash": one hash map keyed by file id (__u64), the fmap inline
 * in the value, the design of the upstream prototype.  Simple: @nextents
 * extents in @ext.  Interleaved: @nextents interleaved extents in @iext,
 * whose strips are @ext[first_strip .. first_strip + nstrips).
 *
 * The kernel recycles a hash element's memory when its key is updated, so
 * a reader may see the value rewritten under it, even for another key.
 * Userspace writes a new @gen, unique across files, at both ends on every
 * update, and the key again in @file_id; a reader takes both gens before
 * and after its reads and retries unless all four agree and @file_id is
 * the key it looked up.
 */
struct daxfmap_hash_ext {
	__u32	device;
	__u32	reserved;
	__u64	offset;		/* bytes into the device */
	__u64	len;		/* bytes */
};

struct daxfmap_hash_iext {
	__u32	nstrips;
	__u32	chunk_size;	/* bytes */
	__u64	nbytes;		/* bytes of file data in this extent */
	__u32	first_strip;	/* index into ext[] */
	__u32	reserved;
};

struct daxfmap_hash_fmap {
	__u64	gen;
	__u64	file_id;	/* the key */
	__u32	ext_type;	/* enum fuse_dax_ext_type */
	__u32	nextents;
	__u64	file_size;
	struct daxfmap_hash_iext iext[DAXFMAP_HASH_MAX_IEXT];
	struct daxfmap_hash_ext	ext[DAXFMAP_HASH_MAX_EXTENTS];
	__u64	gen_tail;	/* == gen when the value is whole */
};

/*
 * Strategies "flat" and "digest": a file table (array map indexed by file
 * id: the daemon hands out dense nodeids, the stand-in for a pointer kept
 * in the inode) whose entry locates the file's run of entries in a pool
 * (an mmap-able array map).  Userspace writes new runs into free pool
 * space and then switches the entry under a seqcount: @seq is odd while
 * the entry is rewritten; a reader retries unless @seq was even and
 * unchanged across all of its reads, pool included.
 */
struct daxfmap_file {
	__u64	seq;
	__u32	ext_type;	/* enum fuse_dax_ext_type */
	__u32	nextents;	/* simple or interleaved extents; 0 = no file */
	__u64	file_size;
	__u32	base;		/* first pool entry of the run */
	__u32	nentries;	/* pool entries in the run */
	__u32	shift;		/* digest: bits 0-7, simple runs: log2 of the
				 * uniform extent length, or 0 to search;
				 * bits 8-15: log2 of the bucket size + 1,
				 * or 0 for no bucket index (see struct
				 * daxfmap_digest_ent); bits 16-31: 0 */
	__u32	nstrips_total;	/* digest, interleaved: strips in the run */
};

/*
 * Flat pool entry: the wire format, one 24-byte entry per simple extent,
 * per interleaved header and per strip, in wire order.  The program walks
 * it like the kernel walks its parsed fmap.
 */
struct daxfmap_flat_ent {
	__u32	a;		/* simple/strip: device; iext: nstrips */
	__u32	b;		/* iext: chunk_size */
	__u64	c;		/* simple/strip: offset; iext: nbytes */
	__u64	d;		/* simple/strip: len */
};

/*
 * Digest pool entry, 16 bytes.  A compiled index, not the wire format:
 *  simple run: nextents + 1 entries { start, dev_off }: @start is the
 *    file offset where extent i begins (entry nextents: the total, a
 *    sentinel), @dev_off the device offset with the device index in its
 *    low DAXFMAP_ALIGN_SHIFT bits, then the bucket words, if any, four to
 *    an entry (a's low and high half, then b's).  A lookup is a shift when
 *    all extents but the last are 1 << shift bytes long, else a bounded
 *    binary search over the extents of the query's bucket.
 *  interleaved run: nextents + 1 pairs of header entries
 *    { start, words }, { chunk_size << 32 | nstrips,
 *      strip_base << 32 | chunk_shift << 8 | strip_shift1 },
 *    (the last pair a sentinel whose start is the total), then the strips
 *    as { dev_off, len }; strip_base is the index of the extent's first
 *    strip relative to the run's base, so that a run can sit anywhere.
 *    Extent k covers [start(k), start(k + 1)): its size is
 *    min(nbytes, file_size), as V10 resolves.  chunk_shift is
 *    log2(chunk_size) when that is a power of two, else 0; strip_shift1
 *    is log2(nstrips) + 1 when nstrips is a power of two, else 0; 0 means
 *    "divide".  @words holds bucket words 2k (low half) and 2k + 1 (high
 *    half), 0 without a bucket index.
 *
 * Bucket index ("radix digest"), when daxfmap_file.shift bits 8-15 hold
 * bshift + 1: bucket b covers file offsets [b << bshift, (b + 1) << bshift)
 * for b < nbuckets = ceil(total / 2^bshift) <= 2 * nextents; its __u32 word
 * is the index of the extent holding offset b << bshift, with bit 31 set
 * when that extent starts exactly there.  Word nbuckets is a sentinel,
 * nextents | 1 << 31.  A query in bucket b searches only extents
 * [word(b), index(b + 1) + (bit 31 of word(b + 1) ? 0 : 1)), usually one or
 * two.  Readers treat a word outside the run, or a range outside
 * [0, nextents], as a run being rewritten (DAXFMAP_E_LIMIT).
 */
struct daxfmap_digest_ent {
	__u64	a;
	__u64	b;
};

/* Layout checks (see fuse_dax_fmap.h): userspace and BPF must agree. */
#define __DAXFMAP_CHECK(name, cond) \
	typedef char __daxfmap_check_##name[(cond) ? 1 : -1]
__DAXFMAP_CHECK(query, sizeof(struct daxfmap_query) == 24);
__DAXFMAP_CHECK(result, sizeof(struct daxfmap_result) == 24);
__DAXFMAP_CHECK(resolve_ctx, sizeof(struct daxfmap_resolve_ctx) == 48);
__DAXFMAP_CHECK(batch_slot, sizeof(struct daxfmap_batch_slot) == 48);
__DAXFMAP_CHECK(batch_ctx, sizeof(struct daxfmap_batch_ctx) == 16);
__DAXFMAP_CHECK(timed_ctx, sizeof(struct daxfmap_timed_ctx) == 40);
__DAXFMAP_CHECK(device, sizeof(struct daxfmap_device) == 8);
__DAXFMAP_CHECK(hash_ext, sizeof(struct daxfmap_hash_ext) == 24);
__DAXFMAP_CHECK(hash_iext, sizeof(struct daxfmap_hash_iext) == 24);
__DAXFMAP_CHECK(hash_fmap, sizeof(struct daxfmap_hash_fmap) ==
		32 + 24 * DAXFMAP_HASH_MAX_IEXT + 24 * DAXFMAP_HASH_MAX_EXTENTS + 8);
__DAXFMAP_CHECK(file, sizeof(struct daxfmap_file) == 40);
__DAXFMAP_CHECK(flat_ent, sizeof(struct daxfmap_flat_ent) == 24);
__DAXFMAP_CHECK(digest_ent, sizeof(struct daxfmap_digest_ent) == 16);
#undef __DAXFMAP_CHECK

#endif /* _UAPI_LINUX_DAXFMAP_H */

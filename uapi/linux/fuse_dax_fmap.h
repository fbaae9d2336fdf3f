/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * fuse_dax_fmap.h - FUSE DAX file-map ("fmap") wire format
 *
 * A FUSE server that keeps file data on a DAX device (devdax, pmem, CXL
 * memory) describes where each file lives with an fmap: a header followed by
 * a list of extents.  The kernel asks for it with FUSE_GET_FMAP when a
 * regular file is opened, and for each referenced device with
 * FUSE_GET_DAXDEV, under the FUSE_DAX_FMAP capability.
 *
 * The layout is bit-compatible with the famfs-over-FUSE series, V10
 * (linux-fsdevel, April 2026); only the names are generic.  Everything is
 * little-endian with natural C alignment, and every padding byte is an
 * explicit reserved field, so the sizes checked at the end of this file
 * hold on every ABI.
 *
 * Units: every offset, length and size is in bytes.
 */
#ifndef _UAPI_LINUX_FUSE_DAX_FMAP_H
#define _UAPI_LINUX_FUSE_DAX_FMAP_H

#include <linux/types.h>

/*
 * Capability: bit 43 of the 64-bit INIT flags, i.e. bit 11 of
 * fuse_init_in.flags2 / fuse_init_out.flags2 (protocol 7.46).  In force only
 * if both the kernel and the server set it.
 */
#define FUSE_DAX_FMAP			(1ULL << 43)
#define FUSE_DAX_FMAP_FLAGS2_BIT	11

/*
 * Opcodes.
 * FUSE_GET_FMAP: no input argument; nodeid names the file.  The reply is
 *   the fmap, at most FUSE_DAX_FMAP_MAX_REPLY bytes.
 * FUSE_GET_DAXDEV: no input argument; the device index travels in the
 *   request header's nodeid.  The reply is one struct fuse_dax_daxdev_out.
 */
#define FUSE_GET_FMAP			54
#define FUSE_GET_DAXDEV			55

/* Limits of the V10 kernel. */
#define FUSE_DAX_FMAP_VERSION		1
#define FUSE_DAX_FMAP_MAX_EXTENTS	32	/* simple, or interleaved extents */
#define FUSE_DAX_FMAP_MAX_STRIPS	32	/* strips per interleaved extent */
#define FUSE_DAX_FMAP_MAX_REPLY		4096	/* bytes: one page */
#define FUSE_DAX_MAX_DEVICES		24	/* slots in the kernel device table */
#define FUSE_DAX_DEVNAME_MAX		256	/* bytes, NUL included */
#define FUSE_DAX_FMAP_ALIGN		(2ULL << 20)	/* 2 MiB: PMD size */

/* fuse_dax_fmap_header.file_type (not checked by V10) */
enum fuse_dax_file_type {
	FUSE_DAX_FILE_REG		= 0,
	FUSE_DAX_FILE_SUPERBLOCK	= 1,
	FUSE_DAX_FILE_LOG		= 2,
};

/* fuse_dax_fmap_header.ext_type */
enum fuse_dax_ext_type {
	FUSE_DAX_EXT_SIMPLE		= 0,
	FUSE_DAX_EXT_INTERLEAVE		= 1,
};

/*
 * struct fuse_dax_fmap_header - start of a GET_FMAP reply
 * @file_type:	enum fuse_dax_file_type
 * @reserved:	zero
 * @fmap_version: FUSE_DAX_FMAP_VERSION
 * @ext_type:	enum fuse_dax_ext_type; all extents of a file share it
 * @nextents:	number of simple extents, or of interleaved extents;
 *		1..FUSE_DAX_FMAP_MAX_EXTENTS
 * @reserved0:	zero (later versions: the fmap size, for a retry)
 * @file_size:	bytes; at most the sum of the extent (strip) lengths
 * @reserved1:	zero
 *
 * Followed by @nextents struct fuse_dax_simple_ext, or, for each of the
 * @nextents interleaved extents, one struct fuse_dax_interleaved_ext and then
 * its ie_nstrips struct fuse_dax_simple_ext (the strips).
 */
struct fuse_dax_fmap_header {
	__u8	file_type;
	__u8	reserved;
	__u16	fmap_version;
	__u32	ext_type;
	__u32	nextents;
	__u32	reserved0;
	__u64	file_size;
	__u64	reserved1;
};

/*
 * struct fuse_dax_simple_ext - a contiguous range of one device
 * @se_devindex: index of the device (V10: must be 0)
 * @reserved:	zero
 * @se_offset:	byte offset in the device; a multiple of FUSE_DAX_FMAP_ALIGN
 * @se_len:	bytes; a multiple of FUSE_DAX_FMAP_ALIGN
 *
 * Simple extents are laid end to end: the file's byte 0 is the first
 * extent's byte 0, and so on, with no holes.
 */
struct fuse_dax_simple_ext {
	__u32	se_devindex;
	__u32	reserved;
	__u64	se_offset;
	__u64	se_len;
};

/*
 * struct fuse_dax_interleaved_ext - data striped over ie_nstrips strips
 * @ie_nstrips:	number of strips that follow; 1..FUSE_DAX_FMAP_MAX_STRIPS
 * @ie_chunk_size: bytes placed on one strip before moving to the next;
 *		a multiple of FUSE_DAX_FMAP_ALIGN
 * @ie_nbytes:	file bytes held by this extent (non-zero); the strips'
 *		total length may be larger
 * @reserved:	zero
 *
 * Byte b of the extent is in chunk c = b / ie_chunk_size, on strip
 * c % ie_nstrips, at (c / ie_nstrips) * ie_chunk_size + b % ie_chunk_size
 * from that strip's se_offset.
 */
struct fuse_dax_interleaved_ext {
	__u32	ie_nstrips;
	__u32	ie_chunk_size;
	__u64	ie_nbytes;
	__u64	reserved;
};

/*
 * struct fuse_dax_daxdev_out - GET_DAXDEV reply, exactly this size
 * @index:	the device index that was asked for
 * @name:	device path (e.g. "/dev/dax0.0"), NUL-terminated
 */
struct fuse_dax_daxdev_out {
	__u16	index;
	__u16	reserved;
	__u32	reserved2;
	__u64	reserved3;
	__u64	reserved4;
	char	name[FUSE_DAX_DEVNAME_MAX];
};

/*
 * Layout checks: a compile error here means the wire format changed.
 * Written as negative-size arrays so that they work in C89/C99, C++ and BPF
 * C alike; the typedefs are never used.
 */
#define __FUSE_DAX_FMAP_CHECK(name, cond) \
	typedef char __fuse_dax_fmap_check_##name[(cond) ? 1 : -1]
#define __FUSE_DAX_FMAP_OFF(type, field) __builtin_offsetof(struct type, field)

__FUSE_DAX_FMAP_CHECK(hdr_size, sizeof(struct fuse_dax_fmap_header) == 32);
__FUSE_DAX_FMAP_CHECK(hdr_file_type, __FUSE_DAX_FMAP_OFF(fuse_dax_fmap_header, file_type) == 0);
__FUSE_DAX_FMAP_CHECK(hdr_reserved, __FUSE_DAX_FMAP_OFF(fuse_dax_fmap_header, reserved) == 1);
__FUSE_DAX_FMAP_CHECK(hdr_version, __FUSE_DAX_FMAP_OFF(fuse_dax_fmap_header, fmap_version) == 2);
__FUSE_DAX_FMAP_CHECK(hdr_ext_type, __FUSE_DAX_FMAP_OFF(fuse_dax_fmap_header, ext_type) == 4);
__FUSE_DAX_FMAP_CHECK(hdr_nextents, __FUSE_DAX_FMAP_OFF(fuse_dax_fmap_header, nextents) == 8);
__FUSE_DAX_FMAP_CHECK(hdr_reserved0, __FUSE_DAX_FMAP_OFF(fuse_dax_fmap_header, reserved0) == 12);
__FUSE_DAX_FMAP_CHECK(hdr_file_size, __FUSE_DAX_FMAP_OFF(fuse_dax_fmap_header, file_size) == 16);
__FUSE_DAX_FMAP_CHECK(hdr_reserved1, __FUSE_DAX_FMAP_OFF(fuse_dax_fmap_header, reserved1) == 24);

__FUSE_DAX_FMAP_CHECK(se_size, sizeof(struct fuse_dax_simple_ext) == 24);
__FUSE_DAX_FMAP_CHECK(se_devindex, __FUSE_DAX_FMAP_OFF(fuse_dax_simple_ext, se_devindex) == 0);
__FUSE_DAX_FMAP_CHECK(se_reserved, __FUSE_DAX_FMAP_OFF(fuse_dax_simple_ext, reserved) == 4);
__FUSE_DAX_FMAP_CHECK(se_offset, __FUSE_DAX_FMAP_OFF(fuse_dax_simple_ext, se_offset) == 8);
__FUSE_DAX_FMAP_CHECK(se_len, __FUSE_DAX_FMAP_OFF(fuse_dax_simple_ext, se_len) == 16);

__FUSE_DAX_FMAP_CHECK(ie_size, sizeof(struct fuse_dax_interleaved_ext) == 24);
__FUSE_DAX_FMAP_CHECK(ie_nstrips, __FUSE_DAX_FMAP_OFF(fuse_dax_interleaved_ext, ie_nstrips) == 0);
__FUSE_DAX_FMAP_CHECK(ie_chunk_size, __FUSE_DAX_FMAP_OFF(fuse_dax_interleaved_ext, ie_chunk_size) == 4);
__FUSE_DAX_FMAP_CHECK(ie_nbytes, __FUSE_DAX_FMAP_OFF(fuse_dax_interleaved_ext, ie_nbytes) == 8);
__FUSE_DAX_FMAP_CHECK(ie_reserved, __FUSE_DAX_FMAP_OFF(fuse_dax_interleaved_ext, reserved) == 16);

__FUSE_DAX_FMAP_CHECK(dd_size, sizeof(struct fuse_dax_daxdev_out) == 280);
__FUSE_DAX_FMAP_CHECK(dd_index, __FUSE_DAX_FMAP_OFF(fuse_dax_daxdev_out, index) == 0);
__FUSE_DAX_FMAP_CHECK(dd_reserved, __FUSE_DAX_FMAP_OFF(fuse_dax_daxdev_out, reserved) == 2);
__FUSE_DAX_FMAP_CHECK(dd_reserved2, __FUSE_DAX_FMAP_OFF(fuse_dax_daxdev_out, reserved2) == 4);
__FUSE_DAX_FMAP_CHECK(dd_reserved3, __FUSE_DAX_FMAP_OFF(fuse_dax_daxdev_out, reserved3) == 8);
__FUSE_DAX_FMAP_CHECK(dd_reserved4, __FUSE_DAX_FMAP_OFF(fuse_dax_daxdev_out, reserved4) == 16);
__FUSE_DAX_FMAP_CHECK(dd_name, __FUSE_DAX_FMAP_OFF(fuse_dax_daxdev_out, name) == 24);

/* The largest V10 reply that fits one page: header + 32 simple extents. */
__FUSE_DAX_FMAP_CHECK(max_simple_fits,
	sizeof(struct fuse_dax_fmap_header) +
	FUSE_DAX_FMAP_MAX_EXTENTS * sizeof(struct fuse_dax_simple_ext) <=
	FUSE_DAX_FMAP_MAX_REPLY);

#undef __FUSE_DAX_FMAP_OFF
#undef __FUSE_DAX_FMAP_CHECK

#endif /* _UAPI_LINUX_FUSE_DAX_FMAP_H */

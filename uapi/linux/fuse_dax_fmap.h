/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * fuse_dax_fmap.h - FUSE DAX file maps (FUSE_DAX_FMAP)
 *
 * The definitions that kernel/patches/0001 adds to include/uapi/linux/fuse.h
 * (the flag, the two opcodes, the limits and the wire structures), for
 * userspace and BPF programs built against headers that lack them.  Same
 * names, values and comments; __u32 and friends instead of uint32_t, so that
 * C, C++ and BPF C can include it.  The layout checks are in
 * tests/uapi/uapi_compile.c; tests/uapi/kernel_hunk_test.sh checks that this
 * file and the kernel series say the same.
 *
 * Include it after <linux/fuse.h>: with a <linux/fuse.h> that already has
 * FUSE_DAX_FMAP (a kernel tree with the series), it defines nothing.
 */
#ifndef _UAPI_LINUX_FUSE_DAX_FMAP_H
#define _UAPI_LINUX_FUSE_DAX_FMAP_H

#include <linux/types.h>

#ifndef FUSE_DAX_FMAP

/*
 * FUSE_DAX_FMAP: kernel supports DAX file maps: regular files are read,
 *		  written and mapped directly on the DAX devices that the
 *		  FUSE_GET_FMAP reply places them on (see struct
 *		  fuse_dax_fmap_header)
 *
 * An INIT flag: bit 11 of fuse_init_in.flags2 / fuse_init_out.flags2.
 */
#define FUSE_DAX_FMAP		(1ULL << 43)

/* enum fuse_opcode */
#define FUSE_GET_FMAP		54
#define FUSE_GET_DAXDEV		55

/*
 * DAX file maps (FUSE_DAX_FMAP)
 *
 * A server whose file data lives on DAX memory devices (pmem, CXL memory)
 * lets the kernel read, write and map regular files directly on the devices.
 * When a regular file is opened and the kernel has no map of it yet, it sends
 * FUSE_GET_FMAP (nodeid names the file, no input argument).  The reply is the
 * file's map ("fmap"): a struct fuse_dax_fmap_header followed by its extents,
 * at most FUSE_DAX_FMAP_MAX_REPLY bytes.  For each device index of the fmap
 * that the connection has not resolved yet, the kernel then sends
 * FUSE_GET_DAXDEV, with the index in the request header's nodeid and no input
 * argument; the reply is exactly one struct fuse_dax_daxdev_out, naming the
 * device.  The kernel keeps an fmap for the life of the inode and a device for
 * the life of the connection; it never sends file data to the server.
 *
 * The extents follow the header.  Simple (FUSE_DAX_EXT_SIMPLE): nextents
 * struct fuse_dax_simple_ext, laid end to end: the file's byte 0 is the first
 * extent's first byte, and so on.  Interleaved (FUSE_DAX_EXT_INTERLEAVE): for
 * each of nextents interleaved extents, one struct fuse_dax_interleaved_ext
 * followed by its ie_nstrips strips (struct fuse_dax_simple_ext).  Files have
 * no holes.  In the host's byte order, like every FUSE message; every
 * offset, length and size is in bytes.  Device offsets and lengths are
 * multiples of FUSE_DAX_FMAP_ALIGN, so that a file can be mapped with
 * PMD-size pages.
 *
 * A kernel may take larger maps than the limits below allow (more extents
 * and strips, several devices).  It then sends FUSE_GET_FMAP with a struct
 * fuse_getxattr_in whose size is that of its reply buffer.  A server whose
 * map does not fit replies with the header alone, reserved0 set to the size
 * of the whole map in bytes, and the kernel asks once more with a buffer of
 * that size.
 */
#define FUSE_DAX_FMAP_VERSION		1
#define FUSE_DAX_FMAP_MAX_EXTENTS	32	/* simple, or interleaved */
#define FUSE_DAX_FMAP_MAX_STRIPS	32	/* per interleaved extent */
#define FUSE_DAX_FMAP_MAX_REPLY		4096	/* bytes */
#define FUSE_DAX_MAX_DEVICES		24	/* device indices 0..23 */
#define FUSE_DAX_DEVNAME_MAX		256	/* bytes, with the NUL */
#define FUSE_DAX_FMAP_ALIGN		(1ULL << 21)	/* 2 MiB */

/**
 * enum fuse_dax_file_type - what a file is to the server
 * @FUSE_DAX_FILE_REG: a regular file
 * @FUSE_DAX_FILE_SUPERBLOCK: the server's superblock, exposed as a file
 * @FUSE_DAX_FILE_LOG: the server's metadata log, exposed as a file
 *
 * Informational: the kernel treats all of them alike.
 */
enum fuse_dax_file_type {
	FUSE_DAX_FILE_REG		= 0,
	FUSE_DAX_FILE_SUPERBLOCK	= 1,
	FUSE_DAX_FILE_LOG		= 2,
};

/**
 * enum fuse_dax_ext_type - how the extents of an fmap are laid out
 * @FUSE_DAX_EXT_SIMPLE: struct fuse_dax_simple_ext, end to end
 * @FUSE_DAX_EXT_INTERLEAVE: struct fuse_dax_interleaved_ext, each with its
 *			     strips
 */
enum fuse_dax_ext_type {
	FUSE_DAX_EXT_SIMPLE		= 0,
	FUSE_DAX_EXT_INTERLEAVE		= 1,
};

/**
 * struct fuse_dax_fmap_header - start of a FUSE_GET_FMAP reply
 * @file_type: enum fuse_dax_file_type
 * @reserved: zero
 * @fmap_version: FUSE_DAX_FMAP_VERSION
 * @ext_type: enum fuse_dax_ext_type, for all extents of the file
 * @nextents: number of simple extents, or of interleaved extents;
 *	      1..FUSE_DAX_FMAP_MAX_EXTENTS
 * @reserved0: zero; or, when the request carried a struct
 *	       fuse_getxattr_in, the size of the whole map in bytes
 * @file_size: the file's size in bytes; at most the sum of the lengths of
 *	       the simple extents, or of the strips
 * @reserved1: zero
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

/**
 * struct fuse_dax_simple_ext - a contiguous range of one device
 * @se_devindex: the device, 0..FUSE_DAX_MAX_DEVICES - 1 (a kernel may
 *		 accept fewer: 0 only, by default)
 * @reserved: zero
 * @se_offset: byte offset on the device; a multiple of FUSE_DAX_FMAP_ALIGN
 * @se_len: length in bytes; a multiple of FUSE_DAX_FMAP_ALIGN
 *
 * A simple extent, or one strip of an interleaved extent.
 */
struct fuse_dax_simple_ext {
	__u32	se_devindex;
	__u32	reserved;
	__u64	se_offset;
	__u64	se_len;
};

/**
 * struct fuse_dax_interleaved_ext - file data striped over several strips
 * @ie_nstrips: number of strips that follow; 1..FUSE_DAX_FMAP_MAX_STRIPS
 * @ie_chunk_size: bytes placed on one strip before the next one; a multiple
 *		   of FUSE_DAX_FMAP_ALIGN
 * @ie_nbytes: file bytes held by this extent, non-zero; the strips may hold
 *	       more
 * @reserved: zero
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

/**
 * struct fuse_dax_daxdev_out - FUSE_GET_DAXDEV reply
 * @index: the device index asked for
 * @reserved: zero
 * @reserved2: zero
 * @reserved3: zero
 * @reserved4: zero
 * @name: absolute path of the device, NUL-terminated
 */
struct fuse_dax_daxdev_out {
	__u16	index;
	__u16	reserved;
	__u32	reserved2;
	__u64	reserved3;
	__u64	reserved4;
	char	name[FUSE_DAX_DEVNAME_MAX];
};

/**
 * struct fuse_dax_fmap_device - FUSE_DEV_IOC_DAX_FMAP_DEVICE argument
 * @index: the device index that file maps use for it; below
 *	   FUSE_DAX_MAX_DEVICES
 * @fd: an open file of the device (a pmem block device in fsdax mode),
 *	opened for reading and writing
 * @flags: zero
 * @reserved: zero
 *
 * The server installs a device of its file maps on its /dev/fuse file
 * descriptor instead of answering FUSE_GET_DAXDEV for it; the kernel then
 * never asks for that index.  Only after INIT, when FUSE_DAX_FMAP is in
 * force; an index already set up is -EEXIST.
 */
struct fuse_dax_fmap_device {
	__u32	index;
	__s32	fd;
	__u32	flags;
	__u32	reserved;
};

#define FUSE_DEV_IOC_DAX_FMAP_DEVICE	_IOW(FUSE_DEV_IOC_MAGIC, 64, \
					     struct fuse_dax_fmap_device)

/*
 * BPF resolvers of DAX file maps (struct fuse_dax_fmap_ops, a BPF
 * struct_ops).  A server registers ops under a name and binds its
 * connection to that name with FUSE_DEV_IOC_DAX_FMAP_BIND.  At the first
 * open of a regular file the ops' setup answers FUSE_DAX_FMAP_HANDLED with
 * the file's size, and no FUSE_GET_FMAP is sent; its resolve then answers
 * each fault, read and write of the file with a device range.  Any other
 * answer (FUSE_DAX_FMAP_FALLBACK), or ops that go away, and the kernel uses
 * the message path (FUSE_GET_FMAP) for that file, or for that fault.
 */
#define FUSE_DAX_FMAP_FALLBACK		0
#define FUSE_DAX_FMAP_HANDLED		1
#define FUSE_DAX_FMAP_OPS_NAME_MAX	16	/* bytes, with the NUL */

/* fuse_dax_fmap_resolve_args.flags */
#define FUSE_DAX_FMAP_RESOLVE_WRITE	(1 << 0)	/* a write or write fault */
#define FUSE_DAX_FMAP_RESOLVE_FAULT	(1 << 1)	/* a page fault */

/**
 * struct fuse_dax_fmap_bind - FUSE_DEV_IOC_DAX_FMAP_BIND argument
 * @name: the name of registered struct fuse_dax_fmap_ops, NUL-terminated;
 *	  empty: unbind
 * @flags: zero
 * @reserved: zero
 *
 * Binds the server's connection to the ops of that name, in place of any
 * ops bound before.  Only after INIT, when FUSE_DAX_FMAP is in force.
 * Unregistering the ops unbinds every connection bound to them.
 */
struct fuse_dax_fmap_bind {
	char	name[FUSE_DAX_FMAP_OPS_NAME_MAX];
	__u32	flags;
	__u32	reserved;
};

#define FUSE_DEV_IOC_DAX_FMAP_BIND	_IOW(FUSE_DEV_IOC_MAGIC, 65, \
					     struct fuse_dax_fmap_bind)

#endif /* FUSE_DAX_FMAP */

#ifndef FUSE_DAX_FMAP_INVAL
/*
 * FUSE_DAX_FMAP_INVAL: with FUSE_DAX_FMAP, the kernel drops a file's map
 *			(and every mapping of the file's pages) when the
 *			server sends FUSE_NOTIFY_INVAL_INODE for it with an
 *			offset of 0 or more, and before it sends a request
 *			that changes the file's size or space (SETATTR with a
 *			size, FALLOCATE, OPEN with O_TRUNC); the next access
 *			fetches the map again.  Not in V10.
 *
 * An INIT flag: bit 12 of fuse_init_in.flags2 / fuse_init_out.flags2.
 */
#define FUSE_DAX_FMAP_INVAL	(1ULL << 44)
#endif /* FUSE_DAX_FMAP_INVAL */

#endif /* _UAPI_LINUX_FUSE_DAX_FMAP_H */

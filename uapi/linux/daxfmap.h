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
	DAXFMAP_E_OUT_OF_EXTENT	= 5,	/* range would end past its strip (-EIO);
					 * V10 does not check this and maps past
					 * the strip */
	DAXFMAP_E_BAD_FMAP	= 6,	/* chunk_size or nstrips is 0: nothing to
					 * divide by (-EIO) */
	DAXFMAP_E_NO_FILE	= 7,	/* no fmap for this file id (-ENOENT) */
	DAXFMAP_E_STALE		= 8,	/* fmap replaced during the lookup (-EAGAIN) */
	DAXFMAP_E_LIMIT		= 9,	/* a bounded loop ran out (-E2BIG) */
	DAXFMAP_STATUS_MAX
};

#endif /* _UAPI_LINUX_DAXFMAP_H */

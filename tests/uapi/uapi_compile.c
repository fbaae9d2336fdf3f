// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compiled as C99, C++ and BPF by ctest (tests/CMakeLists.txt): every uapi
 * header must build cleanly in all three, with its layout checks.
 */
#include <linux/fuse_dax_fmap.h>
#include <linux/daxfmap.h>

/* Use the definitions so that an unused-symbol warning cannot hide them. */
unsigned long long daxfmap_uapi_probe(void);
unsigned long long daxfmap_uapi_probe(void)
{
	struct fuse_dax_fmap_header h;
	struct fuse_dax_simple_ext se;
	struct fuse_dax_interleaved_ext ie;
	struct fuse_dax_daxdev_out dd;

	h.ext_type = FUSE_DAX_EXT_INTERLEAVE;
	h.nextents = FUSE_DAX_FMAP_MAX_EXTENTS;
	return FUSE_DAX_FMAP + FUSE_GET_FMAP + FUSE_GET_DAXDEV + h.nextents +
	       sizeof(se) + sizeof(ie) + sizeof(dd) + DAXFMAP_STATUS_MAX;
}

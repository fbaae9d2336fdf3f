// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compiled as C99, C++ and BPF by ctest (tests/CMakeLists.txt): every uapi
 * header must build cleanly in all three, and the wire layout of
 * fuse_dax_fmap.h must be V10's (famfs-over-FUSE): a compile error in the
 * checks below means the wire format changed.
 */
#include <linux/fuse_dax_fmap.h>
#include <linux/daxfmap.h>

/*
 * Negative-size arrays, so that the checks work in C99, C++ and BPF C alike;
 * the typedefs are never used.
 */
#define CHECK(name, cond) typedef char fuse_dax_fmap_check_##name[(cond) ? 1 : -1]
#define OFF(type, field) __builtin_offsetof(struct type, field)

CHECK(flag, FUSE_DAX_FMAP == (1ULL << 43));
CHECK(opcodes, FUSE_GET_FMAP == 54 && FUSE_GET_DAXDEV == 55);
CHECK(limits, FUSE_DAX_FMAP_MAX_EXTENTS == 32 && FUSE_DAX_FMAP_MAX_STRIPS == 32 &&
	      FUSE_DAX_FMAP_MAX_REPLY == 4096 && FUSE_DAX_MAX_DEVICES == 24 &&
	      FUSE_DAX_DEVNAME_MAX == 256 && FUSE_DAX_FMAP_ALIGN == (2ULL << 20));

CHECK(hdr_size, sizeof(struct fuse_dax_fmap_header) == 32);
CHECK(hdr_file_type, OFF(fuse_dax_fmap_header, file_type) == 0);
CHECK(hdr_reserved, OFF(fuse_dax_fmap_header, reserved) == 1);
CHECK(hdr_version, OFF(fuse_dax_fmap_header, fmap_version) == 2);
CHECK(hdr_ext_type, OFF(fuse_dax_fmap_header, ext_type) == 4);
CHECK(hdr_nextents, OFF(fuse_dax_fmap_header, nextents) == 8);
CHECK(hdr_reserved0, OFF(fuse_dax_fmap_header, reserved0) == 12);
CHECK(hdr_file_size, OFF(fuse_dax_fmap_header, file_size) == 16);
CHECK(hdr_reserved1, OFF(fuse_dax_fmap_header, reserved1) == 24);

CHECK(se_size, sizeof(struct fuse_dax_simple_ext) == 24);
CHECK(se_devindex, OFF(fuse_dax_simple_ext, se_devindex) == 0);
CHECK(se_reserved, OFF(fuse_dax_simple_ext, reserved) == 4);
CHECK(se_offset, OFF(fuse_dax_simple_ext, se_offset) == 8);
CHECK(se_len, OFF(fuse_dax_simple_ext, se_len) == 16);

CHECK(ie_size, sizeof(struct fuse_dax_interleaved_ext) == 24);
CHECK(ie_nstrips, OFF(fuse_dax_interleaved_ext, ie_nstrips) == 0);
CHECK(ie_chunk_size, OFF(fuse_dax_interleaved_ext, ie_chunk_size) == 4);
CHECK(ie_nbytes, OFF(fuse_dax_interleaved_ext, ie_nbytes) == 8);
CHECK(ie_reserved, OFF(fuse_dax_interleaved_ext, reserved) == 16);

CHECK(dd_size, sizeof(struct fuse_dax_daxdev_out) == 280);
CHECK(dd_index, OFF(fuse_dax_daxdev_out, index) == 0);
CHECK(dd_reserved, OFF(fuse_dax_daxdev_out, reserved) == 2);
CHECK(dd_reserved2, OFF(fuse_dax_daxdev_out, reserved2) == 4);
CHECK(dd_reserved3, OFF(fuse_dax_daxdev_out, reserved3) == 8);
CHECK(dd_reserved4, OFF(fuse_dax_daxdev_out, reserved4) == 16);
CHECK(dd_name, OFF(fuse_dax_daxdev_out, name) == 24);

/* The ioctl arguments of the BPF hook (kernel/patches 0008, 0009) */
CHECK(dev_size, sizeof(struct fuse_dax_fmap_device) == 16);
CHECK(dev_fd, OFF(fuse_dax_fmap_device, fd) == 4);
CHECK(dev_flags, OFF(fuse_dax_fmap_device, flags) == 8);
CHECK(bind_size, sizeof(struct fuse_dax_fmap_bind) == 24);
CHECK(bind_flags, OFF(fuse_dax_fmap_bind, flags) == FUSE_DAX_FMAP_OPS_NAME_MAX);
CHECK(answers, FUSE_DAX_FMAP_FALLBACK == 0 && FUSE_DAX_FMAP_HANDLED == 1);

/* The largest V10 reply that fits its one page: header + 32 simple extents. */
CHECK(max_simple_fits, sizeof(struct fuse_dax_fmap_header) +
			       FUSE_DAX_FMAP_MAX_EXTENTS * sizeof(struct fuse_dax_simple_ext) <=
		       FUSE_DAX_FMAP_MAX_REPLY);

#undef OFF
#undef CHECK

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

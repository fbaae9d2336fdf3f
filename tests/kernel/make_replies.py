#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""GET_FMAP replies for the daxfmap kernel's guest test (vm/guest/kernel.sh):
one per row of the V10 validation table (FACTS.md) that the wire corpus
(tests/fuzz/corpus/wire_decode_fuzz) does not cover, plus the extended
profile's own rules.  The guest sends each one as it is (vm/guest/fmapsrv.c)
and checks that the open fails or succeeds with the errno `daxfmap validate`
gives, under V10 and under the extended profile.

    tests/kernel/make_replies.py [DIR]   (default: tests/kernel/replies)
"""
import os
import struct
import sys

M = 2 << 20  # 2 MiB


def header(ext_type, nextents, file_size, reserved0=0):
    # u8 file_type, u8 reserved, u16 fmap_version, u32 ext_type, u32 nextents,
    # u32 reserved0, u64 file_size, u64 reserved1
    return struct.pack('<BBHIIIQQ', 0, 0, 1, ext_type, nextents, reserved0, file_size, 0)


def simple(dev, off, length):
    return struct.pack('<IIQQ', dev, 0, off, length)


def ilv(nstrips, chunk, nbytes):
    return struct.pack('<IIQQ', nstrips, chunk, nbytes, 0)


CASES = {
    # V10 rows
    'row_simple_list_short.bin':  # nextents 4, two extents present
        header(0, 4, 8 * M) + simple(0, 16 * M, 4 * M) + simple(0, 24 * M, 4 * M),
    'row_ilv_header_short.bin':  # two interleaved extents, the second's header cut
        header(1, 2, 8 * M) + ilv(1, 2 * M, 4 * M) + simple(0, 16 * M, 4 * M) + ilv(1, 2 * M, 4 * M)[:12],
    'row_ilv_nbytes0.bin':
        header(1, 1, 4 * M) + ilv(2, 2 * M, 0) + simple(0, 16 * M, 2 * M) + simple(0, 32 * M, 2 * M),
    'row_simple_sum_short.bin':  # 4 MiB of extents for an 8 MiB file
        header(0, 2, 8 * M) + simple(0, 16 * M, 2 * M) + simple(0, 20 * M, 2 * M),
    'row_ilv_sum_short.bin':  # strips hold 4 MiB, the file is 8 MiB
        header(1, 1, 8 * M) + ilv(2, 2 * M, 8 * M) + simple(0, 16 * M, 2 * M) + simple(0, 32 * M, 2 * M),
    'row_simple_offset_unaligned.bin':
        header(0, 1, 2 * M) + simple(0, 16 * M + 4096, 2 * M),
    'row_simple_len_unaligned.bin':
        header(0, 1, 2 * M) + simple(0, 16 * M, 2 * M + 4096),
    'row_ilv_devindex5.bin':  # a strip on device 5: V10 EINVAL, extended accepts
        header(1, 1, 4 * M) + ilv(2, 2 * M, 4 * M) + simple(0, 16 * M, 2 * M) + simple(5, 16 * M, 2 * M),
    'row_simple_32_exact.bin':  # the largest V10 map: accepted
        header(0, 32, 64 * M) + b''.join(simple(0, (8 + 2 * i) * M, 2 * M) for i in range(32)),
    # extended rules (V10 accepts these)
    'ext_range_wraps.bin':  # offset + length past 2^64
        header(0, 1, 2 * M) + simple(0, (1 << 64) - M, 2 * M),
    'ext_ilv_covers_less.bin':  # nbytes 4 MiB of a 6 MiB file
        header(1, 1, 6 * M) + ilv(2, 2 * M, 4 * M) + simple(0, 16 * M, 4 * M) + simple(0, 32 * M, 4 * M),
    'ext_devindex24.bin':  # past the 24-slot table: both refuse
        header(0, 1, 2 * M) + simple(24, 16 * M, 2 * M),
    # order: which check fails first decides the errno
    'order_nextents0_bad_type.bin':  # the count before the type: ERANGE
        header(7, 0, 2 * M),
    'order_nextents33_header_only.bin':  # the count before the list: ERANGE
        header(0, 33, 2 * M),
    'order_short_header.bin':  # 20 bytes: EINVAL before anything else
        header(0, 0, 2 * M)[:20],
    'order_ext_wrap_then_unaligned.bin':  # extended: the wrap first, EOVERFLOW
        header(0, 2, 4 * M) + simple(0, (1 << 64) - M, 2 * M) + simple(0, 16 * M + 4096, 2 * M),
    'order_ext_unaligned_then_wrap.bin':  # extended: the alignment first, EINVAL
        header(0, 2, 4 * M) + simple(0, 16 * M + 4096, 2 * M) + simple(0, (1 << 64) - M, 2 * M),
    'order_ext_remainder_before_wrap.bin':  # extended: V10's signed remainder first, EINVAL
        header(1, 1, 8 * M) + ilv(2, 2 * M, 8 * M) + simple(0, (1 << 64) - M, 2 * M) + simple(0, 16 * M, 2 * M),
    'order_ext_sum_wraps.bin':  # extended: lengths whose sum wraps, EOVERFLOW last
        header(0, 2, 2 * M) + simple(0, 16 * M, (1 << 64) - 2 * M) + simple(0, 16 * M, 4 * M),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'replies')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(CASES.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print(f'{len(CASES)} replies in {out}')


if __name__ == '__main__':
    main()

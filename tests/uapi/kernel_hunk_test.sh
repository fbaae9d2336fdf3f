#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# uapi/linux/fuse_dax_fmap.h says what the kernel series adds to
# include/uapi/linux/fuse.h: the block from "DAX file maps (FUSE_DAX_FMAP)" to
# the end, compared with the header's (types spelled __u32 and __s32 there,
# uint32_t and int32_t in fuse.h; whitespace ignored), plus the flag and the opcodes.  The series is
# applied to fuse.h of the pristine 6.12 tree that kernel/build keeps in its
# cache; without that tree the test is skipped (77).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${DAXFMAP_KERNEL_CACHE:-/var/cache/daxfmap/kernel}
[[ -d $cache/src ]] || cache=${XDG_CACHE_HOME:-$HOME/.cache}/daxfmap/kernel
tree=$(ls -d "$cache"/src/linux-*/ 2>/dev/null | sort -V | tail -1)
if [[ -z $tree || ! -f $tree/.daxfmap-ready ]]; then
	echo "kernel_hunk_test: SKIPPED: no 6.12 tree in $cache/src (run kernel/build once)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/include/uapi/linux"
git -C "$tree" show base:include/uapi/linux/fuse.h >"$tmp/include/uapi/linux/fuse.h"
for p in "$ROOT"/kernel/patches/[0-9][0-9][0-9][0-9]-*.patch; do
	[[ $(basename "$p") == 0000-* ]] && continue
	(cd "$tmp" && git apply --include=include/uapi/linux/fuse.h "$p")
done
k=$tmp/include/uapi/linux/fuse.h
u=$ROOT/uapi/linux/fuse_dax_fmap.h
# Types as the header spells them; comment leaders and line breaks ignored.
norm() {
	sed -e 's/uint8_t/__u8/g; s/uint16_t/__u16/g; s/uint32_t/__u32/g; s/uint64_t/__u64/g; s/int32_t/__s32/g' \
		-e 's/^[[:space:]]*\*\([[:space:]]\|$\)//' |
		tr -s ' \t\n' ' '
}
kblock=$(sed -n '/^ \* DAX file maps (FUSE_DAX_FMAP)$/,/^#endif \/\* _LINUX_FUSE_H \*\//p' "$k" | sed '$d' | norm)
ublock=$(sed -n '/^ \* DAX file maps (FUSE_DAX_FMAP)$/,/^#endif \/\* FUSE_DAX_FMAP \*\//p' "$u" | sed '$d' | norm)
fail=0
if [[ -z $kblock || $kblock != "$ublock" ]]; then
	echo "kernel_hunk_test: the fmap block of fuse.h (series) and of $u differ:"
	diff <(echo "$kblock" | tr ' ' '\n') <(echo "$ublock" | tr ' ' '\n') | head -40
	fail=1
fi
for d in 'FUSE_DAX_FMAP[[:space:]]*\(1ULL << 43\)' 'FUSE_GET_FMAP[[:space:]]*=[[:space:]]*54' 'FUSE_GET_DAXDEV[[:space:]]*=[[:space:]]*55'; do
	grep -Eq "$d" "$k" || { echo "kernel_hunk_test: fuse.h (series) lacks $d"; fail=1; }
done
grep -Eq '#define FUSE_DAX_FMAP[[:space:]]+\(1ULL << 43\)' "$u" || { echo "kernel_hunk_test: $u lacks the flag"; fail=1; }
grep -Eq '#define FUSE_GET_FMAP[[:space:]]+54' "$u" && grep -Eq '#define FUSE_GET_DAXDEV[[:space:]]+55' "$u" ||
	{ echo "kernel_hunk_test: $u lacks the opcodes"; fail=1; }
((fail == 0)) && echo "kernel_hunk_test: uapi/linux/fuse_dax_fmap.h matches the series' fuse.h ($(basename "$tree"))"
exit $fail

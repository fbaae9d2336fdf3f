# SPDX-License-Identifier: GPL-2.0-only
# Guest benchmark "bench" (not a test: vm/run --kernel daxfmap --test bench):
# `daxfmap bench fault` on the daxfmap kernel, /dev/pmem0 in fsdax mode, the
# files served by fmapsrv; 1 to 1M extents (over 32 with the kernel's large
# maps, fuse.dax_fmap_max_reply at its 64 MiB ceiling).  Then `daxfmap bench
# open` against the real GET_FMAP (daxfmapd on /dev/pmem0, made afresh), and
# the GETXATTR model beside it.  The results (JSON, CSV, tables) go to
# /results/bench.  The same files are faulted through the message path and
# through each BPF design bound with the kernel's hook (hookctl registers
# them): the constant resolver, hash, flat, digest, and fallback-first.
# BENCH_EXTENTS overrides the extent counts.  A FUSE connection holds its
# devices, so each design beside the message path needs an NVDIMM of its
# own: two runs (const, digest, fallback; then hash, flat) over
# /dev/pmem0..3, each with its own message-path baseline, into
# $OUT/group0 and group1.  BENCH_QUICK=1 (bench-smoke.sh) makes
# it a smoke check instead: a quick run of 1 and 32 extents must produce
# rows with values, for every design too (and their ratios to the message
# path), and the fs_dax tracepoints must count the PMD and PTE faults it
# made (no timing is checked).
# shellcheck shell=sh
. /vm/lib.sh
OUT=/results/bench
PARAM=/sys/module/fuse/parameters/dax_fmap_max_reply

# open_kernel [--quick]: the open scenario against the real GET_FMAP, on a
# daxfmapd mount of /dev/pmem0 (message path in force); JSON into
# $OUT/open.json (and one line per row in open-flat.json, for grep).
open_kernel() {
	step "open: the real GET_FMAP round trip (daxfmapd on /dev/pmem0)"
	check "mkfs /dev/pmem0" daxfmap mkfs /dev/pmem0 || return 1
	mkdir -p "$MNT"
	daxfmap mount /dev/pmem0 "$MNT" --no-bpf --log /results/daxfmapd-bench.log >/results/mount-bench.txt 2>&1 ||
		{ cat /results/mount-bench.txt; return 1; }
	cat /results/mount-bench.txt
	daxfmap bench open "$@" --json --open-mount "$MNT" >"$OUT/open.json" 2>"$OUT/open.log"
	orc=$?
	cat "$OUT/open.log"
	daxfmap umount "$MNT"
	tr -d '\n ' <"$OUT/open.json" | sed 's/},{/}\n{/g' >"$OUT/open-flat.json"
	return $orc
}

# open_model [--quick]: the GETXATTR model beside it, on this kernel too
# (its daemon declines FUSE_DAX_FMAP for its image file).
open_model() {
	step "open: the GETXATTR model"
	daxfmap bench open "$@" --json >"$OUT/open-model.json" 2>"$OUT/open-model.log"
	check "daxfmap bench open (the GETXATTR model)" test $? -eq 0
	cat "$OUT/open-model.log"
	tr -d '\n ' <"$OUT/open-model.json" | sed 's/},{/}\n{/g' >"$OUT/open-model-flat.json"
	for m in plain message bpf-digest; do
		check "open (model): $m rows with values" grep -q "\"strategy\":\"$m\".*\"median\"" "$OUT/open-model-flat.json"
	done
}

step "kernel"
if [ ! -e $PARAM ]; then
	# The scenario must refuse, naming what is missing.
	daxfmap bench fault --quick --dax-device /dev/pmem0 >/results/refusal.txt 2>&1
	rc=$?
	cat /results/refusal.txt
	check "fault refuses on $KREL (no FUSE_DAX_FMAP), exit 2" test $rc -eq 2
	check "the refusal names FUSE_DAX_FMAP" grep -q "FUSE_DAX_FMAP" /results/refusal.txt
	result "fault figures" SKIPPED "$KREL has no FUSE_DAX_FMAP (vm/run --kernel daxfmap)"
	finish
	exit $?
fi
check "fsdax /dev/pmem0" setup_fsdax 0 || { finish; exit 1; }
# A FUSE connection holds its devices exclusively: the message path and each
# BPF design measured beside it fault through a device of their own, so the
# designs run in two groups of three (vm/run boots 4 NVDIMMs).
DEVS=/dev/pmem0
for i in 1 2 3; do
	check "fsdax /dev/pmem$i" setup_fsdax $i && DEVS=$DEVS,/dev/pmem$i
done
GROUPS_OF_DESIGNS="const,digest,fallback hash,flat"
mkdir -p "$OUT"

if [ -n "$BENCH_QUICK" ]; then
	step "fault --quick: rows, and the faults the tracepoints count"
	traced=0
	dax_trace_on && traced=1
	: >"$OUT/quick-rows.txt"
	g=0
	for designs in $GROUPS_OF_DESIGNS; do
		daxfmap bench fault --quick --json --dax-device "$DEVS" --fault-extents 1,32 --fault-designs "$designs" \
			>"$OUT/quick$g.json" 2>"$OUT/quick$g.log"
		rc=$?
		cat "$OUT/quick$g.log"
		check "daxfmap bench fault --quick --fault-designs $designs" test $rc -eq 0
		# One line per result row (the scaling entries have no "ranges").
		tr -d '\n ' <"$OUT/quick$g.json" | sed 's/},{/}\n{/g; s/}\],"scaling":\[{/}\n{/' | grep '"ranges":' >"$OUT/quick$g-rows.txt"
		cat "$OUT/quick$g-rows.txt" >>"$OUT/quick-rows.txt"
		g=$((g + 1))
	done
	[ $traced = 1 ] && set -- $(dax_trace_counts)
	for m in us_per_pte_fault us_per_pmd_fault MiB_per_s_read; do
		n=$(grep -c "\"strategy\":\"message\".*\"metric\":\"$m\"" "$OUT/quick0-rows.txt")
		check "message, $m: 8 rows (1 and 32 extents, simple and interleaved, two patterns)" test "$n" -eq 8
		# The hook's rows: each design on the same files, and its ratio to
		# the message path (bpf-const: the 1-extent simple file alone).
		for s in bpf-digest bpf-hash bpf-flat fallback-first bpf-const; do
			# hash holds 2 interleaved extents at most: not the 32-extent file.
			want=8
			[ $s = bpf-hash ] && want=6
			[ $s = bpf-const ] && want=2
			n=$(grep "\"strategy\":\"$s\".*\"metric\":\"$m\"" "$OUT/quick-rows.txt" | grep -c '"median"')
			check "$s, $m: $want rows with values" test "$n" -eq "$want"
			n=$(grep "\"strategy\":\"$s\".*\"metric\":\"ratio_$m\"" "$OUT/quick-rows.txt" | grep -c '"median"')
			check "$s, $m: $want ratios to the message path" test "$n" -eq "$want"
		done
	done
	for s in message bpf-digest bpf-hash bpf-flat fallback-first bpf-const; do
		want=4
		[ $s = bpf-hash ] && want=3
		[ $s = bpf-const ] && want=1
		# the message path is measured in both groups: count the first's
		rows=$OUT/quick-rows.txt
		[ $s = message ] && rows=$OUT/quick0-rows.txt
		n=$(grep "\"strategy\":\"$s\".*\"metric\":\"us_per_first_open\"" "$rows" | grep -c '"median"')
		check "$s: $want first-open rows with values" test "$n" -eq "$want"
	done
	grep -v '"median"' "$OUT/quick-rows.txt" >"$OUT/quick-novalue.txt"
	check "no row without a value but hash's 32 interleaved extents (its maps refuse them)" \
		test "$(grep -c '"strategy":"bpf-hash","layout":"interleaved","extents":32,' "$OUT/quick-novalue.txt")" -eq \
		"$(wc -l <"$OUT/quick-novalue.txt")"
	if [ $traced = 1 ]; then
		# 4 files x 2 patterns x (5 repeats + the warm-up): 8 PMD and 64 PTE
		# faults per cycle, on the message path alone (the designs add more).
		echo "fs_dax: $1 PMD faults (NOPAGE), $2 PMD fallbacks, $3 PTE faults"
		check "the PMD probes faulted in PMDs (>= 384, no fallback)" test "$1" -ge 384 -a "$2" -eq 0
		check "the PTE probes faulted in 4 KiB pages (>= 3072)" test "$3" -ge 3072
	else
		result "fault counts" SKIPPED "no fs_dax tracepoints"
	fi
	open_kernel --quick
	rc=$?
	check "daxfmap bench open --quick --open-mount" test $rc -eq 0
	for m in kernel-first kernel-cached kernel-plain; do
		check "open: $m rows with values" grep -q "\"strategy\":\"$m\".*\"median\"" "$OUT/open-flat.json"
	done
	open_model --quick
	finish
	exit $?
fi

step "fault: 1 to 1M extents (large maps: $PARAM = 64 MiB), the message path and each BPF design"
echo 67108864 >$PARAM
g=0
# hash holds 32 extents at most and flat is measured up to 32K: their group
# stops at 32K.
for designs in $GROUPS_OF_DESIGNS; do
	mkdir -p "$OUT/group$g"
	extents=1,2,32,1K,32K,1M
	[ $g = 1 ] && extents=1,2,32,1K,32K
	daxfmap bench fault --dax-device "$DEVS" --fault-extents "${BENCH_EXTENTS:-$extents}" \
		--fault-designs "$designs" --out "$OUT/group$g" >"$OUT/group$g/tables.txt" 2>"$OUT/group$g/progress.log"
	rc=$?
	cat "$OUT/group$g/progress.log" "$OUT/group$g/tables.txt"
	check "daxfmap bench fault --fault-designs $designs" test $rc -eq 0
	check "$designs: rows with values" grep -q '"median"' "$OUT/group$g/results.json"
	g=$((g + 1))
done
echo 0 >$PARAM
open_kernel
check "daxfmap bench open --open-mount" test $? -eq 0
open_model
finish

# SPDX-License-Identifier: GPL-2.0-only
# Shared by the guest tests (busybox sh).  Each check ends in one line of
# /results/summary, "NAME: PASSED|FAILED|SKIPPED: why", which vm/run reads
# back on the host; the test exits non-zero if any line says FAILED.
# shellcheck shell=sh

KREL=$(uname -r)
MNT=/mnt/daxfmap

result() {
	echo "$1: $2${3:+: $3}" >>/results/summary
	echo "DAXFMAP-VM: result $1: $2${3:+: $3}" >/dev/console
}

# check NAME CMD...: runs CMD, records PASSED or FAILED under NAME.
check() {
	name=$1
	shift
	echo "+ $*"
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		result "$name" PASSED
		return 0
	fi
	result "$name" FAILED "exit status $rc of: $*"
	return 1
}

# Steps carry the guest's uptime, to see where a slow run spends its time.
step() { echo; echo "== [$(cut -d' ' -f1 /proc/uptime)s] $*"; }

finish() {
	! grep -q ': FAILED' /results/summary 2>/dev/null
}

# wait_for PATH [SECONDS]: module probing is asynchronous.
wait_for() {
	n=0
	while [ ! -e "$1" ] && [ $n -lt $((${2:-10} * 10)) ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -e "$1" ]
}

# setup_devdax: /dev/dax0.0 on the NVDIMM QEMU gives us, through sysfs (no
# ndctl).  On a backing file that already carries a device-DAX info block
# (multi-host: guest B after guest A), the kernel finds it at probe and
# /dev/dax0.0 appears by itself; reconfiguring would rewrite the info block,
# so that case is left alone.
setup_devdax() {
	if ! wait_for /sys/bus/nd/devices/region0 10; then
		echo "setup_devdax: no NVDIMM region (is nfit loaded, did QEMU get -device nvdimm?)"
		return 1
	fi
	if wait_for /dev/dax0.0 3; then
		echo "setup_devdax: /dev/dax0.0 found at probe (existing info block), not reconfigured"
		return 0
	fi
	wait_for /sys/bus/nd/devices/namespace0.0 5 || { echo "setup_devdax: no namespace0.0"; return 1; }
	if [ -e /sys/bus/nd/drivers/nd_pmem/namespace0.0 ]; then
		echo namespace0.0 >/sys/bus/nd/drivers/nd_pmem/unbind || return 1
	fi
	seed=$(cat /sys/bus/nd/devices/region0/dax_seed)
	d=/sys/bus/nd/devices/$seed
	cat /proc/sys/kernel/random/uuid >"$d/uuid" &&
		echo pmem >"$d/mode" &&
		echo 2097152 >"$d/align" &&
		echo namespace0.0 >"$d/namespace" &&
		echo "$seed" >/sys/bus/nd/drivers/dax_pmem/bind || return 1
	wait_for /dev/dax0.0 5 || { echo "setup_devdax: $seed bound, but no /dev/dax0.0"; return 1; }
	echo "setup_devdax: /dev/dax0.0 configured ($seed, 2 MiB alignment, $(cat /sys/bus/dax/devices/dax0.0/size) bytes)"
}

# tiles MAP.json: "file_off dev_off len" for every piece of the file, by
# the native resolver (what devio cmp reads).
# tiles MAP.json [PROFILE [DEVICE]]: with PROFILE (default v10) for maps
# V10 refuses; with DEVICE, only the pieces on that device index.
tiles() {
	daxfmap resolve --all --json --max-pieces 1048576 --profile "${2:-v10}" "$1" 0 |
		awk -v want="${3:-}" '
		/"pieces":/ { p = 1 }
		!p { next }
		/^ *"offset":/ { gsub(/[^0-9]/, ""); o = $0 }
		/^ *"device":/ { gsub(/[^0-9]/, ""); dev = $0 }
		/^ *"device_offset":/ { gsub(/[^0-9]/, ""); d = $0 }
		/^ *"length":/ && o != "" {
			gsub(/[^0-9]/, "")
			if (want == "" || dev == want) print o, d, $0
			o = ""
		}'
}

# probe_strategies: sets LOADED to the BPF strategies that load in this
# kernel; each one that does not is SKIPPED by name, with the loader's
# message, and its whole log (the verifier's among it) kept as load-S.log.
probe_strategies() {
	LOADED=
	for s in hash flat digest; do
		log=/results/load-$s.log
		echo "+ daxfmap bpf load --instance vmprobe_$s --strategies $s"
		if daxfmap bpf load --instance "vmprobe_$s" --strategies "$s" >"$log" 2>&1; then
			cat "$log"
			daxfmap bpf unload --instance "vmprobe_$s"
			LOADED="$LOADED $s"
		else
			cat "$log"
			why=$(grep -i 'daxfmap' "$log" | tail -1)
			result "strategy $s" SKIPPED "does not load on $KREL: ${why:-$(tail -1 "$log")} (see load-$s.log)"
		fi
	done
}

# setup_fsdax [N]: NVDIMM region N (default 0) as /dev/pmemN in fsdax mode,
# through sysfs (no ndctl): the raw namespace is unbound from nd_pmem, a pfn
# device (the region's pfn_seed) takes it with 2 MiB alignment, nd_pmem binds
# that.  A raw NFIT namespace is not DAX-capable in 6.12; the pfn device
# makes queue/dax 1.  A backing file that already has a pfn info block comes
# up in fsdax mode by itself and is left alone.
setup_fsdax() {
	sf=${1:-0}
	sf_region=/sys/bus/nd/devices/region$sf
	if ! wait_for "$sf_region" 10; then
		echo "setup_fsdax: no NVDIMM region$sf (ACPI_NFIT, and QEMU -device nvdimm?)"
		return 1
	fi
	sf_ns=namespace$sf.0
	wait_for /sys/bus/nd/devices/$sf_ns 5 || { echo "setup_fsdax: no $sf_ns"; return 1; }
	if wait_for /dev/pmem$sf 5 && [ "$(cat /sys/block/pmem$sf/queue/dax 2>/dev/null)" = 1 ]; then
		echo "setup_fsdax: /dev/pmem$sf is fsdax already (existing info block), not reconfigured"
		return 0
	fi
	if [ -e /sys/bus/nd/drivers/nd_pmem/$sf_ns ]; then
		echo "$sf_ns" >/sys/bus/nd/drivers/nd_pmem/unbind || return 1
	fi
	seed=$(cat "$sf_region/pfn_seed")
	p=/sys/bus/nd/devices/$seed
	cat /proc/sys/kernel/random/uuid >"$p/uuid" &&
		echo pmem >"$p/mode" &&
		echo 2097152 >"$p/align" &&
		echo "$sf_ns" >"$p/namespace" &&
		echo "$seed" >/sys/bus/nd/drivers/nd_pmem/bind || return 1
	wait_for /dev/pmem$sf 5 || { echo "setup_fsdax: $seed bound, but no /dev/pmem$sf"; return 1; }
	dax=$(cat /sys/block/pmem$sf/queue/dax)
	echo "setup_fsdax: /dev/pmem$sf ($seed, mode $(cat /sys/bus/nd/devices/$sf_ns/mode), 2 MiB alignment," \
		"$(($(cat /sys/block/pmem$sf/size) / 2048)) MiB, queue/dax $dax)"
	[ "$dax" = 1 ]
}

# dax_trace_on / dax_trace_counts: the fs_dax tracepoints, counted.
# dax_trace_counts prints "PMD_NOPAGE PMD_FALLBACK PTE" since the last
# dax_trace_on.
dax_trace_on() {
	T=/sys/kernel/tracing
	[ -d $T/events ] || mount -t tracefs tracefs $T 2>/dev/null
	[ -d $T/events/fs_dax ] || { echo "dax_trace_on: no fs_dax tracepoints in $T"; return 1; }
	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 1 >$T/events/fs_dax/dax_pmd_fault_done/enable
	echo 1 >$T/events/fs_dax/dax_pte_fault_done/enable
	echo 1 >$T/tracing_on
}
dax_trace_counts() {
	T=/sys/kernel/tracing
	echo 0 >$T/tracing_on
	pmd_nopage=$(grep -c 'dax_pmd_fault_done.*NOPAGE' $T/trace)
	pmd_fallback=$(grep -c 'dax_pmd_fault_done.*FALLBACK' $T/trace)
	pte=$(grep -c 'dax_pte_fault_done' $T/trace)
	echo 0 >$T/events/fs_dax/dax_pmd_fault_done/enable
	echo 0 >$T/events/fs_dax/dax_pte_fault_done/enable
	echo "$pmd_nopage $pmd_fallback $pte"
}

# The daemon and kernel tests' three files in $MNT: simple.dat (16M),
# striped.dat (16M, 4 strips of 2M chunks), wide.dat (24M, 3 strips of 4M).
create_test_files() {
	printf '%s\n' "simple.dat 16M" "striped.dat 16M 4 2M" "wide.dat 24M 3 4M" |
		while read -r f size strips chunk; do
			if [ -n "$strips" ]; then
				check "creat $f" daxfmap creat "$MNT/$f" --size "$size" --strips "$strips" --chunk "$chunk"
			else
				check "creat $f" daxfmap creat "$MNT/$f" --size "$size"
			fi
		done
	ls -l "$MNT"
}

# famfs_media_checks DEV PATH_IN_FORCE [MOUNT_OPTION...]: the famfs sample
# written onto DEV (once), mounted read-only by daxfmapd (the path in force
# must be PATH_IN_FORCE): every file's content equals famfs's, getmap equals
# famfs's shadow YAML, writes are refused, fsck is clean.
famfs_media_checks() {
	fdev=$1 want_path=$2
	shift 2
	if [ -e /tmp/famfs-written ]; then
		:
	elif [ -b "$fdev" ]; then
		check "famfs sample onto $fdev" sh -c "xzcat /daxfmap/famfs/famfs-small.img.xz | kio dwrite $fdev 0 538968064"
	else
		check "famfs sample onto $fdev" sh -c "xzcat /daxfmap/famfs/famfs-small.img.xz | devio write $fdev 0 538968064"
	fi
	touch /tmp/famfs-written
	check "$want_path: fsck of famfs media: clean, 11 files" sh -c "daxfmap fsck $fdev | tee /dev/stderr | grep -q '11 files, 6 directories'"
	daxfmap mount "$fdev" "$MNT" --log /results/daxfmapd-famfs.log "$@" >/results/mount-famfs.txt 2>&1
	check "$want_path: mount famfs media" test $? -eq 0 || return 1
	cat /results/mount-famfs.txt
	check "$want_path: famfs media mounts read-only" grep -q "famfs media.*READ-ONLY\|READ-ONLY" /results/mount-famfs.txt
	check "famfs media: path in force: $want_path" grep -q "path in force: $want_path" /results/mount-famfs.txt
	check "$want_path: every famfs file's bytes equal famfs's (SHA-256)" sh -c "cd $MNT && sha256sum -c /daxfmap/famfs/famfs-small.files.sha256"
	bad=0
	for y in $(cd /daxfmap/famfs/famfs-small.shadow-yaml/root && find . -type f); do
		daxfmap getmap "$MNT/$y" | cmp -s - "/daxfmap/famfs/famfs-small.shadow-yaml/root/$y" || { echo "getmap differs: $y"; bad=$((bad + 1)); }
	done
	check "$want_path: getmap prints famfs's shadow YAML for every file" test $bad -eq 0
	check "$want_path: a write to famfs media is refused" sh -c "! touch $MNT/new 2>/dev/null"
	check "$want_path: umount famfs media" daxfmap umount "$MNT"
}

# status_num MNT KEY: a number of `daxfmap status --json MNT`
status_num() { daxfmap status --json "$1" | sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p" | head -1; }

# size_change_checks MNT REPORT TAG: on a daxfmapd mount of a kernel that
# took FUSE_DAX_FMAP_INVAL (REPORT: the mount's report), a file grows with
# truncate(1) while another process has it mapped, grows with fallocate(1)
# and shrinks with truncate(1).  Each change works;
# the bytes before it stay where they were (read(2), mmap, the device at the
# new fmap's offsets); a load past the new end is SIGBUS; the mapping held
# across the growth faults again, through the new map, with its bytes.
size_change_checks() {
	f=$1/grow.dat
	check "$3 size changes are served (FUSE_DAX_FMAP_INVAL)" grep -q "size changes: served" "$2" || return 1
	check "$3 creat grow.dat (4 MiB)" daxfmap creat "$f" --size 4M
	devio pattern 41 4194304 >/tmp/grow4.pat
	check "$3 grow.dat: write(2) 4 MiB" dd if=/tmp/grow4.pat of="$f" bs=1M conv=notrunc
	rm -f /tmp/grow.fifo /tmp/grow.out
	mkfifo /tmp/grow.fifo
	kio hold "$f" /tmp/grow4.pat </tmp/grow.fifo >/tmp/grow.out 2>&1 &
	hpid=$!
	exec 4>/tmp/grow.fifo
	n=0
	while ! grep -q '^held' /tmp/grow.out && [ $n -lt 60 ]; do sleep 1; n=$((n + 1)); done
	check "$3 grow.dat: open and mapped by another process" grep -q '^held' /tmp/grow.out
	check "$3 truncate -s 8M grow.dat while it is mapped" truncate -s 8M "$f"
	check "$3 grow.dat is 8 MiB" test "$(stat -c %s "$f")" -eq 8388608
	echo go >&4
	exec 4>&-
	wait $hpid
	hrc=$?
	cat /tmp/grow.out
	check "$3 the mapping held across the growth faults again, with its bytes" test $hrc -eq 0
	check "$3 grow.dat: read(2) gives the first 4 MiB as written" cmp -n 4194304 /tmp/grow4.pat "$f"
	devio pattern 42 8388608 >/tmp/grow8.pat
	check "$3 grow.dat: write(2) 8 MiB" dd if=/tmp/grow8.pat of="$f" bs=1M conv=notrunc
	check "$3 grow.dat: read(2) gives the 8 MiB" cmp /tmp/grow8.pat "$f"
	check "$3 grow.dat: mmap gives the 8 MiB" kio mcmp "$f" /tmp/grow8.pat
	daxfmap getmap --json "$f" >/tmp/grow.json
	tiles /tmp/grow.json >/tmp/grow.tiles
	check "$3 grow.dat: the device's bytes at the new fmap's offsets equal the file's" \
		kio dcmp "$DEV" "$f" </tmp/grow.tiles
	check "$3 fallocate -l 12M grow.dat" fallocate -l 12M "$f"
	check "$3 grow.dat is 12 MiB" test "$(stat -c %s "$f")" -eq 12582912
	check "$3 grow.dat: read(2) gives the first 8 MiB as written" cmp -n 8388608 /tmp/grow8.pat "$f"
	check "$3 grow.dat: a load at 10 MiB works" test "$(kio mprobe "$f" 10485760 12582912)" = ok
	check "$3 truncate -s 2M grow.dat" truncate -s 2M "$f"
	check "$3 grow.dat is 2 MiB" test "$(stat -c %s "$f")" -eq 2097152
	check "$3 grow.dat: read(2) gives the first 2 MiB as written" cmp -n 2097152 /tmp/grow8.pat "$f"
	check "$3 grow.dat: a load at 4 MiB, past the new end, is SIGBUS" \
		test "$(kio mprobe "$f" 4194304 8388608)" = SIGBUS
	# An fmap of no extents is refused by the kernel's check (ERANGE, as
	# V10): emptying a file the kernel maps is refused, the file unchanged.
	check "$3 O_TRUNC of grow.dat is refused, the file kept" \
		sh -c "! sh -c \": >'$f'\" 2>/dev/null && cmp -n 2097152 /tmp/grow8.pat '$f'"
	check "$3 rm grow.dat" rm "$f"
	rm -f /tmp/grow4.pat /tmp/grow8.pat
}

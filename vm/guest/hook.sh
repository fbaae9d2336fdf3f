# SPDX-License-Identifier: GPL-2.0-only
# Guest test "hook": the daxfmap kernel's BPF hook (struct_ops
# fuse_dax_fmap_ops, kernel/patches 0008-0009) through fmapsrv.  A test
# resolver (bpf/fmap_hook_test.bpf.c, registered by hookctl with Debian's
# libbpf) places every file of the mount at one device range; fmapsrv installs
# /dev/pmem0 by ioctl and binds its connection to the resolver, and has the
# same layout as a GET_FMAP reply for the fallback.  Checked: the resolved
# file serves the device's bytes through read(2), write(2), PMD and PTE
# faults with no GET_FMAP and no GET_DAXDEV; unregistered while a process
# has it mapped, the same mapping faults again through GET_FMAP (one); a
# lying resolver (past the device, an absent device, misaligned) gets EIO
# and SIGBUS and a kernel warning, never an oops, and its mount works again
# through GET_FMAP once it is unregistered; the strategies' struct_ops forms
# load over a daxfmap instance's maps, register, and fall back for a file
# the maps do not hold; and the digest form, over the maps daxfmapd fills
# and bound to daxfmapd's connection from outside, serves the daemon's
# files (read(2), write(2), PMD faults, the device's bytes at the native
# resolver's offsets) with no GET_FMAP and no GET_DAXDEV.
# shellcheck shell=sh
. /vm/lib.sh
DEV=/dev/pmem0
# The file: 16 MiB at 64 MiB on the device, in one extent.
BASE=67108864
SIZE=16777216
C=/tmp/hookcases
F=hook.bin

# mount_fmapsrv NAME MNT LOG: fmapsrv on MNT, bound to the resolver NAME.
mount_fmapsrv() {
	mkdir -p "$2"
	FMAPSRV_BIND=$1 fmapsrv "$2" "$C" "0=$DEV" "$3" &
	srv=$!
	n=0
	while ! grep -q " $2 " /proc/mounts && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	n=0
	while ! grep -q '^BIND ' "$3" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	cat "$3"
}

# count WHAT LOG: lines of fmapsrv's LOG for WHAT (GET_FMAP, GET_DAXDEV).
count() { grep -c "^$1" "$2"; }

step "kernel"
check "the kernel has the BPF hook (fuse_dax_fmap_ops in its BTF)" grep -q fuse_dax_fmap_ops /sys/kernel/btf/vmlinux ||
	{ finish; exit 1; }

step "device: the NVDIMM in fsdax mode, the file's bytes on it"
check "fsdax /dev/pmem0" setup_fsdax 0 || { finish; exit 1; }
mkdir -p "$C"
cat >/tmp/hook.yaml <<EOF
file:
  path: $F
  size: $SIZE
  nextents: 1
  simple_ext_list:
  - {devindex: 0, offset: $BASE, length: $SIZE}
EOF
check "the same layout as a GET_FMAP reply (fmapsrv's fallback)" daxfmap encode /tmp/hook.yaml -o "$C/$F"
devio pattern 5 $SIZE >/tmp/hook.pat
check "the file's bytes on $DEV at $BASE (O_DIRECT)" kio dwrite "$DEV" $BASE $SIZE </tmp/hook.pat
echo "0 $BASE $SIZE" >/tmp/hook.tiles

step "a constant resolver (the hook's own cost): no GET_FMAP, no GET_DAXDEV"
check "register daxfmap_const" hookctl register const $BASE $SIZE || { finish; exit 1; }
LOG=/results/fmapsrv-const.log
mount_fmapsrv daxfmap_const /mnt/hook "$LOG"
check "fmapsrv installed $DEV by ioctl" grep -q "^DEVICE 0 $DEV ok" "$LOG"
check "fmapsrv bound its connection to daxfmap_const" grep -q '^BIND daxfmap_const ok' "$LOG"
check "the size is the resolver's" test "$(stat -c %s /mnt/hook/$F)" -eq $SIZE
check "read(2) gives the device's bytes" cmp /tmp/hook.pat /mnt/hook/$F
if dax_trace_on; then
	kio mcmp /mnt/hook/$F /tmp/hook.pat
	rc=$?
	set -- $(dax_trace_counts)
	echo "mmap: $1 PMD faults, $2 PMD fallbacks, $3 PTE faults"
	check "mmap (PMD) gives the device's bytes" test $rc -eq 0
	check "one PMD fault per 2 MiB ($((SIZE / 2097152))), no fallback, no PTE fault" \
		test "$1" -eq $((SIZE / 2097152)) -a "$2" -eq 0 -a "$3" -eq 0
	dax_trace_on
	kio mcmp /mnt/hook/$F /tmp/hook.pat nohuge
	rc=$?
	set -- $(dax_trace_counts)
	echo "mmap, MADV_NOHUGEPAGE: $1 PMD faults, $3 PTE faults"
	check "mmap (PTE) gives the device's bytes" test $rc -eq 0
	check "4 KiB faults only ($((SIZE / 4096)))" test "$1" -eq 0 -a "$3" -eq $((SIZE / 4096))
else
	result "PMD and PTE faults" SKIPPED "no fs_dax tracepoints"
	check "mmap gives the device's bytes" kio mcmp /mnt/hook/$F /tmp/hook.pat
fi
# 1 MiB at 4 MiB by write(2) through the resolver: the device has it.
devio pattern 6 1048576 >/tmp/piece
dd if=/tmp/piece of=/tmp/hook.pat bs=1M seek=4 conv=notrunc 2>/dev/null
check "write(2) of 1 MiB at 4 MiB" dd if=/tmp/piece of=/mnt/hook/$F bs=1M seek=4 conv=notrunc
check "the device has the bytes written (O_DIRECT)" kio dcmp "$DEV" /mnt/hook/$F </tmp/hook.tiles
check "no GET_FMAP and no GET_DAXDEV for a file the resolver handles" \
	test "$(count GET_FMAP "$LOG")" -eq 0 -a "$(count GET_DAXDEV "$LOG")" -eq 0

step "unregistered while mapped: the same mapping faults again, through GET_FMAP"
rm -f /tmp/gate /tmp/gate.ready
kio mgate /mnt/hook/$F /tmp/hook.pat /tmp/gate &
holder=$!
wait_for /tmp/gate.ready 60
check "unregister daxfmap_const while $F is mapped" hookctl unregister const
touch /tmp/gate
wait $holder
check "the mapping's faults after the unregistration give the same bytes" test $? -eq 0
check "read(2) after the unregistration gives the same bytes" cmp /tmp/hook.pat /mnt/hook/$F
check "one GET_FMAP (the first fault without a resolver), no GET_DAXDEV" \
	test "$(count GET_FMAP "$LOG")" -eq 1 -a "$(count GET_DAXDEV "$LOG")" -eq 0
umount /mnt/hook
wait $srv 2>/dev/null

step "lying resolvers: EIO and SIGBUS, a warning, the kernel survives"
lie=0
for what in "past the device's end" "device 7 (not installed)" "misaligned by 512 bytes"; do
	check "register daxfmap_lie ($what)" hookctl register lie $BASE $SIZE $lie || break
	LOG=/results/fmapsrv-lie$lie.log
	mount_fmapsrv daxfmap_lie /mnt/lie "$LOG"
	warned=$(dmesg | grep -c 'the BPF resolver mapped offset')
	out=$(kio pread /mnt/lie/$F 0 4096 2>&1 >/dev/null)
	rc=$?
	echo "pread: status $rc, $out"
	check "lie $lie ($what): read(2) fails with EIO" \
		sh -c "test $rc -ne 0 && echo '$out' | grep -q 'Input/output error'"
	kio touch /mnt/lie/$F
	rc=$?
	check "lie $lie ($what): a fault is SIGBUS (status $rc)" test $rc -eq 135
	check "lie $lie ($what): the kernel warns" test "$(dmesg | grep -c 'the BPF resolver mapped offset')" -gt "$warned"
	check "lie $lie: unregister daxfmap_lie" hookctl unregister lie
	check "lie $lie: then read(2) gives the device's bytes, through GET_FMAP" cmp /tmp/hook.pat /mnt/lie/$F
	check "lie $lie: one GET_FMAP" test "$(count GET_FMAP "$LOG")" -eq 1
	umount /mnt/lie
	wait $srv 2>/dev/null
	lie=$((lie + 1))
done
step "the strategies' struct_ops forms, over the maps of a daxfmap instance"
# Loaded by libbpf 1.1.2 over the maps "daxfmap bpf load" pinned, accepted
# by the verifier and registered.  The maps hold no fmap for fmapsrv's file,
# so setup answers FALLBACK: the file opens through GET_FMAP.
for s in hash flat digest; do
	check "$s: daxfmap bpf load" daxfmap bpf load --instance "vmhook_$s" --strategies "$s" || continue
	check "$s: register daxfmap_$s over the instance's maps" \
		hookctl strategy "$s" "/sys/fs/bpf/daxfmap/vmhook_$s/$s" || continue
	LOG=/results/fmapsrv-$s.log
	mount_fmapsrv "daxfmap_$s" /mnt/strategy "$LOG"
	check "$s: fmapsrv bound to daxfmap_$s" grep -q "^BIND daxfmap_$s ok" "$LOG"
	check "$s: a file the maps do not hold reads through the message path" cmp /tmp/hook.pat /mnt/strategy/$F
	check "$s: one GET_FMAP" test "$(count GET_FMAP "$LOG")" -eq 1
	umount /mnt/strategy
	wait $srv 2>/dev/null
	check "$s: unregister daxfmap_$s" hookctl unregister "$s"
	daxfmap bpf unload --instance "vmhook_$s"
done

step "digest over daxfmapd's own maps: files the daemon holds resolved by BPF, no GET_FMAP"
# daxfmapd fills its instance's maps (file id = inode number = FUSE nodeid)
# but does not bind its connection yet: hookctl binds it from outside
# (pidfd_getfd).  Files created through FUSE_CREATE get no map at that
# open, so every later open asks the resolver first.
M=/mnt/daxfmap
DLOG=/results/daxfmapd-hook.log
mkdir -p $M
check "mkfs $DEV" daxfmap mkfs "$DEV"
if check "mount daxfmapd (BPF instance vmhookd)" daxfmap mount "$DEV" $M --bpf-instance vmhookd --log "$DLOG"; then
	MNT=$M create_test_files
	check "register daxfmap_digest over daxfmapd's maps" hookctl strategy digest /sys/fs/bpf/daxfmap/vmhookd/digest
	pid=$(pidof daxfmapd | cut -d' ' -f1)
	check "bind daxfmapd's connection to daxfmap_digest (device 0: $DEV)" hookctl bind "${pid:-0}" daxfmap_digest "0=$DEV"
	seed=21
	for f in simple.dat striped.dat wide.dat; do
		size=$(stat -c %s "$M/$f")
		devio pattern $seed "$size" >"/tmp/$f.pat"
		seed=$((seed + 1))
		check "$f: write(2) through the digest resolver" dd if="/tmp/$f.pat" of="$M/$f" bs=1M conv=notrunc
		check "$f: read(2) gives the bytes written" cmp "/tmp/$f.pat" "$M/$f"
		daxfmap getmap --json "$M/$f" >"/results/hookd-$f.json"
		tiles "/results/hookd-$f.json" >"/tmp/$f.tiles"
		check "$f: the device's bytes at the native resolver's offsets equal the file's" \
			kio dcmp "$DEV" "$M/$f" <"/tmp/$f.tiles"
		if dax_trace_on; then
			kio mcmp "$M/$f" "/tmp/$f.pat"
			rc=$?
			set -- $(dax_trace_counts)
			echo "$f: $1 PMD faults, $2 fallbacks, $3 PTE faults"
			check "$f: mmap gives the bytes written" test $rc -eq 0
			check "$f: one PMD fault per 2 MiB, no fallback, no PTE fault" \
				test "$1" -eq $((size / 2097152)) -a "$2" -eq 0 -a "$3" -eq 0
		fi
	done
	check "umount" daxfmap umount $M
	cat "$DLOG"
	line=$(grep 'unmounted after serving' "$DLOG" | tail -1)
	check "daxfmapd answered no GET_FMAP and no GET_DAXDEV (the resolver did)" \
		sh -c "echo '$line' | grep -q 'serving 0 GET_FMAP and 0 GET_DAXDEV'"
	check "unregister daxfmap_digest" hookctl unregister digest
fi

dmesg | grep 'fuse: DAX file map' | head -5
check "no oops, BUG or kernel warning with a backtrace" sh -c '! dmesg | grep -E "Oops|BUG:|WARNING:|Call Trace"'
finish

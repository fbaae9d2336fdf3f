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
# the maps do not hold; and daxfmapd itself, with each --strategy, binds its
# connection and serves the message path's bytes (read(2), PMD and PTE
# faults) with no GET_FMAP and no GET_DAXDEV for the files the strategy holds
# and one GET_FMAP per file it does not (hash, 20 strips); two mounts at once
# get ops of their own (two devices); killed with -9 while a file is mapped, the mapping
# keeps faulting and the next mount unregisters the orphan's ops.
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

step "daxfmapd binds its own strategy: the message path's bytes, no GET_FMAP for the files it holds"
# daxfmapd --strategy S registers S's struct_ops form over its instance's
# maps (ops named after the instance), installs $DEV and binds its own
# connection after INIT.  The reference is a message-path mount of the same
# device (--no-bpf).  many.dat has 20 strips: more than hash holds inline
# (16), so under hash it takes the message path: one GET_FMAP, and the
# mount report counts it.
M=/mnt/daxfmap
M2=/mnt/daxfmap2
mkdir -p $M $M2
FILES="simple.dat striped.dat wide.dat many.dat"
# same_bytes MNT TAG: read(2), PMD and PTE faults of every file give its pattern
same_bytes() {
	for f in $FILES; do
		size=$(stat -c %s "$1/$f")
		check "$2 $f: the size is the file's ($size)" test "$size" -eq "$(stat -c %s /tmp/$f.pat)"
		check "$2 $f: read(2) gives the message path's bytes" cmp "/tmp/$f.pat" "$1/$f"
		if dax_trace_on; then
			kio mcmp "$1/$f" "/tmp/$f.pat"
			rc=$?
			set -- "$1" "$2" $(dax_trace_counts)
			check "$2 $f: mmap (PMD) gives the same bytes" test $rc -eq 0
			check "$2 $f: one PMD fault per 2 MiB, no fallback, no PTE fault ($3 $4 $5)" \
				test "$3" -eq $((size / 2097152)) -a "$4" -eq 0 -a "$5" -eq 0
			dax_trace_on
			kio mcmp "$1/$f" "/tmp/$f.pat" nohuge
			rc=$?
			set -- "$1" "$2" $(dax_trace_counts)
			check "$2 $f: mmap (PTE) gives the same bytes" test $rc -eq 0
			check "$2 $f: 4 KiB faults only ($5)" test "$3" -eq 0 -a "$5" -eq $((size / 4096))
		else
			check "$2 $f: mmap gives the same bytes" kio mcmp "$1/$f" "/tmp/$f.pat"
		fi
	done
}
check "mkfs $DEV" daxfmap mkfs "$DEV"
if check "mount on the message path (--no-bpf)" daxfmap mount "$DEV" $M --no-bpf --log /results/daxfmapd-msg.log; then
	MNT=$M create_test_files
	check "creat many.dat (20 strips of 2 MiB)" daxfmap creat $M/many.dat --size 40M --strips 20 --chunk 2M
	seed=21
	for f in $FILES; do
		devio pattern $seed "$(stat -c %s "$M/$f")" >"/tmp/$f.pat"
		seed=$((seed + 1))
		check "message path: write(2) $f" dd if="/tmp/$f.pat" of="$M/$f" bs=1M conv=notrunc
	done
	check "message path: path in force message" test "$(daxfmap status --json $M | sed -n 's/.*"path": "\(.*\)".*/\1/p')" = message
	check "umount the message-path mount" daxfmap umount $M
fi
# Each strategy in turn on the same instance: the same ops name each time,
# which registers only if the unmount before unregistered it.
for st in hash flat digest; do
	R=/results/mount-$st.txt
	check "$st: mount --strategy $st" sh -c "daxfmap mount $DEV $M --strategy $st --bpf-instance vmhookd --log /results/daxfmapd-$st.log >$R 2>&1" || continue
	cat $R
	check "$st: path in force bpf-hook, strategy named" sh -c "grep -q 'path in force: bpf-hook (.*strategy $st, ops dxf_' $R"
	held=0
	[ $st = hash ] && held=1
	check "$st: the report counts $held file(s) not held" grep -q "strategy $st bound as ops dxf_[0-9a-f]*; $held files\? it does not hold" $R
	check "$st: status --json names the strategy" sh -c "daxfmap status --json $M | grep -q '\"strategy\": \"$st\"'"
	same_bytes $M "$st:"
	check "$st: $held GET_FMAP (one per inode not held), no GET_DAXDEV" \
		test "$(status_num $M get_fmap)" -eq $held -a "$(status_num $M get_daxdev)" -eq 0
	check "$st: umount" daxfmap umount $M
done

step "size changes on the bpf-hook path: the kernel drops the fmap, the strategy answers the new one"
# The daemon swaps the file's entry in its maps before it answers SETATTR or
# FALLOCATE; the kernel dropped the file's map before it sent them, so the
# next fault asks the resolver again: no GET_FMAP at all.
R=/results/mount-resize.txt
if check "mount --strategy digest" sh -c "daxfmap mount $DEV $M --strategy digest >$R 2>&1"; then
	cat $R
	size_change_checks $M $R "digest:"
	check "digest: no GET_FMAP and no GET_DAXDEV across the size changes" \
		test "$(status_num $M get_fmap)" -eq 0 -a "$(status_num $M get_daxdev)" -eq 0
	check "digest: umount" daxfmap umount $M
	check "fsck after the size changes" daxfmap fsck "$DEV"
fi

step "two bpf-hook mounts at once (/dev/pmem0 and /dev/pmem1): ops of their own"
# A pmem device serves one connection at a time (the kernel holds it for
# the connection it is installed on: EBUSY for another), so the second
# mount has a device of its own.
if check "fsdax /dev/pmem1" setup_fsdax 1 && check "mkfs /dev/pmem1" daxfmap mkfs /dev/pmem1 &&
	check "first mount (digest, /dev/pmem0)" sh -c "daxfmap mount $DEV $M --strategy digest >/results/mount-two1.txt 2>&1"; then
	if check "second mount (digest, /dev/pmem1)" sh -c "daxfmap mount /dev/pmem1 $M2 --strategy digest >/results/mount-two2.txt 2>&1"; then
		cat /results/mount-two1.txt /results/mount-two2.txt
		o1=$(sed -n 's/.*bound as ops \(dxf_[0-9a-f]*\);.*/\1/p' /results/mount-two1.txt)
		o2=$(sed -n 's/.*bound as ops \(dxf_[0-9a-f]*\);.*/\1/p' /results/mount-two2.txt)
		check "both on bpf-hook, under two ops names ($o1, $o2)" test -n "$o1" -a -n "$o2" -a "$o1" != "$o2"
		check "second mount: creat wide.dat" daxfmap creat $M2/wide.dat --size 24M --strips 3 --chunk 4M
		check "second mount: write(2) wide.dat" dd if=/tmp/wide.dat.pat of=$M2/wide.dat bs=1M conv=notrunc
		check "second mount: read(2) gives the bytes written" cmp /tmp/wide.dat.pat $M2/wide.dat
		check "second mount: mmap gives them" kio mcmp $M2/wide.dat /tmp/wide.dat.pat
		check "first mount: read(2) still gives its bytes" cmp /tmp/wide.dat.pat $M/wide.dat
		check "no GET_FMAP and no GET_DAXDEV on either" \
			test "$(status_num $M get_fmap)" -eq 0 -a "$(status_num $M2 get_fmap)" -eq 0 \
			-a "$(status_num $M get_daxdev)" -eq 0 -a "$(status_num $M2 get_daxdev)" -eq 0
		daxfmap umount $M2
	fi
	daxfmap umount $M
fi

step "daxfmapd killed with -9 while a file is mapped: faults keep resolving, the next mount cleans up"
if check "mount --strategy digest" sh -c "daxfmap mount $DEV $M --strategy digest >/results/mount-kill.txt 2>&1"; then
	ops=$(sed -n 's/.*bound as ops \(dxf_[0-9a-f]*\);.*/\1/p' /results/mount-kill.txt)
	rm -f /tmp/gate /tmp/gate.ready
	kio mgate $M/wide.dat /tmp/wide.dat.pat /tmp/gate &
	holder=$!
	wait_for /tmp/gate.ready 60
	pid=$(pidof daxfmapd | cut -d' ' -f1)
	check "kill -9 daxfmapd ($pid) while wide.dat is mapped" kill -9 "${pid:-0}"
	sleep 1
	touch /tmp/gate
	wait $holder
	check "the mapping's faults after the daemon died give the same bytes" test $? -eq 0
	daxfmap umount --lazy $M
	if check "mount again (digest)" sh -c "daxfmap mount $DEV $M --strategy digest >/results/mount-after-kill.txt 2>&1"; then
		cat /results/mount-after-kill.txt
		check "the orphan's ops ($ops) were unregistered: the same name registers and binds again" \
			grep -q "bound as ops $ops;" /results/mount-after-kill.txt
		check "after the restart: read(2) gives the same bytes" cmp /tmp/wide.dat.pat $M/wide.dat
		check "umount" daxfmap umount $M
	fi
fi

dmesg | grep 'fuse: DAX file map' | head -5
check "no oops, BUG or kernel warning with a backtrace" sh -c '! dmesg | grep -E "Oops|BUG:|WARNING:|Call Trace"'
finish

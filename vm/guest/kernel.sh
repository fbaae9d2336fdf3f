# SPDX-License-Identifier: GPL-2.0-only
# Guest test "kernel": the daxfmap kernel (kernel/patches, FUSE_DAX_FMAP)
# with daxfmapd answering it.  The NVDIMM becomes /dev/pmem0 in fsdax mode;
# daxfmapd mounts it and negotiates FUSE_DAX_FMAP; files written with
# write(2) read back with read(2) and through mmap faults, and equal the
# device's bytes (O_DIRECT) at the fmap's offsets; bytes stored through a
# mapping and bytes written to the device show at once; 2 MiB aligned
# files fault in PMDs (fs_dax tracepoints); GET_FMAP is sent once per inode
# and GET_DAXDEV once per device; the daemon serves no file data.
# shellcheck shell=sh
. /vm/lib.sh
DEV=/dev/pmem0
LOG=/results/daxfmapd.log

step "kernel"
check "fuse is registered" grep -qw fuse /proc/filesystems
check "the kernel has DAX file maps (fuse.dax_fmap_max_reply)" test -e /sys/module/fuse/parameters/dax_fmap_max_reply
cat /sys/module/fuse/parameters/dax_fmap_max_reply 2>/dev/null

step "device: the NVDIMM in fsdax mode"
check "fsdax /dev/pmem0" setup_fsdax 0 || { finish; exit 1; }

step "mkfs and mount"
mkdir -p "$MNT"
check "mkfs" daxfmap mkfs "$DEV" || { finish; exit 1; }
daxfmap mount "$DEV" "$MNT" --no-bpf --log "$LOG" >/results/mount.txt 2>&1
rc=$?
cat /results/mount.txt
check "mount" test $rc -eq 0 || { finish; exit 1; }
check "path in force: message (FUSE_DAX_FMAP negotiated)" grep -q "path in force: message" /results/mount.txt

step "files"
create_test_files

# The block device's page cache does not see DAX stores, and lives as long as
# somebody holds /dev/pmem0 open.  Hold it, and read simple.dat's device bytes
# through it now: after the stores below these cached pages are stale, and the
# plain mount further down must read the media, not them.
sleep 100000 <"$DEV" &
holder=$!
daxfmap getmap --json "$MNT/simple.dat" >/tmp/simple.pre.json
tiles /tmp/simple.pre.json | while read -r foff doff len; do
	dd if="$DEV" of=/dev/null bs=4096 skip=$((doff / 4096)) count=$((len / 4096)) 2>/dev/null
done

step "write(2), then read(2), mmap and the device's bytes"
seed=1
for f in simple.dat striped.dat wide.dat; do
	size=$(stat -c %s "$MNT/$f")
	devio pattern $seed "$size" >"/tmp/$f.pat"
	seed=$((seed + 1))
	check "$f: write(2)" dd if="/tmp/$f.pat" of="$MNT/$f" bs=1M conv=notrunc
	check "$f: read(2) gives the bytes written" cmp "/tmp/$f.pat" "$MNT/$f"
	check "$f: mmap gives the bytes written" kio mcmp "$MNT/$f" "/tmp/$f.pat"
	daxfmap getmap --json "$MNT/$f" >"/results/$f.json"
	daxfmap getmap "$MNT/$f"
	tiles "/results/$f.json" >"/tmp/$f.tiles"
	check "$f: the device's bytes at the fmap's offsets (O_DIRECT) equal the file's" \
		kio dcmp "$DEV" "$MNT/$f" <"/tmp/$f.tiles"
done

step "stores through a mapping, and writes to the device, show at once"
# Bytes [2M, 6M) of simple.dat through a shared mapping (pattern 77).
devio pattern 77 16777216 >/tmp/p77
dd if=/tmp/p77 of=/tmp/simple.dat.pat bs=1M skip=2 seek=2 count=4 conv=notrunc 2>/dev/null
check "simple.dat: stores through mmap" kio mwrite "$MNT/simple.dat" 77 2097152 4194304
check "simple.dat: read(2) sees the stores" cmp /tmp/simple.dat.pat "$MNT/simple.dat"
check "simple.dat: the device has the stores" kio dcmp "$DEV" "$MNT/simple.dat" </tmp/simple.dat.tiles
# 1 MiB written to the device where striped.dat's offset 6 MiB lives.
at=$(awk '$1 <= 6291456 && 6291456 < $1 + $3 { print $2 + 6291456 - $1 }' /tmp/striped.dat.tiles)
devio pattern 99 1048576 >/tmp/piece
dd if=/tmp/piece of=/tmp/striped.dat.pat bs=1M seek=6 conv=notrunc 2>/dev/null
check "write 1 MiB to $DEV at ${at:-?} (striped.dat +6M, O_DIRECT)" kio dwrite "$DEV" "${at:-x}" 1048576 </tmp/piece
check "striped.dat: read(2) sees the device write at once" cmp /tmp/striped.dat.pat "$MNT/striped.dat"
check "striped.dat: mmap sees the device write at once" kio mcmp "$MNT/striped.dat" /tmp/striped.dat.pat
# daxfmap cp writes through the fd that created the file, before its space
# came, so the kernel holds no fmap for that open: the daemon serves those
# writes, and must put them on the media, where DAX reads them.
check "daxfmap cp: bytes written through the creating fd are what DAX reads" \
	sh -c "daxfmap cp /tmp/p77 '$MNT/copied.dat' && cmp /tmp/p77 '$MNT/copied.dat'"

step "PMD faults (fs_dax tracepoints)"
for f in simple.dat striped.dat wide.dat; do
	size=$(stat -c %s "$MNT/$f")
	# A fresh mapping: drop what earlier mappings left in the page tables.
	dax_trace_on || { result "$f: PMD faults" SKIPPED "no fs_dax tracepoints"; continue; }
	kio touch "$MNT/$f"
	set -- $(dax_trace_counts)
	echo "$f: $1 PMD faults (NOPAGE), $2 PMD fallbacks, $3 PTE faults for $((size / 2097152)) 2 MiB pieces"
	check "$f: one PMD fault per 2 MiB, no fallback, no PTE fault" \
		test "$1" -eq $((size / 2097152)) -a "$2" -eq 0 -a "$3" -eq 0
done
dax_trace_on && {
	kio touch "$MNT/simple.dat" nohuge
	set -- $(dax_trace_counts)
	echo "simple.dat with MADV_NOHUGEPAGE: $1 PMD, $2 fallbacks, $3 PTE faults"
	check "simple.dat with MADV_NOHUGEPAGE: 4 KiB faults only" test "$1" -eq 0 -a "$3" -eq 4096
}

step "past the end: read(2) gives nothing, a load past EOF is SIGBUS"
check "creat short.dat (5000 bytes; its extent is 2 MiB)" daxfmap creat "$MNT/short.dat" --size 5000
head -c 5000 /tmp/p77 >/tmp/short.pat
check "short.dat: write(2)" dd if=/tmp/short.pat of="$MNT/short.dat" conv=notrunc
check "short.dat: read(2) gives the 5000 bytes written" cmp /tmp/short.pat "$MNT/short.dat"
check "simple.dat: read(2) at its end gives 0 bytes" \
	test "$(dd if="$MNT/simple.dat" bs=1M skip=16 2>/dev/null | wc -c)" -eq 0
check "short.dat: a load in the page that holds EOF works" \
	test "$(kio mprobe "$MNT/short.dat" 4999 2097152)" = ok
check "short.dat: a load past EOF, inside its extent, is SIGBUS" \
	test "$(kio mprobe "$MNT/short.dat" 8192 2097152)" = SIGBUS
check "simple.dat: a load past EOF and past its fmap is SIGBUS" \
	test "$(kio mprobe "$MNT/simple.dat" 16777216 33554432)" = SIGBUS

step "unlink while open and mapped: the bytes stay until the kernel forgets the inode"
free_units() { stat -f -c %f "$MNT"; }
check "creat held.dat 8M" daxfmap creat "$MNT/held.dat" --size 8M
head -c 8388608 /tmp/p77 >/tmp/held.pat
check "held.dat: write(2)" dd if=/tmp/held.pat of="$MNT/held.dat" bs=1M conv=notrunc
daxfmap getmap --json "$MNT/held.dat" >/results/held.json
rm -f /tmp/hold.fifo /tmp/hold.out
mkfifo /tmp/hold.fifo
kio hold "$MNT/held.dat" /tmp/held.pat </tmp/hold.fifo >/tmp/hold.out 2>&1 &
hpid=$!
exec 3>/tmp/hold.fifo
n=0
while ! grep -q '^held' /tmp/hold.out && [ $n -lt 60 ]; do sleep 1; n=$((n + 1)); done
check "held.dat: open and mapped by another process" grep -q '^held' /tmp/hold.out
before=$(free_units)
check "unlink held.dat" rm "$MNT/held.dat"
check "unlinked but open: its 4 units are still in use ($before free)" test "$(free_units)" -eq "$before"
check "filler.dat takes all $before free units" daxfmap creat "$MNT/filler.dat" --size "$((before * 2))M"
daxfmap getmap --json "$MNT/filler.dat" >/results/filler.json
# disjoint A.json B.json: no device range of A's fmap overlaps one of B's.
disjoint() {
	{ tiles "$1"; echo --; tiles "$2"; } | awk '
		$1 == "--" { f = 1; next }
		!f { s[n] = $2; e[n] = $2 + $3; n++; next }
		{ m++; for (i = 0; i < n; i++) if ($2 < e[i] && s[i] < $2 + $3) bad = 1 }
		END { exit bad || n == 0 || m == 0 }'
}
check "filler.dat's extents and the unlinked held.dat's do not overlap" \
	disjoint /results/held.json /results/filler.json
# First fit puts units freed too early at the front of the filler: zero that.
check "filler.dat: zeros over its first 64 MiB" dd if=/dev/zero of="$MNT/filler.dat" bs=4M count=16 conv=notrunc
echo go >&3
exec 3>&-
wait $hpid
hrc=$?
cat /tmp/hold.out
check "held.dat: its mapping and read(2) kept their bytes" test $hrc -eq 0
check "rm filler.dat" rm "$MNT/filler.dat"
n=0
while [ "$(free_units)" -ne $((before + 4)) ] && [ $n -lt 30 ]; do sleep 1; n=$((n + 1)); done
check "closed and unmapped: the kernel forgot held.dat, its 4 units are free again" \
	test "$(free_units)" -eq $((before + 4))

step "umount: GET_FMAP once per inode, GET_DAXDEV once per device, no file data served"
check "umount" daxfmap umount "$MNT"
cat "$LOG"
line=$(grep 'unmounted after serving' "$LOG" | tail -1)
fmaps=$(echo "$line" | sed -n 's/.* \([0-9]*\) GET_FMAP.*/\1/p')
daxdevs=$(echo "$line" | sed -n 's/.* \([0-9]*\) GET_DAXDEV.*/\1/p')
reads=$(echo "$line" | sed -n 's/.* \([0-9]*\) READ.*/\1/p')
writes=$(echo "$line" | sed -n 's/.* \([0-9]*\) WRITE.*/\1/p')
echo "daxfmapd answered ${fmaps:-?} GET_FMAP and ${daxdevs:-?} GET_DAXDEV, served ${reads:-?} READ and ${writes:-?} WRITE"
check "GET_FMAP once per inode (7 files)" test "${fmaps:-x}" = 7
check "GET_DAXDEV once per device (1)" test "${daxdevs:-x}" = 1
# daxfmap cp's 16 MiB through the creating fd: the only WRITEs.
check "the daemon served no READ, and WRITE only for the creating fd (daxfmap cp)" \
	test "${reads:-x}" = 0 -a "${writes:-0}" -gt 0

# Still held open: the pages read before the stores, unless something dropped them.
set -- $(head -1 /tmp/simple.dat.tiles)
dd if="$DEV" of=/tmp/cached bs=4096 skip=$(($2 / 4096)) count=$(($3 / 4096)) 2>/dev/null
dd if=/tmp/simple.dat.pat of=/tmp/want bs=4096 skip=$(($1 / 4096)) count=$(($3 / 4096)) 2>/dev/null
if cmp -s /tmp/cached /tmp/want; then
	echo "note: the page cache of $DEV is not stale here; the plain read below proves less"
else
	echo "the page cache of $DEV is stale (buffered read != media): the plain mount must not use it"
fi

step "declined at INIT (--message-path off): plain FUSE, the daemon serves the data"
LOG0=/results/daxfmapd-plain.log
daxfmap mount "$DEV" "$MNT" --no-bpf --message-path off --log "$LOG0" >/results/mount-plain.txt 2>&1
check "mount --message-path off" test $? -eq 0 || { finish; exit 1; }
check "path in force: plain (offered, declined)" grep -q "path in force: plain" /results/mount-plain.txt
check "plain: read(2) of simple.dat through the daemon" cmp /tmp/simple.dat.pat "$MNT/simple.dat"
check "plain: mmap of simple.dat through the page cache" kio mcmp "$MNT/simple.dat" /tmp/simple.dat.pat nohuge
check "umount" daxfmap umount "$MNT"
line=$(grep 'unmounted after serving' "$LOG0" | tail -1)
echo "$line"
check "plain: no GET_FMAP, and READ requests served" \
	sh -c "echo '$line' | grep -q 'serving 0 GET_FMAP and 0 GET_DAXDEV' && ! echo '$line' | grep -q ' 0 READ'"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
check "fsck" daxfmap fsck "$DEV"

step "large maps through daxfmapd: a file of 200 extents (V10 refuses it; large maps take it, with one retry)"
LOG2=/results/daxfmapd-large.log
check "remount" daxfmap mount "$DEV" "$MNT" --no-bpf --log "$LOG2" || { finish; exit 1; }
# Fragment the free space: 400 files of 2 MiB, the rest of the device in one
# filler, then every other small file deleted: 200 holes of 2 MiB.
mkdir -p "$MNT/frag"
i=0
while [ $i -lt 400 ] && daxfmap creat "$MNT/frag/f$i" --size 2M; do i=$((i + 1)); done
check "400 files of 2 MiB" test $i -eq 400
avail=$(df -k "$MNT" | awk 'NR == 2 { print $4 }')
fill=$((avail / 2048 * 2))
[ "$fill" -gt 0 ] && check "a filler of the remaining ${fill} MiB" daxfmap creat "$MNT/frag/fill" --size "${fill}M"
i=0
while [ $i -lt 400 ]; do rm "$MNT/frag/f$i" || break; i=$((i + 2)); done
check "creat big.dat (400 MiB: first-fit into the 200 holes)" daxfmap creat "$MNT/big.dat" --size 400M
# 200 extents make a 4832-byte reply: past V10's 4 KiB buffer, which the
# validator reports first (EINVAL); daxfmapd answers that verdict.
got=$(kio open "$MNT/big.dat" | cut -d' ' -f1)
check "V10: opening big.dat (200 extents, a 4832-byte map) fails with EINVAL" test "$got" = EINVAL
echo 16777216 >/sys/module/fuse/parameters/dax_fmap_max_reply
check "large maps (fuse.dax_fmap_max_reply=16 MiB): big.dat opens" kio open "$MNT/big.dat"
daxfmap getmap --json "$MNT/big.dat" >/results/big.dat.json
tiles /results/big.dat.json extended >/tmp/big.tiles
check "big.dat has 200 extents" test "$(wc -l </tmp/big.tiles)" -eq 200
devio pattern 7 419430400 >/tmp/big.pat
check "big.dat: write(2)" dd if=/tmp/big.pat of="$MNT/big.dat" bs=1M conv=notrunc
check "big.dat: read(2) gives the bytes written" cmp /tmp/big.pat "$MNT/big.dat"
check "big.dat: mmap gives the bytes written" kio mcmp "$MNT/big.dat" /tmp/big.pat
check "big.dat: the device's bytes at the fmap's offsets equal the file's" kio dcmp "$DEV" "$MNT/big.dat" </tmp/big.tiles
if dax_trace_on; then
	kio touch "$MNT/big.dat"
	set -- $(dax_trace_counts)
	echo "big.dat: $1 PMD faults, $2 fallbacks, $3 PTE faults"
	check "big.dat: one PMD fault per 2 MiB extent" test "$1" -eq 200 -a "$2" -eq 0 -a "$3" -eq 0
fi
echo 0 >/sys/module/fuse/parameters/dax_fmap_max_reply
rm -f /tmp/big.pat
check "umount" daxfmap umount "$MNT"
line=$(grep 'unmounted after serving' "$LOG2" | tail -1)
echo "$line"
check "daxfmapd: 2 large-map GET_FMAP, 1 answered with the header alone, 1 V10 refusal" \
	sh -c "echo '$line' | grep -q '1 and 0 answered with an error; 2 large-map GET_FMAP, 1 answered with the header alone'"

step "size changes: the kernel drops a file's fmap around them (FUSE_DAX_FMAP_INVAL) and fetches the new one"
LOG3=/results/daxfmapd-resize.log
if daxfmap mount "$DEV" "$MNT" --no-bpf --log "$LOG3" >/results/mount-resize.txt 2>&1; then
	cat /results/mount-resize.txt
	check "room for it: rm the fragments and big.dat" rm -rf "$MNT/frag" "$MNT/big.dat"
	size_change_checks "$MNT" /results/mount-resize.txt "message path:"
	# One GET_FMAP at the first open, then one after each of the three
	# changes and after the refused O_TRUNC (the kernel drops the map
	# before it sends OPEN), at the next access: 5.
	got=$(status_num "$MNT" get_fmap)
	check "message path: a GET_FMAP at the first open and after each size change (${got:-?} = 5)" \
		test "${got:-0}" -eq 5
	check "umount" daxfmap umount "$MNT"
	check "fsck after the size changes" daxfmap fsck "$DEV"
else
	check "mount for the size changes" false
	cat /results/mount-resize.txt
fi

# reply_pass PROFILE MAX_REPLY: every reply of /tmp/replies through fmapsrv,
# with fuse.dax_fmap_max_reply=MAX_REPLY (0: V10); the open's errno must be
# what "daxfmap validate --profile PROFILE" says the kernel answers.
reply_pass() {
	profile=$1 max=$2 mnt=/mnt/fmapsrv-$1 log=/results/fmapsrv-$1.log
	echo "$max" >/sys/module/fuse/parameters/dax_fmap_max_reply
	mkdir -p "$mnt"
	fmapsrv "$mnt" "$R" "$DEVS" "$log" &
	srv=$!
	n=0
	while ! grep -q " $mnt " /proc/mounts && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	agree=0 disagree=0
	for c in "$R"/*.bin; do
		name=${c##*/}
		v=$(daxfmap validate --profile "$profile" --format wire "$c" 2>&1 | head -1)
		want=$(echo "$v" | sed -n 's/.*the kernel answers \([A-Z0-9]*\).*/\1/p')
		[ -n "$want" ] || { echo "$v" | grep -q ': OK under' && want=ok; }
		got=$(kio open "$mnt/$name" | cut -d' ' -f1)
		wrote=$(grep "^GET_FMAP $name " "$log" | tail -1 | sed -n 's/.*write=\([A-Z0-9]*\).*/\1/p')
		echo "$profile $name: validator ${want:-?}, open ${got:-?}, fmapsrv's write ${wrote:-?}"
		if [ "$want" = "$got" ]; then
			agree=$((agree + 1))
			result "$profile reply $name: open gives $got, as the validator says" PASSED
		elif [ "$want" = EINVAL ] && [ "$got" = EIO ] && [ "$wrote" = EINVAL ]; then
			# The FUSE layer refuses a reply longer than the buffer: the
			# server's write(2) fails with EINVAL, the opener gets EIO.
			agree=$((agree + 1))
			result "$profile reply $name: the server's write gets EINVAL (the validator's), the open EIO (fs/fuse/dev.c)" PASSED
		elif echo "$v" | grep -q '(EFBIG)' && [ "$got" = EIO ] && [ "$wrote" = EINVAL ]; then
			# Larger than any fmap the profile accepts: the validator
			# refuses to read it (EFBIG), fs/fuse refuses the reply (the
			# server's write gets EINVAL, the opener EIO).
			agree=$((agree + 1))
			result "$profile reply $name: too large for the validator (EFBIG) and for fs/fuse (write EINVAL, open EIO)" PASSED
		else
			disagree=$((disagree + 1))
			result "$profile reply $name: open gives ${got:-?}, the validator says ${want:-?}" FAILED "$v"
		fi
	done
	echo "$profile: $agree replies agree with the validator, $disagree do not;" \
		"$(grep -c '^GET_DAXDEV' "$log") GET_DAXDEV, $(grep -c 'large-map form' "$log") large-map GET_FMAP"
	umount "$mnt"
	wait $srv 2>/dev/null
	echo 0 >/sys/module/fuse/parameters/dax_fmap_max_reply
}

step "GET_FMAP replies, valid and not: the open's errno is the validator's (fmapsrv)"
# fmapsrv sends each reply as it is: the wire corpus of the fuzzers, and
# tests/kernel/replies (make_replies.py: the rows of V10's table the corpus
# lacks, the order of the checks, the extended profile's rules); daxfmap
# validate (the project's validator) says what the kernel should answer: V10
# by default, the extended profile with large maps on.
R=/tmp/replies
mkdir -p "$R"
cp /daxfmap/replies/*.bin "$R/"
# Longer than V10's 4 KiB buffer: 32 good extents, then padding.
{ cat "$R/simple_32.bin"; dd if=/dev/zero bs=4200 count=1 2>/dev/null; } >"$R/oversize_5000.bin"
# Longer than the largest reply taken with large maps on (32 MiB).
{ cat "$R/simple_one.bin"; dd if=/dev/zero bs=1048576 count=33 2>/dev/null; } >"$R/oversize_33M.bin"
# Device indices the replies use: 0, 5 and 23 (simple_multi_device, row_ilv_devindex5).
DEVS=0=$DEV
if [ "${VM_NVDIMMS:-1}" -ge 3 ] && setup_fsdax 1 && setup_fsdax 2; then
	DEVS=$DEVS,5=/dev/pmem1,23=/dev/pmem2
fi
reply_pass v10 0
step "the same replies with large maps on (fuse.dax_fmap_max_reply=32 MiB), against the extended profile"
reply_pass extended 33554432

step "a file striped over three devices (large maps, fmapsrv)"
if [ "$DEVS" = "0=$DEV" ]; then
	result "three devices" SKIPPED "fewer than three NVDIMMs (vm/run --nvdimms 3)"
else
	M=/tmp/multi
	mkdir -p "$M" /mnt/multi
	# 24 MiB in 2 MiB chunks over the three devices, then 16 MiB in 4 MiB
	# chunks over devices 1 and 2; the file ends 1 MiB short of it.
	cat >/tmp/multi.yaml <<-EOF
	file:
	  path: multi.bin
	  size: 40894464
	  nextents: 2
	  striped_ext_list:
	  - nstrips: 3
	    chunk_size: 2M
	    nbytes: 24M
	    simple_ext_list:
	    - {devindex: 0, offset: 0x10000000, length: 8M}
	    - {devindex: 1, offset: 0x200000, length: 8M}
	    - {devindex: 2, offset: 0x1e000000, length: 8M}
	  - nstrips: 2
	    chunk_size: 4M
	    nbytes: 16M
	    simple_ext_list:
	    - {devindex: 1, offset: 0x20000000, length: 8M}
	    - {devindex: 2, offset: 0x400000, length: 8M}
	EOF
	check "encode the three-device fmap (extended)" daxfmap encode --profile extended /tmp/multi.yaml -o "$M/multi.bin"
	echo 33554432 >/sys/module/fuse/parameters/dax_fmap_max_reply
	fmapsrv /mnt/multi "$M" "0=$DEV,1=/dev/pmem1,2=/dev/pmem2" /results/fmapsrv-multi.log &
	srv=$!
	n=0
	while ! grep -q ' /mnt/multi ' /proc/mounts && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	devio pattern 11 40894464 >/tmp/multi.pat
	check "multi.bin: write(2)" dd if=/tmp/multi.pat of=/mnt/multi/multi.bin bs=1M conv=notrunc
	check "multi.bin: read(2) gives the bytes written" cmp /tmp/multi.pat /mnt/multi/multi.bin
	check "multi.bin: mmap gives the bytes written" kio mcmp /mnt/multi/multi.bin /tmp/multi.pat
	for d in 0 1 2; do
		tiles /tmp/multi.yaml extended $d >/tmp/multi.$d.tiles
		check "multi.bin: /dev/pmem$d has its $(wc -l </tmp/multi.$d.tiles) pieces (O_DIRECT)" \
			kio dcmp /dev/pmem$d /mnt/multi/multi.bin </tmp/multi.$d.tiles
	done
	check "GET_DAXDEV once for each of the three devices" test "$(grep -c '^GET_DAXDEV' /results/fmapsrv-multi.log)" -eq 3
	umount /mnt/multi
	wait $srv 2>/dev/null
	echo 0 >/sys/module/fuse/parameters/dax_fmap_max_reply
fi
step "famfs media on /dev/pmem0 through the message path, then through the BPF hook"
famfs_media_checks /dev/pmem0 message --no-bpf
famfs_media_checks /dev/pmem0 bpf-hook
finish

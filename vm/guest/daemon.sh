# SPDX-License-Identifier: GPL-2.0-only
# Guest test "daemon": the file system and daxfmapd on a real /dev/dax0.0.
# mkfs, mount, simple and striped files, data written through the mount and
# read back through the mount and from the device at the offsets the fmaps
# give, bytes written to the device seen through the mount, verify (BPF
# maps against native), umount, fsck, remount (log replay), all again.
# shellcheck shell=sh
. /vm/lib.sh
DEV=/dev/dax0.0

step "device"
check "devdax" setup_devdax || { finish; exit 1; }

step "mkfs and mount"
mkdir -p "$MNT"
check "mkfs" daxfmap mkfs "$DEV" || { finish; exit 1; }
check "mount" daxfmap mount "$DEV" "$MNT" || { finish; exit 1; }

step "files"
create_test_files

step "data through the mount, and from the device at the fmap's offsets"
seed=1
for f in simple.dat striped.dat wide.dat; do
	size=$(stat -c %s "$MNT/$f")
	devio pattern $seed "$size" >"/tmp/$f.pat"
	seed=$((seed + 1))
	check "write $f through the mount" dd if="/tmp/$f.pat" of="$MNT/$f" bs=1M conv=notrunc
	check "read $f through the mount" cmp "/tmp/$f.pat" "$MNT/$f"
	daxfmap getmap --json "$MNT/$f" >"/results/$f.json"
	daxfmap getmap "$MNT/$f"
	tiles "/results/$f.json" >"/tmp/$f.tiles"
	check "read $f from $DEV" devio cmp "$DEV" "/tmp/$f.pat" <"/tmp/$f.tiles"
done

# Bytes written into the device where striped.dat's offset 6 MiB lives
# (chunk 3, strip 3) must be the file's bytes there after a remount (the
# kernel's FUSE page cache may hold the old ones until then).
at=$(awk '$1 <= 6291456 && 6291456 < $1 + $3 { print $2 + 6291456 - $1 }' /tmp/striped.dat.tiles)
devio pattern 99 1048576 >/tmp/piece
check "write 1 MiB into $DEV at ${at:-?} (striped.dat +6M)" devio write "$DEV" "${at:-x}" 1048576 </tmp/piece
dd if=/tmp/piece of=/tmp/striped.dat.pat bs=1M seek=6 conv=notrunc 2>/dev/null

step "every file's BPF maps against native"
check "verify" daxfmap verify "$MNT"
daxfmap bpf status --all

step "umount, fsck, remount: the log replays"
check "umount" daxfmap umount "$MNT"
check "fsck" daxfmap fsck "$DEV"
check "remount" daxfmap mount "$DEV" "$MNT" || { finish; exit 1; }
ls -l "$MNT"
for f in simple.dat striped.dat wide.dat; do
	daxfmap getmap --json "$MNT/$f" >"/tmp/$f.replayed.json"
	check "$f: same fmap after replay" cmp "/results/$f.json" "/tmp/$f.replayed.json"
	check "$f: same data after replay" cmp "/tmp/$f.pat" "$MNT/$f"
done
check "verify after replay" daxfmap verify "$MNT"
check "umount after replay" daxfmap umount "$MNT"
check "fsck after replay" daxfmap fsck "$DEV"

step "famfs media on $DEV (the sample famfs's code wrote)"
famfs_media_checks "$DEV" plain
finish

# SPDX-License-Identifier: GPL-2.0-only
# Guest test "multihost", run twice on one backing file (share=on), one guest
# after the other.  Role A makes the file system, creates files and writes
# them; role B mounts the same device read-only (log replay).  Each records
# what it sees under /results/state: file list, data digests, fmaps, and
# every strategy's in-kernel resolution of every piece of every file.  vm/run
# compares A's with B's.
# shellcheck shell=sh
. /vm/lib.sh
DEV=/dev/dax0.0

record_state() {
	st=/results/state
	mkdir -p "$st"
	(cd "$MNT" && find . -type f | sort | while read -r f; do
		echo "$f $(stat -c '%s %a' "$f")"
	done) >"$st/files"
	(cd "$MNT" && find . -type f | sort | xargs md5sum) >"$st/md5"
	echo "[$(cut -d' ' -f1 /proc/uptime)s] digests done"
	(cd "$MNT" && find . -type f | sort) | while read -r f; do
		n=$(echo "${f#./}" | tr / _)
		daxfmap getmap --json "$MNT/$f" >"$st/$n.fmap.json"
		for s in native $LOADED; do
			daxfmap resolve --all --json --strategy "$s" "$st/$n.fmap.json" 0 >"$st/$n.$s.json" 2>&1 ||
				echo "resolve exit status $?" >>"$st/$n.$s.json"
		done
		for s in $LOADED; do
			# Equal to native's pieces, save the line naming the strategy.
			grep -v '"strategy":' "$st/$n.native.json" >/tmp/want
			grep -v '"strategy":' "$st/$n.$s.json" | cmp -s /tmp/want - ||
				echo "$f: $s differs from native (or did not load)" >>"$st/differences"
		done
	done
	cat "$st/files" "$st/md5"
	[ -f "$st/differences" ] && cat "$st/differences"
	return 0
}

step "BPF strategies ($VM_ROLE)"
probe_strategies

step "device ($VM_ROLE)"
check "devdax" setup_devdax || { finish; exit 1; }
mkdir -p "$MNT"

if [ "$VM_ROLE" = A ]; then
	check "mkfs" daxfmap mkfs "$DEV" || { finish; exit 1; }
	check "mount" daxfmap mount "$DEV" "$MNT" || { finish; exit 1; }
	daxfmap mkdir "$MNT/dir"
	check "creat simple" daxfmap creat "$MNT/simple.dat" --size 8M
	check "creat striped" daxfmap creat "$MNT/dir/striped.dat" --size 8M --strips 4 --chunk 2M
	check "creat wide" daxfmap creat "$MNT/wide.dat" --size 20M --strips 5 --chunk 4M
	step "data (A)"
	seed=$(date +%s)
	for f in simple.dat dir/striped.dat wide.dat; do
		seed=$((seed + 1))
		devio pattern $seed "$(stat -c %s "$MNT/$f")" >/tmp/pat
		check "write $f" dd if=/tmp/pat of="$MNT/$f" bs=1M conv=notrunc
	done
	check "verify (A)" daxfmap verify "$MNT"
	step "state seen by A"
	record_state
	step "unmount (A)"
	check "umount (A)" daxfmap umount "$MNT"
else
	check "mount --read-only (B)" daxfmap mount --read-only "$DEV" "$MNT" || { finish; exit 1; }
	step "state seen by B"
	record_state
	step "verify (B)"
	check "verify (B)" daxfmap verify "$MNT"
	if daxfmap creat "$MNT/new.dat" --size 2M 2>/tmp/creat.err; then
		result "B cannot create" FAILED "creat succeeded on a read-only mount"
	else
		result "B cannot create" PASSED "$(tail -1 /tmp/creat.err)"
	fi
	check "umount (B)" daxfmap umount "$MNT"
fi
finish

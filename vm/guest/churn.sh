# SPDX-License-Identifier: GPL-2.0-only
# Guest test "churn": on the daxfmap kernel, files deleted and recreated
# while other processes fault them never show a page of another file.
# churn (vm/guest/churn.c) keeps a few names taken by 4 MiB files that say
# in every page whose they are, replaces and unlinks them in a loop, and
# checks from two readers, through mappings (PMD and PTE) and read(2), that
# every page belongs to the file they opened, also after its name was
# replaced and its space reused by later files.  Run on the BPF hook
# (daxfmapd's default strategy, digest, and hash, which holds these files
# inline) and on the message path (GET_FMAP, the V10 walk); fsck clean
# after each.  Then the cleanup of a daemon killed with -9 whose mountpoint
# is never mounted again: `daxfmap bpf unload` unregisters its ops.
# shellcheck shell=sh
. /vm/lib.sh
DEV=/dev/pmem0
SECONDS_EACH=${CHURN_SECONDS:-40}

status_num() { daxfmap status --json "$1" | sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p" | head -1; }

step "kernel and device"
check "the kernel has the BPF hook (fuse_dax_fmap_ops in its BTF)" grep -q fuse_dax_fmap_ops /sys/kernel/btf/vmlinux ||
	{ finish; exit 1; }
check "fsdax /dev/pmem0" setup_fsdax 0 || { finish; exit 1; }
mkdir -p "$MNT"

# churn_on NAME PATH MOUNT-OPTIONS...: a fresh file system, mounted with the
# options, the churn, then umount and fsck.
churn_on() {
	cname=$1 want=$2
	shift 2
	step "churn on $cname"
	check "$cname: mkfs" daxfmap mkfs --force "$DEV" >/dev/null || return 1
	daxfmap mount "$DEV" "$MNT" "$@" --log "/results/daxfmapd-$cname.log" >"/results/mount-$cname.txt" 2>&1
	rc=$?
	cat "/results/mount-$cname.txt"
	check "$cname: mount" test $rc -eq 0 || return 1
	check "$cname: path in force: $want" grep -q "path in force: $want" "/results/mount-$cname.txt"
	churn "$MNT" "$SECONDS_EACH" 6 2 "0x$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')" >"/results/churn-$cname.txt" 2>&1
	rc=$?
	cat "/results/churn-$cname.txt"
	check "$cname: files deleted and recreated while others fault them: never another file's page" test $rc -eq 0
	daxfmap status "$MNT" | tee "/results/status-$cname.txt"
	if [ "$want" = bpf-hook ]; then
		check "$cname: no GET_FMAP: the strategy held every file" test "$(status_num "$MNT" get_fmap)" -eq 0
	else
		check "$cname: GET_FMAP answered (the message path)" test "$(status_num "$MNT" get_fmap)" -gt 0
	fi
	check "$cname: umount" daxfmap umount "$MNT"
	check "$cname: fsck clean after the churn" daxfmap fsck "$DEV"
}

churn_on digest bpf-hook --strategy digest
churn_on hash bpf-hook --strategy hash
churn_on message message --no-bpf

step "an orphan's ops, its mountpoint never mounted again: bpf unload unregisters them"
daxfmap mkfs --force "$DEV" >/dev/null
M=/mnt/orphan M2=/mnt/other
mkdir -p $M $M2
if check "mount --strategy digest on $M (instance orphaned)" \
	sh -c "daxfmap mount $DEV $M --strategy digest --bpf-instance orphaned >/results/mount-orphan.txt 2>&1"; then
	cat /results/mount-orphan.txt
	ops=$(sed -n 's/.*bound as ops \(dxf_[0-9a-f]*\);.*/\1/p' /results/mount-orphan.txt)
	pid=$(pidof daxfmapd | cut -d' ' -f1)
	check "kill -9 daxfmapd ($pid)" kill -9 "${pid:-0}"
	sleep 1
	# The kernel's umount, not daxfmap's (which would clean up the orphan):
	# as if the mount were taken away and the mountpoint never used again.
	umount -l $M
	daxfmap bpf status --instance orphaned | tee /results/orphan-status.txt
	check "bpf status says the instance is orphaned" grep -qi orphaned /results/orphan-status.txt
	check "bpf unload --instance orphaned" daxfmap bpf unload --instance orphaned
	# The ops name comes from the instance name: the same instance on
	# another mountpoint registers it again only if unload unregistered it.
	if check "mount on $M2 with the same instance" \
		sh -c "daxfmap mount $DEV $M2 --strategy digest --bpf-instance orphaned >/results/mount-other.txt 2>&1"; then
		cat /results/mount-other.txt
		check "the orphan's ops name ($ops) registered and bound again" \
			grep -q "bound as ops $ops;" /results/mount-other.txt
		check "umount $M2" daxfmap umount $M2
	fi
fi

check "no oops, BUG or kernel warning with a backtrace" sh -c '! dmesg | grep -E "Oops|BUG:|WARNING:|Call Trace"'
finish

# SPDX-License-Identifier: GPL-2.0-only
# The guests' initramfs, in two concatenated newc archives: a base (busybox
# and the kernel's modules) cached per kernel, and a payload (the project's
# static programs, the guest scripts, this run's settings) made per run.
# shellcheck shell=bash

# vm_cpio DIR OUT: DIR's tree as a newc archive, owned by root.
vm_cpio() {
	(cd "$1" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) >"$2"
}

# vm_base_initramfs CACHE KEY MODROOT KVER: prints the path of the base
# archive for KEY, building it once.  MODROOT/lib/modules/KVER holds the
# modules (Debian's unpacked package, or a developer's modules_install); an
# empty MODROOT means a kernel with everything built in.
vm_base_initramfs() {
	local cache=$1 key=$2 modroot=$3 kver=$4
	local out=$cache/initramfs/base-$key.cpio
	if [[ -f $out ]]; then
		echo "$out"
		return
	fi
	local busybox
	busybox=$(command -v busybox) || vm_skip "busybox is not installed (apt-get install busybox-static)"
	# A dynamically linked busybox would need its libraries in the guest.
	ldd "$busybox" >/dev/null 2>&1 && vm_skip "$busybox is not static (apt-get install busybox-static)"
	local stage
	stage=$(mktemp -d "$cache/initramfs/stage.XXXXXX")
	mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,mnt,lib/modules}
	cp "$busybox" "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	: >"$stage/etc/vm-modules"
	if [[ -n $modroot ]]; then
		local moddir m dst
		moddir=$(vm_module_dir "$modroot" "$kver")
		local closure
		closure=$(vm_modules_closure "$moddir" $VM_MODULES) ||
			vm_die "kernel $kver lacks modules the guests need (above); it needs LIBNVDIMM, ACPI_NFIT, BLK_DEV_PMEM, DEV_DAX_PMEM, FUSE_FS, VIRTIO_BLK"
		for m in $closure; do
			# busybox insmod takes plain .ko files only.
			dst=$stage/lib/modules/${m%.xz}
			dst=${dst%.zst}
			mkdir -p "$(dirname "$dst")"
			case $m in
			*.xz) xz -dc "$moddir/$m" >"$dst" ;;
			*.zst) zstd -qdc "$moddir/$m" >"$dst" ;;
			*) cp "$moddir/$m" "$dst" ;;
			esac
			echo "${dst#"$stage"/lib/modules/}" >>"$stage/etc/vm-modules"
		done
	fi
	vm_cpio "$stage" "$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$stage"
	echo "$out"
}

# vm_payload_initramfs STAGE BINDIR OUT: the per-run archive.  STAGE already
# holds vm/run.conf; this adds /init, the guest scripts and programs, and
# the example fmaps (at /daxfmap, the tests' DAXFMAP_SOURCE_DIR in a guest).
vm_payload_initramfs() {
	local stage=$1 bindir=$2 out=$3 p
	mkdir -p "$stage/bin" "$stage/vm" "$stage/daxfmap/examples"
	install -m 755 "$VM_DIR/guest/init" "$stage/init"
	cp "$VM_DIR"/guest/*.sh "$stage/vm/"
	for p in daxfmap daxfmapd daxfmap_tests devio kio churn fmapsrv hookctl; do
		[[ -x $bindir/$p ]] || vm_die "$bindir/$p is missing: build the target vm_payload (or give --payload)"
		cp "$bindir/$p" "$stage/bin/"
	done
	cp -r "$VM_ROOT/examples/fmaps" "$stage/daxfmap/examples/"
	# GET_FMAP replies, valid and not, for the kernel test (fmapsrv).
	mkdir -p "$stage/daxfmap/replies"
	cp "$VM_ROOT"/tests/fuzz/corpus/wire_decode_fuzz/*.bin "$VM_ROOT"/tests/kernel/replies/*.bin \
		"$stage/daxfmap/replies/"
	# The famfs sample (famfs media on the guests' devices).
	cp -r "$VM_ROOT/tests/data/famfs" "$stage/daxfmap/"
	vm_cpio "$stage" "$out"
}

# SPDX-License-Identifier: GPL-2.0-only
# Debian kernels for the guests, fetched at run time: package names are
# resolved from the apt lists each time because versions leave the mirror,
# and the unpacked kernel is cached under the build tree.
# shellcheck shell=bash

# The modules a guest needs, by name; whichever of them a kernel builds in
# is simply skipped.  NFIT describes QEMU's NVDIMM, nd_pmem/dax_pmem/
# device_dax turn its namespace into /dev/dax0.0, fuse serves the daemon,
# virtio_blk carries the results disk.
readonly VM_MODULES="nfit nd_pmem dax_pmem device_dax fuse virtio_pci virtio_blk"

# vm_kernel_package SERIES: the newest image package of a series.
vm_kernel_package() {
	local pkg=
	case $1 in
	6.12)
		pkg=$(apt-cache pkgnames linux-image-6.12. 2>/dev/null |
			grep -- '-cloud-amd64-unsigned$' | sort -V | tail -1) ;;
	6.1)
		# bookworm's own kernel: what the cloud metapackage points at.
		pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-6\.1\.[^ ]*-cloud-amd64\)$/\1/p' | head -1)
		if [[ -n $pkg ]] && apt-cache show "$pkg-unsigned" >/dev/null 2>&1; then
			pkg=$pkg-unsigned
		fi ;;
	esac
	[[ -n $pkg ]] && echo "$pkg"
}

# vm_kernel_fetch SERIES CACHE: downloads and unpacks the series' newest
# kernel (once), runs depmod on it, and sets KVER, VMLINUZ and KROOT.
vm_kernel_fetch() {
	local series=$1 cache pkg dir
	mkdir -p "$2"
	cache=$(cd "$2" && pwd)
	pkg=$(vm_kernel_package "$series") ||
		vm_skip "no Debian kernel package for series $series in the apt lists (apt-get update?)"
	dir=$cache/kernels/$pkg
	if [[ ! -f $dir/ready ]]; then
		vm_log "fetching $pkg"
		rm -rf "$dir"
		mkdir -p "$dir/deb"
		# apt-get download drops privileges to _apt: let it write here.
		chmod 777 "$dir/deb"
		if ! (cd "$dir/deb" && apt-get download -q "$pkg" >/dev/null 2>"$dir/download.log"); then
			cat "$dir/download.log" >&2
			vm_skip "cannot download $pkg (offline, or the mirror dropped it: apt-get update)"
		fi
		dpkg -x "$dir"/deb/*.deb "$dir/root"
		rm -rf "$dir/deb"
		# Debian's packages ship no modules.dep: postinst makes it.
		local kv
		kv=$(vm_kernel_release "$dir/root") || vm_die "$pkg has no /lib/modules"
		depmod -b "$dir/root" "$kv"
		touch "$dir/ready"
	fi
	KROOT=$dir/root
	KVER=$(vm_kernel_release "$KROOT")
	VMLINUZ=$KROOT/boot/vmlinuz-$KVER
	[[ -f $VMLINUZ ]] || vm_die "$pkg has no /boot/vmlinuz-$KVER"
}

# vm_kernel_release ROOT: the one kernel release unpacked under ROOT.
vm_kernel_release() {
	local d
	for d in "$1"/lib/modules/* "$1"/usr/lib/modules/*; do
		[[ -d $d ]] && { basename "$d"; return 0; }
	done
	return 1
}

# vm_module_dir ROOT KVER
vm_module_dir() {
	if [[ -d $1/lib/modules/$2 ]]; then echo "$1/lib/modules/$2"; else echo "$1/usr/lib/modules/$2"; fi
}

# vm_modules_closure MODDIR NAME...: the modules to load for NAMEs, in load
# order (dependencies first), as paths relative to MODDIR.  Built-in ones
# are left out; a name that is neither built in nor a module is an error.
vm_modules_closure() {
	local moddir=$1
	shift
	awk -v names="$*" '
		FNR == 1 { file++ }
		file == 1 { builtin[base($0)] = 1; next }
		{
			sub(/:$/, "", $1); m = $1; k = base(m)
			path[k] = m
			ndeps[k] = NF - 1
			for (i = 2; i <= NF; i++) dep[k, i - 1] = base($i)
		}
		function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", p); gsub(/-/, "_", p); return p }
		function visit(k,   i) {
			if (k in seen) return
			seen[k] = 1
			for (i = 1; i <= ndeps[k]; i++) visit(dep[k, i])
			print path[k]
		}
		END {
			n = split(names, want, " ")
			for (j = 1; j <= n; j++) {
				k = want[j]; gsub(/-/, "_", k)
				if (k in path) visit(k)
				else if (!(k in builtin)) { print "missing module: " k > "/dev/stderr"; bad = 1 }
			}
			exit bad
		}' "$moddir/modules.builtin" "$moddir/modules.dep"
}

# SPDX-License-Identifier: GPL-2.0-only
# Shared by vm/run and the vm/lib helpers: messages, the skip convention.
# shellcheck shell=bash

# ctest's SKIP_RETURN_CODE for the vm tests: the suite could not run here
# (no QEMU, no kernel packages), which must never read as a pass.
readonly VM_SKIP=77

vm_log() { printf 'vm: %s\n' "$*" >&2; }
vm_die() { printf 'vm: FAILED: %s\n' "$*" >&2; exit 1; }
# vm_skip WHY: the suite cannot run here.  vm_on_skip, when the caller
# defines it, records WHY where the results are looked for.
vm_skip() {
	printf 'vm: SKIPPED: %s\n' "$*" >&2
	if declare -F vm_on_skip >/dev/null; then vm_on_skip "$*"; fi
	exit "$VM_SKIP"
}

# vm_mib SIZE: 512M, 2G or bytes, in MiB.
vm_mib() {
	case $1 in
	*G) echo $((${1%G} * 1024)) ;;
	*M) echo "${1%M}" ;;
	*) echo $(($1 / 1048576)) ;;
	esac
}

# vm_lock FILE: serializes the cache updates of concurrent vm/run instances
# (ctest -j) on one build tree; released when the shell exits.
vm_lock() {
	exec {vm_lock_fd}>"$1"
	flock "$vm_lock_fd"
}

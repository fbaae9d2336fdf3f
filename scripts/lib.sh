# SPDX-License-Identifier: GPL-2.0-only
# Shared by scripts/test and scripts/demo: configure and build one tree.
# shellcheck shell=bash

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# configure_and_build DIR [cmake args...]: incremental; reconfigures only
# when the arguments change, builds with -j2, warnings as errors.
configure_and_build() {
	local dir=$1
	shift
	# The project's own scripts build with warnings as errors (a plain
	# cmake build, a packager's, does not).
	set -- -DDAXFMAP_WERROR=ON "$@"
	local stamp="$dir/.daxfmap-configure-args"
	if [[ ! -f "$dir/build.ninja" || "$(cat "$stamp" 2>/dev/null)" != "$*" ]]; then
		cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
		echo "$*" >"$stamp"
	fi
	cmake --build "$dir" -j2
}

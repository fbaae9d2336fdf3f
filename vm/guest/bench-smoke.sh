# SPDX-License-Identifier: GPL-2.0-only
# Guest test "bench-smoke": bench.sh's quick mode (see there).
# shellcheck shell=sh
BENCH_QUICK=1
. /vm/bench.sh

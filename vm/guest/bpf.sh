# SPDX-License-Identifier: GPL-2.0-only
# Guest test "bpf": each BPF strategy loads in this kernel and answers like
# the native resolver; then the BPF suites of tests/ (differential, object,
# pinning, capacity, concurrency) run in this kernel.  A strategy that does
# not load is SKIPPED by name, with the loader's message and the verifier log
# kept, and the others still run.
# shellcheck shell=sh
. /vm/lib.sh

examples="/daxfmap/examples/fmaps/simple-1ext.yaml /daxfmap/examples/fmaps/simple-multi.yaml
/daxfmap/examples/fmaps/interleaved-4x2M.yaml"

step "BPF strategies on $KREL"
probe_strategies
loaded=$LOADED

for s in $loaded; do
	step "strategy $s against native"
	# shellcheck disable=SC2086
	check "strategy $s" daxfmap verify $examples --strategies "$s" --queries 4000
done

step "BPF suites of tests/ (--gtest_filter=$VM_GTEST_FILTER)"
if [ "$loaded" != " hash flat digest" ]; then
	result "gtest BPF suites" SKIPPED "they load every strategy at once (tests/support/bpf_env.cpp); loaded here:${loaded:- none}"
else
	daxfmap_tests --gtest_filter="$VM_GTEST_FILTER" --gtest_output=xml:/results/gtest-bpf.xml \
		--gtest_color=no >/results/gtest-bpf.log 2>&1
	rc=$?
	cat /results/gtest-bpf.log
	tests=$(sed -n 's/^\[==========\] \([0-9]*\) tests\{0,1\} from .* ran.*/\1/p' /results/gtest-bpf.log)
	nskip=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\{0,1\}, listed below:.*/\1/p' /results/gtest-bpf.log)
	if [ $rc -ne 0 ]; then
		nfail=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\{0,1\}, listed below:.*/\1/p' /results/gtest-bpf.log)
		result "gtest BPF suites" FAILED "exit status $rc; ${nfail:-?} of ${tests:-?} failed: $(grep '^\[  FAILED  \] [A-Z]' /results/gtest-bpf.log | sed 's/^\[  FAILED  \] //; s/ (.*//' | sort -u | tr '\n' ' ')"
	elif [ -z "$tests" ] || [ "$tests" = 0 ]; then
		result "gtest BPF suites" FAILED "no test matched $VM_GTEST_FILTER"
	elif [ -n "$nskip" ]; then
		result "gtest BPF suites" SKIPPED "$nskip of $tests tests skipped: $(grep -m1 'SKIPPED:' /results/gtest-bpf.log)"
	else
		result "gtest BPF suites" PASSED "$tests tests"
	fi
fi
finish

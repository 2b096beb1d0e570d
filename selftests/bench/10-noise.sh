#!/bin/sh
# Handshake benchmark: initiations created and consumed per second by our
# Noise code (the wgrs_bench_noise KUnit suite). Figures only.
. /tests/lib.sh
kunit_run 2 > /tmp/bench.txt || { result FAIL "bench: module loads with selftest=2"; exit 1; }
dmesg | sed -n 's/^\[[^]]*\] //; s/^.*\(bench: .*\)$/\1/p' | sed 's/^/WGRS-BENCH /'
if grep -q "^wgrs_bench_noise.initiations_per_second ok" /tmp/bench.txt; then
	result PASS "bench: noise benchmark ran"
else
	result FAIL "bench: noise benchmark ran"
fi
rmmod wireguard_rs

#!/bin/sh
# The benchmark suites built into the module (rust/selftest/bench.rs):
# handshakes per second, and an Internet-sized AllowedIPs table (1M IPv4 +
# 200k IPv6 prefixes: insert, lookups, memory, removal). Figures only; a
# benchmark passes if it ran to the end.
. /tests/lib.sh
kunit_run 2 > /tmp/bench.txt || { result FAIL "bench: module loads with selftest=2"; exit 1; }
dmesg | sed -n 's/^\[[^]]*\] //; s/^.*\(bench: .*\)$/\1/p' | sed 's/^/WGRS-BENCH /'
while read -r name status; do
	if [ "$status" = ok ]; then result PASS "bench: $name"; else result FAIL "bench: $name"; fi
done < /tmp/bench.txt
[ -s /tmp/bench.txt ] || result FAIL "bench: the benchmark suites ran"
rmmod wireguard_rs

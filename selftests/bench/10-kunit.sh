#!/bin/sh
# The benchmark suites (rust/selftest/bench.rs), in the module's benchmark
# build (/modules/kunit/, WGRS_KUNIT=bench): handshakes per second, and an
# Internet-sized AllowedIPs table (1M IPv4 + 200k IPv6 prefixes: insert,
# lookups, memory, removal). Figures only; a benchmark passes if it ran to
# the end.
. /tests/lib.sh
kunit_run /modules/kunit/wireguard-rs.ko > /tmp/bench.txt || { result FAIL "bench: the benchmark build loads"; exit 1; }
log_since_start | sed -n 's/^<[0-7]>//; s/^.*\(bench: .*\)$/\1/p' | sed 's/^/WGRS-BENCH /'
kunit_results bench /tmp/bench.txt
[ -s /tmp/bench.txt ] || result FAIL "bench: the benchmark suites ran"
rmmod wireguard_rs

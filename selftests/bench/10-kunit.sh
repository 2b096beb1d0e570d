#!/bin/sh
# The benchmark suites (rust/selftest/bench.rs), in the module's benchmark
# build (/modules/kunit/, WGRS_KUNIT=bench): handshakes per second, an
# Internet-sized AllowedIPs table (1M IPv4 + 200k IPv6 prefixes: insert,
# lookups, memory, removal), and the cipher's limit (ChaCha20-Poly1305 on
# one CPU, MTU-sized packets; kept in /tmp/cipher.mbs for 30-tunnel.sh).
# Figures only; a benchmark passes if it ran to the end.
. /tests/lib.sh
kunit_run /modules/kunit/wireguard-rs.ko > /tmp/bench.txt || { result FAIL "bench: the benchmark build loads"; exit 1; }
log_since_start | sed -n 's/^<[0-7]>//; s/^.*\(bench: .*\)$/\1/p' > /tmp/bench.lines
sed 's/^/WGRS-BENCH /' /tmp/bench.lines
sed -n 's/^bench: chacha20poly1305-1cpu MB\/s=\([0-9.]*\).*/\1/p' /tmp/bench.lines > /tmp/cipher.mbs
kunit_results bench /tmp/bench.txt
[ -s /tmp/bench.txt ] || result FAIL "bench: the benchmark suites ran"
check "bench: the cipher's limit was measured" test -s /tmp/cipher.mbs
rmmod wireguard_rs

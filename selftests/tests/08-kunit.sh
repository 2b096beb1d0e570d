#!/bin/sh
# The in-module KUnit suites (rust/selftest/): known-answer vectors from an
# independent implementation, handshakes, cookies, replay counter, keypair
# rotation, rate limiter, the decryption ring's delay control, the AllowedIPs trie, the lookup tables and the
# pipeline's job handoff and reference-counted jobs. They
# are in the module's test build (/modules/kunit/, WGRS_KUNIT=tests), whose
# suites KUnit runs as it loads; one result line per test case, and a
# skipped case is a FAIL.
. /tests/lib.sh
KUNIT_KO=/modules/kunit/wireguard-rs.ko
kunit_run "$KUNIT_KO" > /tmp/kunit.txt || { result FAIL "kunit: the test build loads"; exit 1; }
kunit_results kunit /tmp/kunit.txt
# Every suite must have run, each with exactly its number of cases (a
# build without them, or a case dropped by a cfg, would pass nothing):
# adding or removing a case in rust/selftest/ updates this table.
while read -r suite want; do
	got=$(grep -c "^$suite\." /tmp/kunit.txt)
	check_eq "kunit: suite $suite ran its $want cases" "$want" "$got"
	[ "$got" = "$want" ] || log_since_start | tail -n 30 | sed "s/^/    /"
done <<'EOF'
wireguard_rs_allowedips 8
wireguard_rs_noise 12
wireguard_rs_codel 9
wireguard_rs_cookie 4
wireguard_rs_counter 8
wireguard_rs_keypairs 4
wireguard_rs_session 8
wireguard_rs_ratelimiter 6
wireguard_rs_peerlookup 4
wireguard_rs_handoff 2
wireguard_rs_shared 2
EOF
check_eq "kunit: no suite beyond the table above ran" "" \
	"$(cut -d. -f1 /tmp/kunit.txt | sort -u | grep -vxE 'wireguard_rs_(allowedips|noise|codel|cookie|counter|keypairs|session|ratelimiter|peerlookup|handoff|shared)')"
# No benchmark suite in the test build, and no suite at all in the module
# a user loads.
check_eq "kunit: no benchmark in the test build" "" "$(grep '^wgrs_bench_' /tmp/kunit.txt)"
log_since_start | grep -E "(rcu|replace) test:" | sed "s/^<[0-7]>/    /"
check "kunit: all known-answer vectors checked" sh -c 'kmsg since "$WGRS_MARK" | grep -q "known-answer vector ipv6-psk: ok"'
check "kunit: unload the test build" rmmod wireguard_rs
kunit_run "$RS_KO" > /tmp/kunit-user.txt || result FAIL "kunit: the module loads"
check_eq "kunit: the module a user loads runs no suite" "" "$(cat /tmp/kunit-user.txt)"
check "kunit: unload" rmmod wireguard_rs

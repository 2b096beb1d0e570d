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
# Every suite must have run (a build without them would pass nothing).
for suite in wireguard_rs_allowedips wireguard_rs_noise wireguard_rs_codel wireguard_rs_cookie wireguard_rs_counter wireguard_rs_keypairs wireguard_rs_session wireguard_rs_ratelimiter wireguard_rs_peerlookup wireguard_rs_handoff wireguard_rs_shared; do
	if grep -q "^$suite\." /tmp/kunit.txt; then result PASS "kunit: suite $suite ran"
	else result FAIL "kunit: suite $suite ran"; log_since_start | tail -n 30; fi
done
# No benchmark suite in the test build, and no suite at all in the module
# a user loads.
check_eq "kunit: no benchmark in the test build" "" "$(grep '^wgrs_bench_' /tmp/kunit.txt)"
log_since_start | grep -E "(rcu|replace) test:" | sed "s/^<[0-7]>/    /"
check "kunit: all known-answer vectors checked" sh -c 'kmsg since "$WGRS_MARK" | grep -q "known-answer vector ipv6-psk: ok"'
check "kunit: unload the test build" rmmod wireguard_rs
kunit_run "$RS_KO" > /tmp/kunit-user.txt || result FAIL "kunit: the module loads"
check_eq "kunit: the module a user loads runs no suite" "" "$(cat /tmp/kunit-user.txt)"
check "kunit: unload" rmmod wireguard_rs

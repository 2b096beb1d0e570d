#!/bin/sh
# The in-module KUnit suites (rust/selftest/): known-answer vectors from an
# independent implementation, handshakes, cookies, replay counter, keypair
# rotation, rate limiter. One result line per test case.
. /tests/lib.sh
kunit_run 1 > /tmp/kunit.txt || { result FAIL "kunit: module loads with its tests"; exit 1; }
while read -r name status; do
	if [ "$status" = ok ]; then result PASS "kunit: $name"; else result FAIL "kunit: $name"; fi
done < /tmp/kunit.txt
# Every suite must have run (a module built without them would pass nothing).
for suite in wireguard_rs_allowedips wireguard_rs_noise wireguard_rs_cookie wireguard_rs_counter wireguard_rs_keypairs wireguard_rs_ratelimiter wireguard_rs_peerlookup; do
	if grep -q "^$suite\." /tmp/kunit.txt; then result PASS "kunit: suite $suite ran"
	else result FAIL "kunit: suite $suite ran"; dmesg | tail -n 30; fi
done
dmesg | grep -E "(rcu|replace) test:" | sed "s/^\[[^]]*\] /    /"
check "kunit: all known-answer vectors checked" sh -c 'dmesg | grep -q "known-answer vector ipv6-psk: ok"'
check_fails "kunit: selftest=3 is refused" insmod "$RS_KO" selftest=3
check "kunit: unload after the tests" rmmod wireguard_rs

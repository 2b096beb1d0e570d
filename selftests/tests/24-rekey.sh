#!/bin/sh
# A real-time rekey: the initiator starts a new handshake once its session
# is REKEY_AFTER_TIME (120 s) old and it sends again, and traffic flows
# without a gap through the change of keys. (The session's rules, rekey at
# 120 s and 2^60 messages, expiry at 180 s, the message limit, are tested
# with a fake clock in KUnit's wireguard_rs_session; the timer that zeroes
# the keys after 540 s is not tested.)
. /tests/lib.sh
. /tests/tunnel.inc
load_rs || { result FAIL "rekey: module loads"; exit 1; }
tunnel_up wireguard-rs || { result FAIL "rekey: topology"; exit 1; }
$n1 ping -c 1 -W 10 192.168.241.2 > /dev/null
first=$(peer_field ns1 wg1 5)
check "rekey: first handshake" test "$first" -gt 0
# One ping every 2 s for 140 s: the session reaches 120 s half-way.
$n1 ping -c 70 -i 2 -W 5 192.168.241.2 > /tmp/ping.out
second=$(peer_field ns1 wg1 5)
echo "    handshakes at $first and $second"
check "rekey: a second handshake after 120 s" test "$second" -ge $((first + 115))
check "rekey: the responder saw it too" test "$(peer_field ns2 wg2 5)" -ge $((first + 115))
check "rekey: no ping lost across the rekey" grep -q "70 packets transmitted, 70 packets received" /tmp/ping.out
tail -n 2 /tmp/ping.out | sed 's/^/    /'
tunnel_down

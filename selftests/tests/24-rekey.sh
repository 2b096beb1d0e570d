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
# A ping every 2 s until the initiator's second handshake (a ping sent
# once the session is REKEY_AFTER_TIME old starts it, about 120 s in) and
# three answers after it, which crossed on the new keys: the wait ends on
# those events, not after a fixed time.
$n1 ping -i 2 -W 5 192.168.241.2 > /tmp/ping.out 2>&1 &
ping_pid=$!
rekeyed() { second=$(peer_field ns1 wg1 5) && [ "$second" -ge $((first + 115)) ]; }
answers() { grep -c ' seq=' /tmp/ping.out; }
# until_secs SECS CMD...: poll CMD until it succeeds or SECS seconds of the
# guest's clock have passed (each poll costs most of a second on debug:
# wait_for's count of polls would stretch far past the script's limit).
until_secs() {
	end=$(( $(cut -d. -f1 /proc/uptime) + $1 ))
	shift
	until "$@"; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt $end ] || return 1
		sleep 0.5
	done
}
more_answers() { [ "$(answers)" -ge "$1" ]; }
after=0
if until_secs 200 rekeyed; then
	seen=$(answers)
	until_secs 30 more_answers $((seen + 3)) && after=3
fi
# A request still in flight as ping stops is not a loss: the check below
# looks for gaps among the answered ones.
kill -INT $ping_pid
wait $ping_pid
second=$(peer_field ns1 wg1 5)
echo "    handshakes at $first and $second"
check "rekey: a second handshake after 120 s" test "$second" -ge $((first + 115))
check "rekey: the responder saw it too" test "$(peer_field ns2 wg2 5)" -ge $((first + 115))
check "rekey: three pings answered after the second handshake" test $after = 3
# Every request up to the last one answered was answered, once (busybox
# ping numbers them from 0): a gap is a ping lost across the rekey.
every_answer() {
	sed -n 's/.* seq=\([0-9]*\) .*/\1/p' /tmp/ping.out | sort -n |
		awk '$1 != NR - 1 { bad = 1 } END { exit bad || NR < 60 }'
}
check "rekey: no ping lost across the rekey (60 or more, each answered)" every_answer
tunnel_down

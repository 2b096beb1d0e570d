#!/bin/sh
# Hostile input: malformed messages, replayed, corrupted and misaddressed
# data messages, and a flood of handshake initiations. None may crash the
# device, be delivered, count as received or move a peer's endpoint; under
# the flood the device answers with cookie replies, and a legitimate peer
# still completes its handshake.
. /tests/lib.sh
. /tests/tunnel.inc
load_rs || { result FAIL "hostile: module loads"; exit 1; }
tunnel_up wireguard-rs || { result FAIL "hostile: topology"; exit 1; }
$n1 ping -c 1 -W 10 192.168.241.2 > /dev/null || result FAIL "hostile: tunnel up"

# Capture data messages sent to wg2 while pinging, for replays.
listen_bg /tmp/cap.out $n0 wgpkt.py capture lo 10002 3 /tmp/data.hex
$n1 ping -c 5 -i 0.3 192.168.241.2 > /dev/null
wait
check "hostile: captured data messages to replay" grep -q "captured 3" /tmp/cap.out

# Nothing hostile may count as received: what wg2 counts from its peer is
# exactly what wg1 counts as sent to it (timers may still send keepalives
# or handshakes, which both sides count), and the endpoint stays wg1's.
counted_as_sent() {
	[ "$(peer_field ns2 wg2 6)" = "$(peer_field ns1 wg1 7)" ] &&
		[ "$(peer_field ns2 wg2 3)" = "127.0.0.1:10001" ]
}
state() { echo "endpoint $(peer_field ns2 wg2 3) rx $(peer_field ns2 wg2 6) peer-tx $(peer_field ns1 wg1 7)"; }
check "hostile: before: received is what was sent" wait_for 5 counted_as_sent
$n0 wgpkt.py junk 127.0.0.1 10002 > /dev/null
check "hostile: malformed messages change nothing" wait_for 5 counted_as_sent
echo "    $(state)"
for mode in as-is flip index short; do
	check "hostile: $mode data messages sent again" sh -c \
		"$n0 wgpkt.py replay 127.0.0.1 10002 /tmp/data.hex $mode | grep -qx 'replayed 3'"
	check "hostile: $mode data messages from another address change nothing" \
		wait_for 5 counted_as_sent
	echo "    $(state)"
done
check "hostile: the tunnel still works" $n1 ping -c 2 -W 5 192.168.241.2
check_eq "hostile: the endpoint stayed where the peer is" "127.0.0.1:10001" "$(peer_field ns2 wg2 3)"

# A flood of initiations with a valid mac1: the device goes under load and
# answers with cookie replies, yet a real peer's new handshake completes
# (with the cookie it is given, on its retry).
tunnel_down
tunnel_up wireguard-rs || { result FAIL "hostile: topology again"; exit 1; }
ip -n ns0 addr add 127.0.0.2/8 dev lo
$n0 wgpkt.py flood 127.0.0.1 10002 "$P2" 25 127.0.0.2 > /tmp/flood.out &
sleep 3
t0=$(date +%s)
check "hostile: a peer completes a handshake during the flood" $n1 ping -c 1 -W 30 192.168.241.2
echo "    handshake took $(($(date +%s) - t0)) s"
wait
cat /tmp/flood.out | sed 's/^/    /'
check "hostile: the flood got cookie replies" sh -c '[ "$(sed -n "s/.*cookies //p" /tmp/flood.out)" -gt 0 ]'
check "hostile: the tunnel works after the flood" $n1 ping -c 2 -W 5 192.168.241.2
tunnel_down

#!/bin/sh
# Taking things away under traffic: a peer removed, a device deleted, a
# namespace deleted and the module unloaded while a TCP transfer and a
# ping flood run through the tunnel (wg1 in ns1 to wg2 in ns2, sockets in
# ns0). Before each, the traffic is seen flowing; after each, what should
# survive works and what went is gone: a second tunnel (wg3 in ns1 to wg4
# in ns2, sockets in ns5) still carries a ping, the removed objects' NAPI
# threads and sockets are gone, and in the end nothing of the module is
# left. The harness checks the kernel log and kmemleak.
. /tests/lib.sh
. /tests/tunnel.inc

# The second tunnel, 192.168.242.0/24, its sockets in ns5.
tunnel_b_up() {
	ip netns add ns5 && ip -n ns5 link set lo up || return 1
	ip -n ns5 link add wg3 type wireguard-rs && ip -n ns5 link add wg4 type wireguard-rs || return 1
	ip -n ns5 link set wg3 netns ns1 && ip -n ns5 link set wg4 netns ns2 || return 1
	[ -e /tmp/k3 ] || { wg genkey > /tmp/k3; wg genkey > /tmp/k4; }
	$n1 wg set wg3 private-key /tmp/k3 listen-port 10003 \
		peer "$(wg pubkey < /tmp/k4)" allowed-ips 192.168.242.2/32 endpoint 127.0.0.1:10004 &&
	$n2 wg set wg4 private-key /tmp/k4 listen-port 10004 \
		peer "$(wg pubkey < /tmp/k3)" allowed-ips 192.168.242.1/32 endpoint 127.0.0.1:10003 || return 1
	ip -n ns1 addr add 192.168.242.1/24 dev wg3 && ip -n ns2 addr add 192.168.242.2/24 dev wg4 &&
		ip -n ns1 link set wg3 up && ip -n ns2 link set wg4 up
}
both_up() {
	tunnel_up wireguard-rs && tunnel_b_up || { result FAIL "teardown: $1: topology"; return 1; }
}
all_down() { tunnel_down; ip netns del ns5 2>/dev/null; return 0; }

# napi DEV: how many NAPI threads the device has (one per peer: napi/DEV-ID).
napi() { grep -l "^napi/$1-" /proc/[0-9]*/comm 2>/dev/null | wc -l; }
napi_is() { [ "$(napi "$1")" = "$2" ]; }
# bound NS PORT: a UDP socket in NS is bound to PORT (IPv4 or IPv6).
bound() {
	ip netns exec "$1" cat /proc/net/udp /proc/net/udp6 |
		awk -v p="$(printf '%04X' "$2")" 'NR > 1 { n = split($2, a, ":"); if (a[n] == p) f = 1 } END { exit !f }'
}
not_bound() { ! bound "$@"; }

pids=""
# tcp_in NS: the TCP segments NS has taken in (pings do not count there).
tcp_in() { ip netns exec "$1" awk '$1 == "Tcp:" && $2 ~ /^[0-9]+$/ { print $11 }' /proc/net/snmp; }
# flowing R0 S0: since wg2 counted R0 bytes from wg1 and ns2 S0 TCP
# segments, at least 256 KiB more and 128 segments more came.
flowing() {
	[ "$(peer_field ns2 wg2 6)" -ge $(($1 + 262144)) ] && [ "$(tcp_in ns2)" -ge $(($2 + 128)) ]
}
# traffic NAME: a TCP transfer and ping floods from ns1 to ns2 through
# wg1-wg2, in the background; returns once the transfer is seen flowing
# (two readings of wg2's counters for its peer and of ns2's TCP segments),
# so the action that follows hits a tunnel carrying traffic.
traffic() {
	local r0 s0
	listen_bg /tmp/td.recv $n2 xfer.py tcp-recv 5001 || { result FAIL "teardown: $1: receiver"; return 1; }
	pids=$LISTEN_PID
	r0=$(peer_field ns2 wg2 6) s0=$(tcp_in ns2)
	$n1 xfer.py tcp-send 192.168.241.2 5001 1073741824 1 > /tmp/td.send 2>&1 &
	pids="$pids $!"
	$n1 ping -A -w 60 192.168.241.2 > /dev/null 2>&1 &
	pids="$pids $!"
	$n2 ping -A -w 60 fd00::1 > /dev/null 2>&1 &
	pids="$pids $!"
	check "teardown: $1: the transfer flows first (wg2 counts 256 KiB and ns2 128 TCP segments more)" \
		wait_for 120 flowing "$r0" "$s0"
	echo "    wg2 from wg1: $r0 -> $(peer_field ns2 wg2 6) bytes; ns2 TCP segments in: $s0 -> $(tcp_in ns2)"
}
settle() { kill $pids 2>/dev/null; wait 2>/dev/null; pids=""; }
# other_tunnel NAME: the second tunnel, untouched, still carries a ping.
other_tunnel() { check "teardown: $1: the other tunnel still carries a ping" $n1 ping -c 1 -W 10 192.168.242.2; }

load_rs || { result FAIL "teardown: module loads"; exit 1; }

# A peer removed under traffic: its NAPI thread goes; added back, it works.
T="remove the peer"
both_up "$T" || exit 1
check_eq "teardown: $T: wg2 has one NAPI thread (its peer's)" 1 "$(napi wg2)"
traffic "$T"
check "teardown: $T: under traffic" $n2 wg set wg2 peer "$P1" remove
check_eq "teardown: $T: the peer is gone" "" "$($n2 wg show wg2 peers)"
check "teardown: $T: ... and its NAPI thread" wait_for 30 napi_is wg2 0
other_tunnel "$T"
$n2 wg set wg2 peer "$P1" allowed-ips 192.168.241.1/32,fd00::1/128 endpoint 127.0.0.1:10001
# wg1 still holds its session with wg2 and sends on it, which the new peer
# cannot read; wg2 has none with the new peer and starts a handshake on
# its first packet: so wg2 pings first, then wg1.
check "teardown: $T: a peer added back works (both ways)" \
	sh -c "$n2 ping -c 2 -W 10 192.168.241.1 > /dev/null && $n1 ping -c 1 -W 10 192.168.241.2"
settle
all_down

# A device deleted under traffic: its socket and NAPI thread go; its peer
# device and the other tunnel live on.
T="delete a device"
both_up "$T" || exit 1
traffic "$T"
check "teardown: $T: under traffic" ip -n ns1 link del wg1
settle
check "teardown: $T: its socket is closed" not_bound ns0 10001
check "teardown: $T: ... and its NAPI thread gone" wait_for 30 napi_is wg1 0
check "teardown: $T: the peer's device is still there" ip -n ns2 link show wg2
check_eq "teardown: $T: ... with its peer" "$P1" "$($n2 wg show wg2 peers)"
other_tunnel "$T"
all_down

# The namespace that holds the sockets deleted under traffic. Its cleanup
# runs later, in a kernel worker; a witness shows when it has: wgw, created
# in ns1 (its socket there) and moved into ns0, is deleted with ns0 and its
# socket with it.
T="delete the sockets' namespace"
both_up "$T" || exit 1
ip -n ns1 link add wgw type wireguard-rs && $n1 wg set wgw listen-port 10099 &&
	ip -n ns1 link set wgw netns ns0 && ip -n ns0 link set wgw up ||
	result FAIL "teardown: $T: the witness device"
check "teardown: $T: the witness's socket is bound" bound ns1 10099
traffic "$T"
check "teardown: $T: under traffic" ip netns del ns0
check "teardown: $T: ns0 is cleaned up (the witness's socket closed)" wait_for 60 not_bound ns1 10099
check "teardown: $T: the devices live on without sockets" sh -c 'ip -n ns1 link show wg1 && ip -n ns2 link show wg2'
check "teardown: $T: ... and answer wg show" sh -c "$n1 wg show wg1 && $n2 wg show wg2"
other_tunnel "$T"
settle
all_down
no_napi() { [ "$(grep -l '^napi/wg' /proc/[0-9]*/comm 2>/dev/null | wc -l)" = 0 ]; }
check "teardown: $T: the devices went with their namespaces (no NAPI thread left)" wait_for 60 no_napi
# On failure, what may hold a namespace: processes still in one (a socket
# closing in the background holds it too; xfer.py resets its connections
# when killed), and the kernel's last words.
leftovers() {
	echo "    left: $(cat $(grep -l '^napi/wg' /proc/[0-9]*/comm) | tr '\n' ' ')"
	ip netns list | sed 's/^/    netns: /'
	ip -o link show | sed 's/^/    /'
	local init p n
	init=$(readlink /proc/1/ns/net)
	for p in /proc/[0-9]*; do
		n=$(readlink $p/ns/net 2>/dev/null) && [ "$n" != "$init" ] && echo "    in $n: $(tr '\0' ' ' < $p/cmdline)"
	done
	dmesg | tail -n 20 | sed 's/^/    dmesg: /'
}
no_napi || leftovers

# The module unloaded under traffic: every device and thread goes with it.
T="rmmod"
both_up "$T" || exit 1
traffic "$T"
check "teardown: $T: under traffic" rmmod wireguard_rs
settle
check "teardown: $T: the module is gone" test ! -d /sys/module/wireguard_rs
check_fails "teardown: $T: the devices went with the module" ip -n ns1 link show wg1
check_eq "teardown: $T: no device of it is left in any namespace" "" \
	"$(for ns in ns0 ns1 ns2 ns5; do ip -n $ns -o link show | grep ': wg'; done)"
check_eq "teardown: $T: no NAPI thread is left" 0 "$(grep -l '^napi/wg' /proc/[0-9]*/comm 2>/dev/null | wc -l)"
no_sockets() { not_bound ns0 10001 && not_bound ns0 10002 && not_bound ns5 10003 && not_bound ns5 10004; }
check "teardown: $T: no socket is left" no_sockets
all_down
check "teardown: the module loads again" load_rs

#!/bin/sh
# L3 packets whose skb->protocol is not their IP header's (seed 004, the
# eBPF question): an XDP program in generic mode on a veth strips the
# Ethernet header of a frame and redirects the rest to the WireGuard device;
# an AF_PACKET SOCK_DGRAM send with protocol 0 on the device. Ours sends
# them to the peer, the C driver drops them (both absolute); a frame that
# carries no IP packet is dropped and counted in tx_errors by both. A tc
# program redirecting to the device works for both (the kernel fixes up
# the skb itself there).
#
#   nsa: va ---veth--- vr :ns1 (router): wg1, index 50 (the programs'
#   target), peer of wg2 in ns2; UDP sockets of both in ns0, as tunnel.inc.
. /tests/lib.sh
head -c 1 /dev/random > /dev/null

n1="ip netns exec ns1"
n2="ip netns exec ns2"
na="ip netns exec nsa"

topo() { # topo KIND
	for n in ns0 ns1 ns2 nsa; do ip netns add $n && ip -n $n link set lo up || return 1; done
	ip -n ns0 link add wg1 index 50 type "$1" || return 1
	ip -n ns0 link add wg2 type "$1" || return 1
	ip -n ns0 link set wg1 netns ns1
	ip -n ns0 link set wg2 netns ns2
	[ -e /tmp/l3k2 ] || { wg genkey > /tmp/l3k1; wg genkey > /tmp/l3k2; }
	$n1 wg set wg1 private-key /tmp/l3k1 listen-port 10001 peer "$(wg pubkey < /tmp/l3k2)" \
		allowed-ips 192.168.241.2/32,fd00::2/128 endpoint 127.0.0.1:10002
	# The peer accepts the sources of the redirected packets.
	$n2 wg set wg2 private-key /tmp/l3k2 listen-port 10002 peer "$(wg pubkey < /tmp/l3k1)" \
		allowed-ips 192.168.241.1/32,fd00::1/128,10.9.0.0/24,fd09::/64 endpoint 127.0.0.1:10001
	ip -n ns1 addr add 192.168.241.1/24 dev wg1
	ip -n ns1 addr add fd00::1/64 dev wg1
	ip -n ns2 addr add 192.168.241.2/24 dev wg2
	ip -n ns2 addr add fd00::2/64 dev wg2
	ip -n ns1 link set wg1 up
	ip -n ns2 link set wg2 up
	ip -n nsa link add va type veth peer name vr netns ns1 || return 1
	# No IPv6 of their own on the veths: only the test's frames cross.
	$na sysctl -qw net.ipv6.conf.va.disable_ipv6=1
	$n1 sysctl -qw net.ipv6.conf.vr.disable_ipv6=1
	ip -n nsa link set va up
	ip -n ns1 link set vr up
	test "$($n1 cat /sys/class/net/wg1/ifindex)" = 50 || { echo "wg1 is not index 50"; return 1; }
	# A handshake first, so nothing waits for one.
	$n1 ping -c 1 -W 10 192.168.241.2 > /dev/null
}

tx_errors() { $n1 cat /sys/class/net/wg1/statistics/tx_errors; }
errors_are() { test "$(tx_errors)" = "$1"; }

# delivered WANT SENDER...: how many of the 5 datagrams SENDER sends reach
# the peer's UDP port 7000, where WANT is how many should. All 5 end the
# wait. None: once wg1 has counted the 5 as transmit errors (each was
# handled), a datagram sent the usual way through the tunnel to the same
# port (numbered 0) ends it, the barrier: a peer's packets arrive in the
# order sent, so nothing sent before it is still on its way.
delivered() {
	local want=$1 e0 n
	shift
	e0=$(tx_errors)
	listen_bg /tmp/l3.recv $n2 xfer.py udp-recv 7000 5 60 0 ||
		{ kill $LISTEN_PID 2>/dev/null; wait; echo -1; return; }
	"$@" > /tmp/l3.send 2>&1 || cat /tmp/l3.send >&2
	if [ "$want" = 0 ]; then
		wait_for 30 errors_are $((e0 + 5)) ||
			echo "(tx_errors did not reach $((e0 + 5)) but $(tx_errors))" >&2
		$n1 xfer.py udp-send 192.168.241.2 7000 1 64
	fi
	wait $LISTEN_PID
	n=$(sed -n 's/^datagrams \([0-9]*\) bad 0 late [0-9]* barrier \([01]\)$/\1 \2/p' /tmp/l3.recv)
	case $want/$n in
	0/*" 1"|5/*" 0") echo "${n% *}";;
	*) cat /tmp/l3.recv >&2; echo -1;;
	esac
}

# run KIND WHO EXPECT: EXPECT is the number of redirected IP datagrams (of
# 5) that reach the peer: 5 for ours, 0 for the C driver.
run() {
	kind=$1 who=$2 want=$3
	lost=$((5 - want))
	topo "$kind" || { result FAIL "l3-redirect ($who): topology"; cleanup_all; return; }
	mac=$($n1 cat /sys/class/net/vr/address)

	check "l3-redirect ($who): XDP program attached in generic mode" \
		ip -n ns1 link set dev vr xdpgeneric obj /bpf/xdp_strip.o sec xdp
	e0=$(tx_errors)
	check_eq "l3-redirect ($who): IPv4 frames stripped by XDP reach the peer" "$want" \
		"$(delivered $want $na l3send.py eth va "$mac" ipv4 5 100)"
	check_eq "l3-redirect ($who): IPv6 frames stripped by XDP reach the peer" "$want" \
		"$(delivered $want $na l3send.py eth va "$mac" ipv6 5 200)"
	check_eq "l3-redirect ($who): tx_errors count what was dropped of them" "$((e0 + 2 * lost))" "$(tx_errors)"
	e0=$(tx_errors)
	$na l3send.py eth va "$mac" nonip 3 0 > /dev/null
	check "l3-redirect ($who): non-IP payloads are dropped and counted in tx_errors" \
		wait_for 10 errors_are "$((e0 + 3))"
	check_eq "l3-redirect ($who): ... exactly 3 of them" "$((e0 + 3))" "$(tx_errors)"
	ip -n ns1 link set dev vr xdpgeneric off

	check "l3-redirect ($who): tc program attached" sh -c \
		"tc -n ns1 qdisc add dev vr clsact && tc -n ns1 filter add dev vr ingress bpf direct-action obj /bpf/tc_redirect.o sec tc"
	e0=$(tx_errors)
	check_eq "l3-redirect ($who): IPv4 frames redirected by tc reach the peer" 5 \
		"$(delivered 5 $na l3send.py eth va "$mac" ipv4 5 300)"
	check_eq "l3-redirect ($who): IPv6 frames redirected by tc reach the peer" 5 \
		"$(delivered 5 $na l3send.py eth va "$mac" ipv6 5 400)"
	$na l3send.py eth va "$mac" nonip 3 0 > /dev/null
	check "l3-redirect ($who): non-IP frames redirected by tc are dropped and counted" \
		wait_for 10 errors_are "$((e0 + 3))"
	check_eq "l3-redirect ($who): ... exactly those 3" "$((e0 + 3))" "$(tx_errors)"
	tc -n ns1 qdisc del dev vr clsact

	e0=$(tx_errors)
	check_eq "l3-redirect ($who): AF_PACKET protocol-0 IPv4 sends reach the peer" "$want" \
		"$(delivered $want $n1 l3send.py dgram wg1 ipv4 5 500)"
	check_eq "l3-redirect ($who): AF_PACKET protocol-0 IPv6 sends reach the peer" "$want" \
		"$(delivered $want $n1 l3send.py dgram wg1 ipv6 5 600)"
	check_eq "l3-redirect ($who): tx_errors count what was dropped of those" "$((e0 + 2 * lost))" "$(tx_errors)"
	check "l3-redirect ($who): the tunnel still works" $n1 ping -c 1 -W 5 192.168.241.2
	cleanup_all
}

load_rs || { result FAIL "l3-redirect: module loads"; exit 1; }
run wireguard-rs ours 5
# The C driver's side is checked on the normal kernel only (c_compare).
if c_compare; then
	load_c || { result FAIL "l3-redirect: C driver loads"; exit 1; }
	run wireguard "C driver" 0
else
	no_c_note "l3-redirect"
fi

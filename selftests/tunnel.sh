# SPDX-License-Identifier: GPL-2.0
# Sourced by the tunnel tests (as /tests/tunnel.inc): the topology of the
# kernel's netns.sh. Two devices, wg1 in ns1 and wg2 in ns2, created in ns0,
# so their UDP sockets live in ns0 and reach each other over its loopback.
#
#   ns1: wg1 192.168.241.1/24 fd00::1/24   port 10001 in ns0
#   ns2: wg2 192.168.241.2/24 fd00::2/24   port 10002 in ns0

n0="ip netns exec ns0"
n1="ip netns exec ns1"
n2="ip netns exec ns2"

# Handshakes wait for the random generator to be seeded.
head -c 1 /dev/random > /dev/null

# tunnel_up KIND: builds the topology with devices of link kind KIND.
tunnel_up() {
	ip netns add ns0 && ip netns add ns1 && ip netns add ns2 || return 1
	ip -n ns0 link set lo up
	ip -n ns1 link set lo up
	ip -n ns2 link set lo up
	ip -n ns0 link add wg1 type "$1" || return 1
	ip -n ns0 link add wg2 type "$1" || return 1
	ip -n ns0 link set wg1 netns ns1
	ip -n ns0 link set wg2 netns ns2
	# Keys of its own (other scripts leave /tmp/k1 and the like behind,
	# and the VM groups of make check run different scripts before this).
	[ -e /tmp/tunnel-k1 ] || wg genkey > /tmp/tunnel-k1
	[ -e /tmp/tunnel-k2 ] || wg genkey > /tmp/tunnel-k2
	P1=$(wg pubkey < /tmp/tunnel-k1) P2=$(wg pubkey < /tmp/tunnel-k2)
	$n1 wg set wg1 private-key /tmp/tunnel-k1 listen-port 10001 \
		peer "$P2" allowed-ips 192.168.241.2/32,fd00::2/128 endpoint 127.0.0.1:10002
	$n2 wg set wg2 private-key /tmp/tunnel-k2 listen-port 10002 \
		peer "$P1" allowed-ips 192.168.241.1/32,fd00::1/128 endpoint 127.0.0.1:10001
	ip -n ns1 addr add 192.168.241.1/24 dev wg1
	ip -n ns1 addr add fd00::1/24 dev wg1
	ip -n ns2 addr add 192.168.241.2/24 dev wg2
	ip -n ns2 addr add fd00::2/24 dev wg2
	ip -n ns1 link set wg1 up
	ip -n ns2 link set wg2 up
}

tunnel_down() {
	ip netns del ns1 2>/dev/null
	ip netns del ns2 2>/dev/null
	ip netns del ns0 2>/dev/null
	return 0
}

# peer_field NS DEV FIELD: a field of the (only) peer in `wg show DEV
# dump`: 3 endpoint, 5 latest handshake, 6 rx bytes, 7 tx bytes.
peer_field() {
	ip netns exec "$1" wg show "$2" dump | sed -n 2p | cut -f "$3"
}

#!/bin/sh
# Devices move between network namespaces and die with their namespace.
. /tests/lib.sh

# port_free PORT: no UDP socket of this namespace is bound to PORT, IPv4
# or IPv6 (the local address is field 2 of /proc/net/udp*, "ADDR:PORT" in
# hex).
port_free() {
	awk -v p="$(printf '%04X' "$1")" 'FNR > 1 { n = split($2, a, ":"); if (a[n] == p) f = 1 }
		END { exit f }' /proc/net/udp /proc/net/udp6
}
# witness NS PORT: the device wNS, created here with listen port PORT,
# moved into NS and brought up there. Its sockets live in the namespace it
# was created in, this one, where we can see them; they close when the
# device is deleted (or moved away) with NS.
witness() {
	ip link add "w$1" type wireguard-rs && wg set "w$1" listen-port "$2" &&
		ip link set "w$1" netns "$1" && ip -n "$1" link set "w$1" up && ! port_free "$2"
}
# gone PORT: wait (bounded) until the cleanup of a deleted namespace has
# dealt with its devices, seen through its witness on PORT. A dying
# namespace's devices are moved back here (if their kind asks for it) and
# then deleted, all under one hold of RTNL: once the witness's port is free
# and an RTNL-locked request of ours (RTM_SETLINK of lo, changing nothing)
# has gone through, that is over.
gone() {
	wait_for 60 port_free "$1" && ip link set dev lo up
}
# died NS PORT WHAT: once NS's cleanup is over (gone PORT), no wireguard-rs
# device may be here (WHAT names them). If the cleanup is not seen to end,
# both fail: an absence seen before it would prove nothing.
died() {
	if gone "$2"; then
		result PASS "netns: $1's cleanup dealt with its devices"
		check_eq "netns: $3 did not come back to init ns" "" "$(wg_here)"
	else
		result FAIL "netns: $1's cleanup dealt with its devices (its witness's port is still bound after 60 s)"
		result FAIL "netns: $3 did not come back to init ns (not known: the cleanup is not over)"
	fi
}
# wg_here: the names of the wireguard-rs devices in this namespace (by
# kind: a device moved back here when its namespace dies is renamed devN).
wg_here() {
	ip -o link show type wireguard-rs | cut -d: -f2 | tr -d ' ' | tr '\n' ' '
}

load_rs || { result FAIL "netns: module loads"; exit 1; }
ip netns add ns1 && ip netns add ns2 || { result FAIL "netns: create namespaces"; exit 1; }
check "netns: create in ns1" ip -n ns1 link add wg0 type wireguard-rs
check "netns: create in ns2 with the same name" ip -n ns2 link add wg0 type wireguard-rs
check "netns: move ns1 -> ns2 under a new name" sh -c 'ip -n ns1 link set wg0 name wg1 && ip -n ns1 link set wg1 netns ns2'
check "netns: moved device is in ns2" ip -n ns2 link show wg1
check_fails "netns: and no longer in ns1" ip -n ns1 link show wg1
check "netns: move to init ns" ip -n ns2 link set wg1 netns 1
check "netns: moved device is in init ns" ip link show wg1
check_eq "netns: ... the only wireguard-rs device there" "wg1 " "$(wg_here)"
check "netns: up in init ns" ip link set wg1 up
check "netns: move back into ns1 while up" ip link set wg1 netns ns1
check "netns: wg show works in the device's namespace" ip netns exec ns1 wg show wg1
check_fails "netns: wg show does not see it from another namespace" wg show wg1

# A namespace's devices are deleted with it, not returned to init_net.
# Deleting the namespace only starts its cleanup, which runs later in a
# kernel worker: we wait for it to have dealt with the devices (through a
# witness), and only then look for them here.
check "netns: a witness in ns1 has its sockets here" witness ns1 51991
check "netns: a witness in ns2 has its sockets here" witness ns2 51992
check_eq "netns: no wireguard-rs device left in init ns" "" "$(wg_here)"
check "netns: delete ns1 holding wg1" ip netns del ns1
died ns1 51991 "wg1 (nor ns1's witness)"
check "netns: ns2 and its devices live on" sh -c 'ip -n ns2 link show wg0 && ip -n ns2 link show wns2'
check "netns: delete ns2 holding wg0" ip netns del ns2
died ns2 51992 "wg0 (nor ns2's witness)"
check "netns: rmmod after namespaces died" wait_for 10 rmmod wireguard_rs

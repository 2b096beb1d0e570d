#!/bin/sh
# Create and destroy, N times each: devices, peers with sessions, keypairs
# (handshakes), namespaces holding devices. A leak of one object per cycle
# then leaves N behind; every count must come back to where it started:
# the module's own lines for peers and keypairs (loaded with
# log_objects=1: each "created" needs its "destroyed"), the objects in
# its slab caches, the namespaces, the devices and the module's reference
# count. (init.sh's accounting checks the same counts again after the
# module is unloaded, as after every script.)
. /tests/lib.sh
. /tests/tunnel.inc
n=10
[ "${WGRS_FLAVOR:-}" = debug ] && n=5
load_rs log_objects=1 || { result FAIL "churn: module loads"; exit 1; }
netns0=$(netns_count)

slab_objects() { # slab_objects: objects in use in the module's two caches
	echo $(( $(slab_in_use wgrs_allowedips_node4) + $(slab_in_use wgrs_allowedips_node6) ))
}
umask 077
wg genkey > /tmp/churn.k
other=$(wg genkey | wg pubkey)

# Devices, each with a peer and AllowedIPs (trie nodes in our caches).
for i in $(seq 1 $n); do
	ip link add wgc type wireguard-rs &&
	wg set wgc private-key /tmp/churn.k listen-port $((20000 + i)) \
		peer "$other" allowed-ips "10.$i.0.0/16,10.$i.1.0/24,fd00:$i::/32" endpoint 127.0.0.1:1 &&
	ip link set wgc up || { result FAIL "churn: device $i configured"; break; }
	[ $i = 1 ] && nodes=$(slab_objects)
	ip link del wgc
done
check "churn: the trie's nodes are counted in the module's slab caches (${nodes:-?} with one device)" \
	test "${nodes:-0}" -gt 0
check_eq "churn: $n devices made $n peers" $n "$(created Peer)"

# Peers with sessions: each side removes its peer and adds it back, and a
# ping makes a handshake (a keypair each side) before the next removal.
tunnel_up wireguard-rs || { result FAIL "churn: topology"; exit 1; }
ok=0
for i in $(seq 1 $n); do
	$n1 wg set wg1 peer "$P2" remove
	$n2 wg set wg2 peer "$P1" remove
	$n1 wg set wg1 peer "$P2" allowed-ips 192.168.241.2/32,fd00::2/128 endpoint 127.0.0.1:10002
	$n2 wg set wg2 peer "$P1" allowed-ips 192.168.241.1/32,fd00::1/128 endpoint 127.0.0.1:10001
	$n1 ping -c 1 -W 10 192.168.241.2 > /dev/null && ok=$((ok + 1))
done
check_eq "churn: $n peers removed and added back, each with a session" $n $ok
check_eq "churn: ... that made $((n + 2 + 2 * n)) peers in all" $((n + 2 + 2 * n)) "$(created Peer)"

# Keypairs: the device going down drops its sessions; each ping after it
# coming up makes a new handshake, and the keypairs it replaces go.
ok=0
for i in $(seq 1 $n); do
	ip -n ns1 link set wg1 down
	ip -n ns1 link set wg1 up
	$n1 ping -c 1 -W 10 192.168.241.2 > /dev/null && ok=$((ok + 1))
done
check_eq "churn: $n handshakes after the device went down and up" $n $ok
kp=$(created Keypair)
check "churn: ... which made at least $((4 * n)) keypairs ($kp)" test "$kp" -ge $((4 * n))
tunnel_down

# Namespaces: a device created in one (its sockets stay there), moved to
# another, both deleted, in either order.
for i in $(seq 1 $n); do
	ip netns add ca && ip netns add cb &&
	ip -n ca link add wgn type wireguard-rs &&
	ip netns exec ca wg set wgn private-key /tmp/churn.k listen-port 0 \
		peer "$other" allowed-ips 10.9.0.0/16 endpoint 127.0.0.1:1 &&
	ip -n ca link set wgn netns cb &&
	ip -n cb link set wgn up || result FAIL "churn: namespaces $i set up"
	if [ $((i % 2)) = 0 ]; then ip netns del ca; ip netns del cb; else ip netns del cb; ip netns del ca; fi
done
check_eq "churn: ... and $n more peers in namespaces" $((4 * n + 2)) "$(created Peer)"

# Everything made above is gone: the counts come back (peers, keypairs,
# nodes and namespaces are freed after work items and grace periods: wait
# for them, up to settle_timeout seconds).
wait_for "$(settle_timeout)" no_open_objects
if no_open_objects; then
	result PASS "churn: every peer and keypair created was freed ($(created Peer) peers, $(created Keypair) keypairs)"
else
	result FAIL "churn: every peer and keypair created was freed"
	open_objects | sort | head -n 20 | sed 's/^/    /'
fi
caches_empty() { wait_caches_empty "$(settle_timeout)" || { cat /tmp/wgrs-caches; false; }; }
netns_back() { wait_netns_count "$netns0" "$(settle_timeout)" || { echo "$(netns_count) namespaces"; false; }; }
check "churn: no object left in the module's slab caches" caches_empty
check "churn: every namespace freed (as many as before: $netns0)" netns_back
check_eq "churn: the devices of this namespace are those of boot" \
	"$(cat "$WGRS_BOOT/devices")" "$(init_devices)"
check_eq "churn: the module is not in use" 0 "$(cat /sys/module/wireguard_rs/refcnt)"

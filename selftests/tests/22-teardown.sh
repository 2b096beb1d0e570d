#!/bin/sh
# Taking things away under traffic: a peer removed, a device deleted, a
# namespace deleted and the module unloaded while a TCP transfer and a
# ping flood run through the tunnel. Nothing may crash or leak (the
# harness checks the kernel log and kmemleak), and what is left must work.
. /tests/lib.sh
. /tests/tunnel.inc

pids=""
traffic() { # background load through the tunnel, from ns1 to ns2
	$n2 xfer.py tcp-recv 5001 > /dev/null 2>&1 &
	pids="$pids $!"
	sleep 0.5
	$n1 xfer.py tcp-send 192.168.241.2 5001 67108864 1 > /dev/null 2>&1 &
	pids="$pids $!"
	$n1 ping -A -w 60 192.168.241.2 > /dev/null 2>&1 &
	pids="$pids $!"
	$n2 ping -A -w 60 fd00::1 > /dev/null 2>&1 &
	pids="$pids $!"
	sleep 2
}
settle() { kill $pids 2>/dev/null; wait 2>/dev/null; pids=""; }

load_rs || { result FAIL "teardown: module loads"; exit 1; }
tunnel_up wireguard-rs || { result FAIL "teardown: topology"; exit 1; }
traffic
check "teardown: remove the peer under traffic" $n2 wg set wg2 peer "$P1" remove
check_eq "teardown: the peer is gone" "" "$($n2 wg show wg2 peers)"
$n2 wg set wg2 peer "$P1" allowed-ips 192.168.241.1/32,fd00::1/128 endpoint 127.0.0.1:10001
check "teardown: a peer added back works" $n1 ping -c 2 -W 10 192.168.241.2
settle

traffic
check "teardown: delete a device under traffic" ip -n ns1 link del wg1
settle
tunnel_down

tunnel_up wireguard-rs || { result FAIL "teardown: topology again"; exit 1; }
traffic
check "teardown: delete the sockets' namespace under traffic" ip netns del ns0
sleep 1
check "teardown: the devices live on without sockets" ip -n ns1 link show wg1
settle
tunnel_down

tunnel_up wireguard-rs || { result FAIL "teardown: topology a third time"; exit 1; }
traffic
check "teardown: rmmod under traffic" rmmod wireguard_rs
settle
check_fails "teardown: the devices went with the module" ip -n ns1 link show wg1
tunnel_down
check "teardown: the module loads again" load_rs

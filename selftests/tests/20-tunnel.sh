#!/bin/sh
# A tunnel between two wireguard-rs devices in two namespaces, whose UDP
# sockets live in a third (the topology of the kernel's netns.sh): a
# handshake, pings and transfers over IPv4 and IPv6, exact counters.
. /tests/lib.sh
# Handshakes wait for the random generator to be seeded.
head -c 1 /dev/random > /dev/null
load_rs || { result FAIL "tunnel: module loads"; exit 1; }
n0="ip netns exec ns0" n1="ip netns exec ns1" n2="ip netns exec ns2"
ip netns add ns0 && ip netns add ns1 && ip netns add ns2
ip -n ns0 link set lo up
ip -n ns0 link add wg1 type wireguard-rs
ip -n ns0 link add wg2 type wireguard-rs
ip -n ns0 link set wg1 netns ns1
ip -n ns0 link set wg2 netns ns2
wg genkey > /tmp/k1; wg genkey > /tmp/k2
P1=$(wg pubkey < /tmp/k1) P2=$(wg pubkey < /tmp/k2)
$n1 wg set wg1 private-key /tmp/k1 listen-port 10001 peer "$P2" allowed-ips 192.168.241.2/32,fd00::2/128 endpoint 127.0.0.1:10002
$n2 wg set wg2 private-key /tmp/k2 listen-port 10002 peer "$P1" allowed-ips 192.168.241.1/32,fd00::1/128 endpoint 127.0.0.1:10001
ip -n ns1 addr add 192.168.241.1/24 dev wg1
ip -n ns1 addr add fd00::1/24 dev wg1
ip -n ns2 addr add 192.168.241.2/24 dev wg2
ip -n ns2 addr add fd00::2/24 dev wg2
ip -n ns1 link set wg1 up
ip -n ns2 link set wg2 up
check "tunnel: ping over IPv4" $n1 ping -c 2 -W 5 192.168.241.2
check "tunnel: ping over IPv6" $n1 ping -c 2 -W 5 fd00::2
check "tunnel: ping back" $n2 ping -c 2 -W 5 192.168.241.1
$n1 wg show wg1
$n2 wg show wg2 dump
dmesg | tail -20

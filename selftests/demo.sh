#!/bin/sh
# make demo: a WireGuard tunnel between two network namespaces, alice and
# bob, with wireguard-rs devices whose UDP sockets share a third namespace
# (as in the kernel's netns.sh); a handshake, pings, and wg show with the
# latest handshake and transfer counters.
set -ex
head -c 1 /dev/random > /dev/null   # handshakes wait for the RNG
insmod /modules/wireguard-rs.ko
ip netns add net
ip netns add alice
ip netns add bob
ip -n net link set lo up
ip -n net link add wg0 type wireguard-rs
ip -n net link add wg1 type wireguard-rs
ip -n net link set wg0 netns alice
ip -n net link set wg1 netns bob
wg genkey > /tmp/alice.key
wg genkey > /tmp/bob.key
ip netns exec alice wg set wg0 private-key /tmp/alice.key listen-port 51820 \
	peer "$(wg pubkey < /tmp/bob.key)" allowed-ips 10.0.0.2/32 endpoint 127.0.0.1:51821
ip netns exec bob wg set wg1 private-key /tmp/bob.key listen-port 51821 \
	peer "$(wg pubkey < /tmp/alice.key)" allowed-ips 10.0.0.1/32 endpoint 127.0.0.1:51820
ip -n alice addr add 10.0.0.1/24 dev wg0
ip -n bob addr add 10.0.0.2/24 dev wg1
ip -n alice link set wg0 up
ip -n bob link set wg1 up
ip -n alice -d link show wg0
ip netns exec alice ping -c 3 10.0.0.2
ip netns exec alice wg show wg0
ip netns exec bob wg show wg1
ip netns del alice
ip netns del bob
ip netns del net
rmmod wireguard_rs

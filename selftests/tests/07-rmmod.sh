#!/bin/sh
# rmmod with live devices (up, addressed, in several namespaces) removes
# them all cleanly.
. /tests/lib.sh
load_rs || { result FAIL "rmmod: module loads"; exit 1; }
ip netns add nsa
ip link add wg0 type wireguard-rs
ip link add wg1 type wireguard-rs
ip -n nsa link add wg2 type wireguard-rs
ip addr add 10.9.0.1/24 dev wg0
ip link set wg0 up
ip -n nsa link set wg2 up
check "rmmod: with 3 live devices" rmmod wireguard_rs
check_fails "rmmod: wg0 gone" ip link show wg0
check_fails "rmmod: wg1 gone" ip link show wg1
check_fails "rmmod: wg2 gone from nsa" ip -n nsa link show wg2
check "rmmod: load again" load_rs
check "rmmod: new device after reload" ip link add wg0 type wireguard-rs
ip netns del nsa

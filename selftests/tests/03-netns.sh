#!/bin/sh
# Devices move between network namespaces and die with their namespace.
. /tests/lib.sh
load_rs || { result FAIL "netns: module loads"; exit 1; }
ip netns add ns1 && ip netns add ns2 || { result FAIL "netns: create namespaces"; exit 1; }
check "netns: create in ns1" ip -n ns1 link add wg0 type wireguard-rs
check "netns: create in ns2 with the same name" ip -n ns2 link add wg0 type wireguard-rs
check "netns: move ns1 -> ns2 under a new name" sh -c 'ip -n ns1 link set wg0 name wg1 && ip -n ns1 link set wg1 netns ns2'
check "netns: moved device is in ns2" ip -n ns2 link show wg1
check_fails "netns: and no longer in ns1" ip -n ns1 link show wg1
check "netns: move to init ns" ip -n ns2 link set wg1 netns 1
check "netns: moved device is in init ns" ip link show wg1
check "netns: up in init ns" ip link set wg1 up
check "netns: move back into ns1 while up" ip link set wg1 netns ns1
check "netns: wg show works in the device's namespace" ip netns exec ns1 wg show wg1
check_fails "netns: wg show does not see it from another namespace" wg show wg1
# A namespace's devices are deleted with it, not returned to init_net.
check "netns: delete ns1 holding wg1" ip netns del ns1
sleep 1
check_fails "netns: wg1 did not come back to init ns" ip link show wg1
check "netns: delete ns2 holding wg0" ip netns del ns2
check "netns: rmmod after namespaces died" wait_for 10 rmmod wireguard_rs

#!/bin/sh
# make demo: two network namespaces, a wireguard-rs device in each, shown
# with ip and wg.
set -ex
insmod /modules/wireguard-rs.ko
ip netns add alice
ip netns add bob
ip -n alice link add wg0 type wireguard-rs
ip -n bob link add wg0 type wireguard-rs
ip -n alice addr add 10.0.0.1/24 dev wg0
ip -n bob addr add 10.0.0.2/24 dev wg0
ip -n alice link set wg0 up
ip -n bob link set wg0 up
ip -n alice -d link show wg0
ip -n bob -d link show wg0
ip netns exec alice wg show wg0
ip netns exec bob wg show wg0 dump
ip netns del alice
ip netns del bob
rmmod wireguard_rs

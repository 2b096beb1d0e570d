#!/bin/sh
# Default mode: wg(8) finds devices by name only (its listing looks for the
# kind "wireguard"). Drop-in mode (drop_in=1): the kind "wireguard" is ours
# too, so listing tools and wg-quick work unmodified.
. /tests/lib.sh
load_rs || { result FAIL "drop-in: module loads"; exit 1; }
ip link add wg0 type wireguard-rs
check_eq "drop-in: default mode, wg show interfaces does not list kind wireguard-rs" "" "$(wg show interfaces)"
check_fails "drop-in: default mode, kind wireguard is not ours" sh -c 'ip link add wgx type wireguard 2>/dev/null && ip link del wgx'
ip link del wg0
rmmod wireguard_rs

check "drop-in: insmod drop_in=1" load_rs drop_in=1
check "drop-in: ip link add type wireguard" ip link add wg0 type wireguard
check "drop-in: ip link add type wireguard-rs still works" ip link add wg1 type wireguard-rs
check_fails "drop-in: the C driver was not loaded for it" loaded wireguard
check_eq "drop-in: wg show interfaces lists it" "wg0" "$(wg show interfaces)"
check_eq "drop-in: wg show all dump" "$(printf 'wg0\t(none)\t(none)\t0\toff')" "$(wg show all dump)"
check_eq "drop-in: wg show lists it" "interface: wg0" "$(wg show | head -n1)"
check "drop-in: rmmod removes both kinds' devices" rmmod wireguard_rs
check_fails "drop-in: wg0 gone" ip link show wg0
check_fails "drop-in: wg1 gone" ip link show wg1

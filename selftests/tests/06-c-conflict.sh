#!/bin/sh
# Only one module can own the genl family "wireguard": loading ours while
# the C driver is loaded fails cleanly, and the other way round.
. /tests/lib.sh
load_c || { result FAIL "conflict: C driver loads"; exit 1; }
check_fails "conflict: insmod wireguard-rs with wireguard.ko loaded fails" load_rs
check_fails "conflict: no module left behind" loaded wireguard_rs
check "conflict: the reason is in the kernel log" sh -c 'kmsg since "$WGRS_MARK" | grep -q "wireguard_rs: generic netlink family .wireguard. is already registered"'
check_fails "conflict: no link kind left behind" ip link add wgx type wireguard-rs
check_fails "conflict: drop_in=1 fails too" load_rs drop_in=1
check "conflict: the C driver still works" sh -c 'ip link add wgc type wireguard && wg show wgc && ip link del wgc'
rmmod wireguard
check "conflict: ours loads once the C driver is gone" load_rs
check_fails "conflict: the C driver cannot load while ours is" load_c
check "conflict: ours still works" sh -c 'ip link add wg0 type wireguard-rs && wg show wg0'

#!/bin/sh
# The module loads, registers its link kind and genl family, and unloads.
. /tests/lib.sh
check "load: insmod wireguard-rs.ko" load_rs
check "load: module is live" sh -c '[ "$(cat /sys/module/wireguard_rs/initstate)" = live ]'
check "load: kernel log announces it" sh -c 'kmsg since "$WGRS_MARK" | grep -q "wireguard_rs: WireGuard (Rust) loaded"'
check "load: link kind wireguard-rs is registered" ip link add wgtest type wireguard-rs
ip link del wgtest 2>/dev/null
check "load: rmmod" rmmod wireguard_rs
check_fails "load: link kind gone after rmmod" ip link add wgtest type wireguard-rs
check "load: reload after rmmod" load_rs

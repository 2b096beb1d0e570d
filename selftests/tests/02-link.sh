#!/bin/sh
# A wireguard-rs device is created like the C driver's: point-to-point,
# NOARP, link type none, MTU 1420; it goes up and down, is renamed and
# deleted.
. /tests/lib.sh
load_rs || { result FAIL "link: module loads"; exit 1; }
check "link: ip link add wg0 type wireguard-rs" ip link add wg0 type wireguard-rs
d=$(ip -d link show wg0)
case $d in *"<POINTOPOINT,NOARP>"*) result PASS "link: flags POINTOPOINT,NOARP";;
	*) result FAIL "link: flags POINTOPOINT,NOARP"; echo "    $d";; esac
check_eq "link: mtu 1420" 1420 "$(cat /sys/class/net/wg0/mtu)"
check_eq "link: type none (ARPHRD_NONE=65534)" 65534 "$(cat /sys/class/net/wg0/type)"
check_eq "link: no link-layer address" "" "$(cat /sys/class/net/wg0/address)"
check "link: uevent says DEVTYPE=wireguard, like the C driver" grep -qx DEVTYPE=wireguard /sys/class/net/wg0/uevent
case $d in *"wireguard-rs"*) result PASS "link: kind shown as wireguard-rs";;
	*) result FAIL "link: kind shown as wireguard-rs"; echo "    $d";; esac
check "link: set up" ip link set wg0 up
check "link: is up" sh -c 'ip link show wg0 | grep -q ",UP"'
check_eq "link: qdisc noqueue" "noqueue" "$(ip link show wg0 | sed -n 's/.* qdisc \([a-z_]*\) .*/\1/p')"
check "link: mtu change" ip link set wg0 mtu 1280
check_eq "link: mtu now 1280" 1280 "$(cat /sys/class/net/wg0/mtu)"
check "link: set down" ip link set wg0 down
check "link: rename" ip link set wg0 name wg-renamed
check "link: renamed device exists" test -d /sys/class/net/wg-renamed
check "link: address and route on it" sh -c 'ip link set wg-renamed up && ip addr add 10.0.0.1/24 dev wg-renamed && ip route get 10.0.0.2 | grep -q wg-renamed'
# Nobody to send to: the packet is dropped and counted, not crashing.
ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1
check "link: unroutable packet counted as tx error" sh -c '[ "$(cat /sys/class/net/wg-renamed/statistics/tx_errors)" -ge 1 ]'
check "link: delete" ip link del wg-renamed
check_fails "link: deleted device is gone" test -e /sys/class/net/wg-renamed
# Many devices at once.
i=0; ok=1
while [ $i -lt 20 ]; do ip link add "wgm$i" type wireguard-rs || ok=0; i=$((i + 1)); done
check_eq "link: 20 devices created" 1 "$ok"
i=0; while [ $i -lt 20 ]; do ip link del "wgm$i"; i=$((i + 1)); done
check_eq "link: 20 devices deleted" 0 "$(ls /sys/class/net | grep -c '^wgm')"

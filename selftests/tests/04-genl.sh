#!/bin/sh
# wg(8) talks to our generic netlink family: an unconfigured device shows
# exactly like an unconfigured C driver device.
. /tests/lib.sh
load_rs || { result FAIL "genl: module loads"; exit 1; }
ip link add wg0 type wireguard-rs
check "genl: wg show wg0" wg show wg0
check_eq "genl: wg show wg0 prints the interface" "interface: wg0" "$(wg show wg0 | head -n1)"
rs_dump=$(wg show wg0 dump)
check_eq "genl: wg show wg0 dump of an empty device" "$(printf '(none)\t(none)\t0\toff')" "$rs_dump"
check_eq "genl: wg show wg0 listen-port" "0" "$(wg show wg0 listen-port)"
check_eq "genl: wg showconf wg0" "$(printf '[Interface]')" "$(wg showconf wg0)"
idx=$(cat /sys/class/net/wg0/ifindex)
ip link set wg0 name wg-other
check "genl: follows a rename" wg show wg-other
ip link add dummy0 type dummy
check_fails "genl: a non-wireguard device is refused" wg show dummy0
check_fails "genl: an unknown device is refused" wg show nosuchdev
check_fails "genl: wg set of a non-wireguard device is refused" wg set dummy0 listen-port 51820
check "genl: wg set of our device works" wg set wg-other listen-port 51820
check_eq "genl: ... and shows" "51820" "$(wg show wg-other listen-port)"
ip link del dummy0
ip link del wg-other
rmmod wireguard_rs

# Same device on the C driver, same output (on the normal kernel: c_compare).
if ! c_compare; then
	no_c_note "genl"
elif load_c; then
	ip link add wg0 type wireguard
	c_dump=$(wg show wg0 dump)
	check_eq "genl: dump identical to the C driver's" "$c_dump" "$rs_dump"
	ip link del wg0
	rmmod wireguard
else
	result FAIL "genl: C driver loads for comparison"
fi

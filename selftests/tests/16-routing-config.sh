#!/bin/sh
# The routing settings (peer-select, source-check) through our own genl
# family "wireguard-rs": defaults, set and read back with the wgrs command
# and with the kernel's YNL client from our spec, kept across down/up, one
# message per device of ours in a dump, bad requests refused with an
# extack message and nothing changed, and wg(8) seeing exactly what it saw
# before (the wireguard family is upstream's).
. /tests/lib.sh
ynl() { python3 /ynl/cli.py --no-schema --spec /ynl/wireguard-rs.yaml "$@"; }

load_rs || { result FAIL "routing-config: module loads"; exit 1; }
ip link add wg0 type wireguard-rs
ip link add wg1 type wireguard-rs
ip link add dummy0 type dummy 2>/dev/null || ip link add dummy0 type veth peer name dummy1
wg genkey > /tmp/k1
wg set wg0 private-key /tmp/k1 listen-port 51820 \
	peer "$(wg genkey | wg pubkey)" allowed-ips 10.0.0.2/32,fd00::2/128 endpoint 127.0.0.1:1

check_eq "routing-config: defaults are the C driver's" \
	"wg0 peer-select allowedips source-check allowedips" "$(wgrs show wg0)"
before_show=$(wg show wg0 dump)
before_conf=$(wg showconf wg0)

check "routing-config: set peer-select" wgrs set wg0 peer-select route-gateway
check_eq "routing-config: peer-select reads back, source-check unchanged" \
	"wg0 peer-select route-gateway source-check allowedips" "$(wgrs show wg0)"
check "routing-config: set source-check off" wgrs set wg0 source-check off
check_eq "routing-config: source-check off reads back" \
	"wg0 peer-select route-gateway source-check off" "$(wgrs show wg0)"
check "routing-config: both at once" wgrs set wg0 peer-select allowedips source-check route
check_eq "routing-config: both read back" \
	"wg0 peer-select allowedips source-check route" "$(wgrs show wg0)"
wgrs set wg0 peer-select route-gateway
ip link set wg0 up
ip link set wg0 down
ip link set wg0 up
check_eq "routing-config: settings survive down and up" \
	"wg0 peer-select route-gateway source-check route" "$(wgrs show wg0)"
check_eq "routing-config: the other device keeps its defaults" \
	"wg1 peer-select allowedips source-check allowedips" "$(wgrs show wg1)"

# A dump: our two devices, in index order, nothing else (lo, dummy0).
check_eq "routing-config: a dump lists each device of ours once" \
	"wg0 peer-select route-gateway source-check route
wg1 peer-select allowedips source-check allowedips" "$(wgrs show)"

# wg(8) sees the same device as before (ignoring the handshake-less peer's
# fields that cannot change without traffic).
check_eq "routing-config: wg show dump unchanged by the settings" "$before_show" "$(wg show wg0 dump)"
check_eq "routing-config: wg showconf unchanged by the settings" "$before_conf" "$(wg showconf wg0)"

# The kernel's YNL client, from our spec alone.
out=$(ynl --output-json --dump get-device --json '{"ifname":"wg0"}' 2>&1)
check "routing-config: YNL dump of one device by name" sh -c \
	"echo '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; assert d[\"ifname\"]==\"wg0\" and d[\"peer-select\"]==\"route-gateway\" and d[\"source-check\"]==\"route\", d'"
check "routing-config: YNL sets source-check" \
	ynl --do set-device --json '{"ifname":"wg1","source-check":"off"}'
check_eq "routing-config: YNL's setting reads back" \
	"wg1 peer-select allowedips source-check off" "$(wgrs show wg1)"

# Bad requests: the error, its extack message, and nothing changed.
state=$(wgrs show)
# refused CMD...: CMD fails with the errno text and message given (grep -E).
refused() { # refused LABEL PATTERN CMD...
	label=$1 pattern=$2
	shift 2
	out=$("$@" 2>&1) && { result FAIL "routing-config: $label is refused (it succeeded)"; return; }
	echo "$label: $out"
	if echo "$out" | grep -Eq "$pattern"; then
		result PASS "routing-config: $label is refused"
	else
		echo "$out"
		result FAIL "routing-config: $label is refused with the right error"
	fi
	check_eq "routing-config: $label changed nothing" "$state" "$(wgrs show)"
}
refused "an out-of-range peer-select" "integer out of range: Numerical result out of range" \
	ynl --do set-device --json '{"ifname":"wg0","peer-select":7}'
refused "an out-of-range source-check" "integer out of range: Numerical result out of range" \
	ynl --do set-device --json '{"ifname":"wg0","source-check":3,"peer-select":0}'
refused "a device that is not ours" "Operation not supported: not a wireguard-rs device" \
	wgrs set dummy0 source-check off
refused "a device that does not exist" "No such device: no such device" \
	wgrs set nosuch0 source-check off
refused "a request naming two devices" "give exactly one of ifindex and ifname" \
	ynl --do set-device --json "{\"ifname\":\"wg0\",\"ifindex\":$(cat /sys/class/net/wg1/ifindex),\"source-check\":\"off\"}"
refused "a request naming no device" "give exactly one of ifindex and ifname" \
	ynl --do set-device --json '{"source-check":"off"}'
refused "an unknown mode name (by the command)" "is not one of" wgrs set wg0 source-check strict

# The family leaves with the module.
ip link del wg0
ip link del wg1
ip link del dummy0
rmmod wireguard_rs
gone() { ! wgrs show > /tmp/gone.out 2>&1 && grep -q "no generic netlink family 'wireguard-rs'" /tmp/gone.out || { cat /tmp/gone.out; return 1; }; }
check "routing-config: without the module the family is gone" gone

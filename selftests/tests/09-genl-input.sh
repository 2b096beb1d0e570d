#!/bin/sh
# Requests wg(8) never sends, made by hand with wgnl: missing, doubled and
# malformed attributes, unknown attributes and commands, other devices,
# no privileges. Each must fail with the same error from our family as
# from the C driver's, and must leave the device's configuration as it was.
. /tests/lib.sh

# requests IFINDEX DUMMYINDEX: one request per line, "label|wgnl arguments".
# The last two are half-applied by the C driver (the first peer stays), so
# they come last; ours refuses them whole.
K=$(printf '11%.0s' $(seq 32))
requests() {
	cat <<REQ
get without a device|-d 0
get with both index and name|-d 0 1:u32:$1 2:s:wg0
get of a non-wireguard device|-d 0 1:u32:$2
get of an unknown index|-d 0 1:u32:99999
get of an unknown name|-d 0 2:s:nosuchdev
get with a 2-byte index|-d 0 1:0100
get with a name without NUL|-d 0 2:776730
get with a 20-byte name|-d 0 2:s:aaaaaaaaaaaaaaaaaaaa
get with an unknown attribute|-d 0 2:s:wg0 99:00000000
get without the dump flag|0 2:s:wg0
unknown command|-d 7 2:s:wg0
get without privileges|-u -d 0 2:s:wg0
set without a device|1
set with a short private key|1 2:s:wg0 3:0011
set with an unknown device flag|1 2:s:wg0 5:u32:2
set with a short listen port|1 2:s:wg0 6:00
set of a non-wireguard device|1 1:u32:$2
set without privileges|-u 1 2:s:wg0
set of a peer without a public key|1 2:s:wg0 8:{ 0:{ 5:u16:1 } }
set of a peer with a short public key|1 2:s:wg0 8:{ 0:{ 1:0011 } }
set of a peer with a long preshared key|1 2:s:wg0 8:{ 0:{ 1:$K 2:${K}00 } }
set of a peer with an unknown flag|1 2:s:wg0 8:{ 0:{ 1:$K 3:u32:8 } }
set of a peer with protocol version 2|1 2:s:wg0 8:{ 0:{ 1:$K 10:u32:2 } }
set of a peer with a short endpoint|1 2:s:wg0 8:{ 0:{ 1:$K 4:0200 } }
set of a peer with a 1-byte keepalive|1 2:s:wg0 8:{ 0:{ 1:$K 5:01 } }
set of an allowed IP without a cidr|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a000000 } } } }
set of an allowed IP of family 7|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:7 2:0a000000 3:u8:8 } } } }
set of an IPv4 allowed IP with cidr 33|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a000000 3:u8:33 } } } }
set of an IPv6 allowed IP with cidr 129|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:10 2:fd000000000000000000000000000000 3:u8:129 } } } }
set of an IPv4 allowed IP with 16 address bytes|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:fd000000000000000000000000000000 3:u8:8 } } } }
set of an allowed IP with a 3-byte address|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a0000 3:u8:8 } } } }
set of an allowed IP with an unknown flag|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a000000 3:u8:8 4:u32:2 } } } }
set of peers that are not nested|1 2:s:wg0 8:0500010000000000
set of a peer that is truncated|1 2:s:wg0 8:{ 0:2400010011 }
a good get|-d 0 2:s:wg0
set of a good peer, then a bad one|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a000000 3:u8:8 } } } 0:{ 1:$K 10:u32:2 } }
set of a new peer, then update-only of it with a bad allowed IP|1 2:s:wg0 8:{ 0:{ 1:$K } 0:{ 1:$K 3:u32:4 9:{ 0:{ 1:u16:2 2:0a000000 3:u8:33 } } } }
REQ
}

# run KIND OUT: create wg0 of KIND and a dummy, send every request, and
# record "label|answer" lines (errno only: extack texts may be worded
# differently), checking the configuration never changed.
run() {
	ip link add wg0 type "$1" || return 1
	ip link add dummy0 type dummy
	idx=$(cat /sys/class/net/wg0/ifindex)
	didx=$(cat /sys/class/net/dummy0/ifindex)
	before=$(wg show wg0 dump)
	requests "$idx" "$didx" | while IFS='|' read -r label args; do
		# shellcheck disable=SC2086
		answer=$(wgnl $args | cut -d' ' -f1-2)
		echo "$label|$answer"
		[ "$(wg show wg0 dump)" = "$before" ] || echo "$label|CHANGED the configuration"
	done > "$2"
	ip link del dummy0
	ip link del wg0
}

load_rs || { result FAIL "genl input: module loads"; exit 1; }
run wireguard-rs /tmp/rs.txt || result FAIL "genl input: device for our module"
rmmod wireguard_rs
load_c || { result FAIL "genl input: C driver loads"; exit 1; }
run wireguard /tmp/c.txt || result FAIL "genl input: device for the C driver"
rmmod wireguard

# Our answers, request by request, against the C driver's.
requests 0 0 | while IFS='|' read -r label args; do
	rs=$(grep "^$label|" /tmp/rs.txt | grep -v CHANGED | cut -d'|' -f2 | tr '\n' ' ')
	c=$(grep "^$label|" /tmp/c.txt | grep -v CHANGED | cut -d'|' -f2 | tr '\n' ' ')
	case $label in
	set\ with\ an\ unknown*|set\ with\ a\ short*|set\ without*|set\ of\ *)
		# Refused before any configuration is applied: same answer.
		check_eq "genl input: $label: same error as the C driver" "$c" "$rs";;
	*)
		check_eq "genl input: $label: same answer as the C driver" "$c" "$rs";;
	esac
done
# A few absolute expectations, so that both being wrong together fails too.
check_eq "genl input: no device is EBADR" "error -53 " "$(grep '^get without a device|' /tmp/rs.txt | cut -d'|' -f2) "
check_eq "genl input: another kind of device is EOPNOTSUPP" "error -95 " "$(grep '^get of a non-wireguard device|' /tmp/rs.txt | cut -d'|' -f2) "
check_eq "genl input: no privileges is EPERM" "error -1 " "$(grep '^get without privileges|' /tmp/rs.txt | cut -d'|' -f2) "
check_eq "genl input: a good get answers one message" "ok 1 " "$(grep '^a good get|' /tmp/rs.txt | cut -d'|' -f2) "
check_eq "genl input: protocol version 2 is EPFNOSUPPORT" "error -96 " "$(grep '^set of a peer with protocol version 2|' /tmp/rs.txt | cut -d'|' -f2) "
check_eq "genl input: a bad allowed IP is EINVAL" "error -22 " "$(grep '^set of an IPv4 allowed IP with cidr 33|' /tmp/rs.txt | cut -d'|' -f2) "
check_fails "genl input: no request changed a configuration" grep -q CHANGED /tmp/rs.txt
# The raw answers, for the log, and where the C driver applied part of a
# request it refused (we apply nothing of those).
sed 's/^/    ours: /' /tmp/rs.txt
grep CHANGED /tmp/c.txt | sed 's/^/    C driver: /'

#!/bin/sh
# Requests wg(8) never sends, made by hand with wgnl: missing, doubled and
# malformed attributes, unknown attributes and commands, other devices,
# no privileges. Each is sent to a fresh device in the same configuration,
# once on our module and once on the C driver's, and must get the same
# errno and the same extended ack message from both; the errno must also be
# the one expected (from the C driver's sources and the netlink policy),
# and our device's configuration must be as it was.
. /tests/lib.sh

# The configuration every fresh device starts with: a private key, a listen
# port, a fwmark and one peer, so that a request that changed any of them
# shows in the dump. The device stays down (nothing is sent or bound).
(umask 077; wg genkey > /tmp/genl-key)
P=$(wg genkey | wg pubkey)
# The public key the requests use for their peer: not the device's peer.
K=$(printf '11%.0s' $(seq 32))

# requests IFINDEX DUMMYINDEX: one request per line,
# "label|expected answer|wgnl arguments", IFINDEX being the fresh wg0's and
# DUMMYINDEX a dummy device's. The expected answer is an errno name, or
# "ok N" (N reply messages).
requests() {
	cat <<REQ
get without a device|EBADR|-d 0
get with both index and name|EBADR|-d 0 1:u32:$1 2:s:wg0
get of a non-wireguard device|EOPNOTSUPP|-d 0 1:u32:$2
get of an unknown index|ENODEV|-d 0 1:u32:99999
get of an unknown name|ENODEV|-d 0 2:s:nosuchdev
get with a 2-byte index|EINVAL|-d 0 1:0100
get with a name without NUL|EINVAL|-d 0 2:776730
get with a 20-byte name|EINVAL|-d 0 2:s:aaaaaaaaaaaaaaaaaaaa
get with an unknown attribute|EINVAL|-d 0 2:s:wg0 99:00000000
get without the dump flag|EOPNOTSUPP|0 2:s:wg0
unknown command|EOPNOTSUPP|-d 7 2:s:wg0
get without privileges|EPERM|-u -d 0 2:s:wg0
set without a device|EBADR|1
set with a short private key|ERANGE|1 2:s:wg0 3:0011
set with an unknown device flag|EINVAL|1 2:s:wg0 5:u32:2
set with a short listen port|EINVAL|1 2:s:wg0 6:00
set of a non-wireguard device|EOPNOTSUPP|1 1:u32:$2
set without privileges|EPERM|-u 1 2:s:wg0
set of a peer without a public key|EINVAL|1 2:s:wg0 8:{ 0:{ 5:u16:1 } }
set of a peer with a short public key|ERANGE|1 2:s:wg0 8:{ 0:{ 1:0011 } }
set of a peer with a long preshared key|ERANGE|1 2:s:wg0 8:{ 0:{ 1:$K 2:${K}00 } }
set of a peer with an unknown flag|EINVAL|1 2:s:wg0 8:{ 0:{ 1:$K 3:u32:8 } }
set of a peer with protocol version 2|EPFNOSUPPORT|1 2:s:wg0 8:{ 0:{ 1:$K 10:u32:2 } }
set of a peer with a short endpoint|ERANGE|1 2:s:wg0 8:{ 0:{ 1:$K 4:0200 } }
set of a peer with a 1-byte keepalive|EINVAL|1 2:s:wg0 8:{ 0:{ 1:$K 5:01 } }
set of an allowed IP without a cidr|EINVAL|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a000000 } } } }
set of an allowed IP of family 7|EINVAL|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:7 2:0a000000 3:u8:8 } } } }
set of an IPv4 allowed IP with cidr 33|EINVAL|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a000000 3:u8:33 } } } }
set of an IPv6 allowed IP with cidr 129|EINVAL|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:10 2:fd000000000000000000000000000000 3:u8:129 } } } }
set of an IPv4 allowed IP with 16 address bytes|EINVAL|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:fd000000000000000000000000000000 3:u8:8 } } } }
set of an allowed IP with a 3-byte address|ERANGE|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a0000 3:u8:8 } } } }
set of an allowed IP with an unknown flag|EINVAL|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a000000 3:u8:8 4:u32:2 } } } }
set of peers that are not nested|EINVAL|1 2:s:wg0 8:0500010000000000
set of a peer that is truncated|EINVAL|1 2:s:wg0 8:{ 0:2400010011 }
a good get|ok 1|-d 0 2:s:wg0
set of a good peer, then a bad one|EPFNOSUPPORT|1 2:s:wg0 8:{ 0:{ 1:$K 9:{ 0:{ 1:u16:2 2:0a000000 3:u8:8 } } } 0:{ 1:$K 10:u32:2 } }
set of a new peer, then update-only of it with a bad allowed IP|EINVAL|1 2:s:wg0 8:{ 0:{ 1:$K } 0:{ 1:$K 3:u32:4 9:{ 0:{ 1:u16:2 2:0a000000 3:u8:33 } } } }
REQ
}

# c_applies_part LABEL: the requests the C driver refuses only after it has
# applied part of them (it creates the new peer before it looks at its
# allowed IPs, or at the next peer); we check a request whole and apply
# nothing of it (Documentation/usage.md).
c_applies_part() {
	case $1 in
	"set of an allowed IP without a cidr"|"set of an allowed IP of family 7"|\
	"set of an IPv4 allowed IP with cidr 33"|"set of an IPv6 allowed IP with cidr 129"|\
	"set of an IPv4 allowed IP with 16 address bytes"|\
	"set of a good peer, then a bad one"|\
	"set of a new peer, then update-only of it with a bad allowed IP") return 0;;
	esac
	return 1
}

# our_ack LABEL: the extended ack message we send where the C driver sends
# none (a bad peer or allowed IP: it answers a bare EINVAL), documented in
# Documentation/usage.md; empty where we send what the C driver sends.
our_ack() {
	case $1 in
	"set of a peer without a public key") echo "wireguard-rs: a peer needs a public key";;
	"set of an allowed IP without a cidr"|"set of an allowed IP of family 7"|\
	"set of an IPv4 allowed IP with cidr 33"|"set of an IPv6 allowed IP with cidr 129"|\
	"set of an IPv4 allowed IP with 16 address bytes"|\
	"set of a new peer, then update-only of it with a bad allowed IP")
		echo "wireguard-rs: bad allowed IP (family, address length or cidr)";;
	esac
}

# answer NAME: what wgnl prints for an errno NAME ("error -N"), or NAME
# itself for "ok N".
answer() {
	case $1 in
	EPERM) echo "error -1";;
	ENODEV) echo "error -19";;
	EINVAL) echo "error -22";;
	ERANGE) echo "error -34";;
	EBADR) echo "error -53";;
	EOPNOTSUPP) echo "error -95";;
	EPFNOSUPPORT) echo "error -96";;
	*) echo "$1";;
	esac
}

# fresh KIND: a new wg0 of KIND in the starting configuration, and notwg0,
# a device of another kind (not dummy0: the kernel may have made one).
fresh() {
	ip link add wg0 type "$1" &&
		wg set wg0 private-key /tmp/genl-key listen-port 51820 fwmark 0x20 \
			peer "$P" endpoint 192.0.2.1:51820 allowed-ips 192.168.0.0/16,fd00::/64 &&
		ip link add notwg0 type dummy
}

# run KIND OUT: for each request, a fresh device; send the request and
# write "label|answer|extack|configuration" to OUT, where answer is
# "error -ERRNO" or "ok N", extack the extended ack message (empty if
# none), and configuration "unchanged" if the dump after the request is the
# starting configuration's, else "CHANGED: +[lines added] -[lines gone]".
# The first line, "start|<dump>", is the starting configuration.
run() {
	fresh "$1" || return 1
	wg show wg0 dump > /tmp/start.txt
	start=$(cat /tmp/start.txt)
	echo "start|$(tr '\t\n' '  ' < /tmp/start.txt)" > "$2"
	ip link del notwg0
	ip link del wg0
	requests 0 0 | while IFS='|' read -r label _ _; do
		if ! fresh "$1"; then
			echo "$label|no fresh device"
			ip link del notwg0 2>/dev/null; ip link del wg0 2>/dev/null
			continue
		fi
		args=$(requests "$(cat /sys/class/net/wg0/ifindex)" "$(cat /sys/class/net/notwg0/ifindex)" |
			awk -F'|' -v l="$label" '$1 == l { print $3 }')
		# shellcheck disable=SC2086
		out=$(wgnl $args </dev/null)
		case $out in
		error\ *) ans=$(echo "$out" | cut -d' ' -f1-2) ack=$(echo "$out" | cut -d' ' -f3-);;
		*) ans=$out ack=;;
		esac
		after=$(wg show wg0 dump)
		if [ "$after" = "$start" ]; then
			conf=unchanged
		else
			echo "$after" > /tmp/after.txt
			conf="CHANGED: +[$(grep -vxF -f /tmp/start.txt /tmp/after.txt | tr '\t\n' '  ')]"
			conf="$conf -[$(grep -vxF -f /tmp/after.txt /tmp/start.txt | tr '\t\n' '  ')]"
		fi
		echo "$label|$ans|$ack|$conf"
		ip link del notwg0
		ip link del wg0
	done >> "$2"
}

both_drivers run "genl input" || exit 1
c=0
if [ -e /tmp/c.txt ]; then
	c=1
	check_eq "genl input: the starting configuration dumps as from the C driver" \
		"$(grep '^start|' /tmp/c.txt)" "$(grep '^start|' /tmp/rs.txt)"
else
	no_c_note "genl input"
fi
# ... and as it was set (wg(8)'s dump: the device's line, then the peer's).
check_eq "genl input: the starting configuration is as set" \
	"start|$(cat /tmp/genl-key) $(wg pubkey < /tmp/genl-key) 51820 0x20 $P (none) 192.0.2.1:51820 192.168.0.0/16,fd00::/64 0 0 0 off " \
	"$(grep '^start|' /tmp/rs.txt)"

field() { # field FILE LABEL N: field N of LABEL's line in FILE
	awk -F'|' -v l="$2" -v n="$3" '$1 == l { print $n }' "$1"
}
requests 0 0 | while IFS='|' read -r label expect _; do
	rs_ans=$(field /tmp/rs.txt "$label" 2) rs_ack=$(field /tmp/rs.txt "$label" 3)
	rs_conf=$(field /tmp/rs.txt "$label" 4)
	mine=$(our_ack "$label")
	if [ $c = 1 ]; then
		c_ans=$(field /tmp/c.txt "$label" 2) c_ack=$(field /tmp/c.txt "$label" 3)
		c_conf=$(field /tmp/c.txt "$label" 4)
		# Against the C driver: the same errno and (but where it applies
		# part of the request) the same configuration after it; the same
		# extack.
		if c_applies_part "$label"; then
			check_eq "genl input: $label: same errno as the C driver" "$c_ans" "$rs_ans"
		else
			check_eq "genl input: $label: same errno and configuration after as the C driver" \
				"$c_ans|$c_conf" "$rs_ans|$rs_conf"
		fi
		if [ -n "$mine" ]; then
			check_eq "genl input: $label: the C driver sends no extack message, we say why" \
				"|$mine" "$c_ack|$rs_ack"
		else
			check_eq "genl input: $label: same extack message as the C driver" "$c_ack" "$rs_ack"
		fi
	elif [ -n "$mine" ]; then
		check_eq "genl input: $label: we say why (extack)" "$mine" "$rs_ack"
	fi
	# Absolutely: the expected answer, and our configuration unchanged.
	check_eq "genl input: $label: $expect, configuration unchanged" \
		"$(answer "$expect")|unchanged" "$rs_ans|$rs_conf"
done
# The answers, for the log, and what the C driver applied of the requests
# it refused (we apply nothing of those).
sed 's/^/    ours: /' /tmp/rs.txt | cut -c1-200
[ $c = 0 ] || grep 'CHANGED' /tmp/c.txt | sed 's/^/    C driver: /' | cut -c1-250

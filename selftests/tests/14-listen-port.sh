#!/bin/sh
# Listen ports: set while down (bound when the device comes up), rebinding
# while up, a port in use refused (EADDRINUSE) with nothing applied, a
# random port, sockets closed when down; sockets live in the namespace the
# device was created in, and when that namespace goes the device keeps its
# port but can no longer change it (EPERM) nor come up (ENONET). Every step
# is run against both drivers and compared, errors by their message (the
# errno's text, as wg(8) and ip(8) print it), and checked against what
# Documentation/usage.md promises.
. /tests/lib.sh

# bound [NS]: the UDP ports bound in namespace NS (default: this one),
# IPv4 and IPv6, as "port/4" and "port/6" (from /proc/net/udp*), sorted.
bound() {
	for v in 4 6; do
		f=/proc/net/udp; [ $v = 6 ] && f=/proc/net/udp6
		if [ -n "${1:-}" ]; then ip netns exec "$1" cat $f; else cat $f; fi |
			awk -v v=$v 'NR > 1 { n = split($2, a, ":"); print a[n] "/" v }'
	done | while read -r p; do printf '%d/%s\n' "0x${p%/*}" "${p#*/}"; done | sort | tr '\n' ' '
}
# The device's port as dumped, with a random one (any but the ports the
# steps set) shown as "random" and whether both sockets are bound to it.
port() {
	p=$(wg show wg0 listen-port)
	case $p in
	0|51820|51821|51822|51823|51830) echo "$p";;
	*) case " $(bound) " in *" $p/4 $p/6 "*) echo "random, bound";; *) echo "random, NOT bound";; esac;;
	esac
}
# not_bound PORT: nothing here is bound to PORT, IPv4 or IPv6.
not_bound() {
	case " $(bound) " in *" $1/4 "*|*" $1/6 "*) return 1;; esac
}
# try CMD...: "ok", or "failed: " and what CMD printed on stderr (wg(8):
# "Unable to modify interface: <strerror>"; ip(8): "RTNETLINK answers:
# <strerror>").
try() {
	if err=$("$@" 2>&1 >/dev/null); then echo ok; else echo "failed: $err"; fi
}

# steps: "label|command|expected": what run records after the step (the
# command's result, the port, the ports bound here, the number of peers).
# wg1, up on port 51830, is there all along.
W1="51830/4 51830/6 "
steps() {
	cat <<STEPS
a port while down is not bound|wg set wg0 listen-port 51820|ok|port 51820|bound $W1|peers 0
up binds it|ip link set wg0 up|ok|port 51820|bound 51820/4 51820/6 $W1|peers 0
a new port while up rebinds|wg set wg0 listen-port 51821|ok|port 51821|bound 51821/4 51821/6 $W1|peers 0
the same port again|wg set wg0 listen-port 51821|ok|port 51821|bound 51821/4 51821/6 $W1|peers 0
down closes the sockets|ip link set wg0 down|ok|port 51821|bound $W1|peers 0
a port while down again|wg set wg0 listen-port 51822|ok|port 51822|bound $W1|peers 0
up again|ip link set wg0 up|ok|port 51822|bound 51822/4 51822/6 $W1|peers 0
a port in use is refused|wg set wg0 listen-port 51830|failed: Unable to modify interface: Address already in use|port 51822|bound 51822/4 51822/6 $W1|peers 0
port 0 while up picks a free port|wg set wg0 listen-port 0|ok|port random, bound|bound ${W1}R/4 R/6 |peers 0
a port and peers at once|wg set wg0 listen-port 51823 peer $(wg genkey | wg pubkey) allowed-ips 10.0.0.0/8|ok|port 51823|bound 51823/4 51823/6 $W1|peers 1
STEPS
}

run() {
	ip link add wg1 type "$1" && wg set wg1 listen-port 51830 && ip link set wg1 up || return 1
	ip link add wg0 type "$1" || return 1
	steps | while IFS='|' read -r label cmd _; do
		r=$(eval "try $cmd")
		# A random port differs between runs: shown as R in the bound list.
		p=$(wg show wg0 listen-port) b=$(bound)
		case $(port) in
		random*) b=$(echo "$b" | tr ' ' '\n' | sed "s#^$p/#R/#" | sort | tr '\n' ' ' | sed 's/^ *//');;
		esac
		echo "$label|$r|port $(port)|bound $b|peers $(wg show wg0 peers | wc -l)"
	done > "$2"
	ip link del wg0
	ip link del wg1
	echo "after delete|bound $(bound)" >> "$2"
}

# netns KIND OUT: wg0 created in namespace a, moved here, then a goes away.
# Namespace cleanup runs later, in a kernel worker: before looking at wg0
# we wait for a's devices to be deleted, which comes after every pernet
# exit handler ran under RTNL (the driver's, which cuts wg0 off its
# creating namespace, among them). That deletion is seen here through a
# witness: wgw, created here with port 51990, moved into a and brought up
# there, has its sockets here (where it was created) until it is deleted
# with a.
netns() {
	ip netns add a || return 1
	ip -n a link add wg0 type "$1" && ip -n a link set wg0 netns 1 || return 1
	ip link add wgw type "$1" && wg set wgw listen-port 51990 &&
		ip link set wgw netns a && ip -n a link set wgw up || return 1
	{
		wg set wg0 listen-port 51900 && ip link set wg0 up && echo "up|ok"
		echo "carrier|$(cat /sys/class/net/wg0/carrier)"
		echo "bound here|$(bound)"
		echo "bound in a|$(bound a)"
		ip netns del a
		if wait_for 60 not_bound 51990; then
			echo "a's devices deleted|yes"
		else
			echo "a's devices deleted|NO (the witness's port is still bound after 60 s)"
		fi
		echo "bound here after a went|$(bound)"
		echo "carrier after a went|$(cat /sys/class/net/wg0/carrier)"
		echo "port after a went|$(wg show wg0 listen-port)"
		echo "new port|$(try wg set wg0 listen-port 51901)"
		echo "fwmark|$(try wg set wg0 fwmark 3)"
		echo "other settings|$(try wg set wg0 private-key /dev/null)"
		ip link set wg0 down
		echo "up again|$(try ip link set wg0 up)"
	} > "$2"
	ip link del wg0
}

both_drivers run ports || exit 1
same_steps ports "same result, port and sockets as the C driver"
line() { grep "^$1|" /tmp/rs.txt; }
check_eq "ports: sockets are closed when the device goes (nothing is bound)" \
	"after delete|bound " "$(line 'after delete')"
if [ -e /tmp/c.txt ]; then
	check_eq "ports: sockets are closed when the device goes, as by the C driver" \
		"$(grep '^after delete|' /tmp/c.txt)" "$(line 'after delete')"
fi

# A refused port changes nothing else of the request (the C driver sets
# the fwmark before it fails).
load_rs
ip link add wg1 type wireguard-rs && wg set wg1 listen-port 51830 && ip link set wg1 up
ip link add wg0 type wireguard-rs && ip link set wg0 up
before=$(wg show wg0 dump)
# The errno itself, from the genl answer (listen port 51830, fwmark 7).
check_eq "ports: a port in use fails with EADDRINUSE" "error -98" \
	"$(wgnl 1 2:s:wg0 6:u16:51830 7:u32:7 | cut -d' ' -f1-2)"
check_eq "ports: ... and nothing of the request was applied" "$before" "$(wg show wg0 dump)"
ip link del wg0; ip link del wg1
rmmod wireguard_rs

both_drivers netns "ports, creating namespace" || exit 1
if [ -e /tmp/c.txt ]; then
	check_eq "ports: creating namespace: same as the C driver" "$(cat /tmp/c.txt)" "$(cat /tmp/rs.txt)"
else
	no_c_note "ports: creating namespace"
fi
sed 's/^/    ours: /' /tmp/rs.txt
check_eq "ports: creating namespace: the device comes up on its port" "up|ok" "$(line up)"
check_eq "ports: creating namespace: its devices were deleted with it" "a's devices deleted|yes" "$(line "a's devices deleted")"
check_eq "ports: sockets live in the creating namespace" \
	"bound here|51990/4 51990/6 bound in a|51900/4 51900/6 bound here after a went|" \
	"$(grep '^bound ' /tmp/rs.txt | sed 's/ *$//' | tr '\n' ' ' | sed 's/ *$//')"
check_eq "ports: once it is gone, the device has no carrier" "carrier|1 carrier after a went|0" \
	"$(grep '^carrier' /tmp/rs.txt | tr '\n' ' ' | sed 's/ *$//')"
check_eq "ports: ... keeps its port" "port after a went|51900" "$(line 'port after a went')"
check_eq "ports: ... cannot change it (EPERM)" \
	"new port|failed: Unable to modify interface: Operation not permitted" "$(line 'new port')"
check_eq "ports: ... nor its fwmark (EPERM)" \
	"fwmark|failed: Unable to modify interface: Operation not permitted" "$(line 'fwmark')"
check_eq "ports: ... but other settings still change" "other settings|ok" "$(line 'other settings')"
check_eq "ports: ... and cannot come up (ENONET)" \
	"up again|failed: RTNETLINK answers: Machine is not on the network" "$(line 'up again')"

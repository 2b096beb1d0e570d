#!/bin/sh
# Interop with a userspace WireGuard: wireguard-go (Debian's package) in
# ns2 with its TUN device wg2, configured by wg(8) over its UNIX socket
# /var/run/wireguard/wg2.sock; our device wg1 in ns1. A veth pair joins
# the namespaces (the outer network):
#
#   ns1: veth1 192.0.2.1/24 2001:db8::1/64    wg1 (ours)  port 10001
#        inner 192.168.241.1/24 fd00::1/64
#   ns2: veth2 192.0.2.2/24 2001:db8::2/64    wg2 (wireguard-go) port 10002
#        inner 192.168.241.2/24 fd00::2/64
#
# Two rounds from a fresh session each: over outer IPv4 our device
# initiates, over outer IPv6 wireguard-go does. Each round: the first ping
# completes the handshake (exact byte counters on both sides show who
# initiated), pings both ways over both inner families, TCP both ways
# checked by hash.
. /tests/lib.sh
. /tests/tunnel.inc
T=wireguard-go

load_rs || { result FAIL "$T: module loads"; exit 1; }
command -v wireguard-go > /dev/null || { result FAIL "$T: wireguard-go is in the VM"; exit 1; }
# wireguard-go watches its UAPI socket with inotify and exits without it
# ("Failed to listen on uapi socket: function not implemented").
if [ ! -d /proc/sys/fs/inotify ]; then
	result FAIL "$T: the kernel has inotify (CONFIG_INOTIFY_USER), which wireguard-go's UAPI socket needs"
	exit 1
fi

gopid=""
stop_go() {
	[ -n "$gopid" ] && kill "$gopid" 2>/dev/null && wait "$gopid" 2>/dev/null
	gopid=""
}
trap stop_go EXIT

ip netns add ns1 && ip netns add ns2 || { result FAIL "$T: namespaces"; exit 1; }
ip -n ns1 link set lo up
ip -n ns2 link set lo up
ip -n ns1 link add veth1 type veth peer name veth2 netns ns2
ip -n ns1 addr add 192.0.2.1/24 dev veth1
ip -n ns1 addr add 2001:db8::1/64 dev veth1 nodad
ip -n ns2 addr add 192.0.2.2/24 dev veth2
ip -n ns2 addr add 2001:db8::2/64 dev veth2 nodad
ip -n ns1 link set veth1 up
ip -n ns2 link set veth2 up

wg genkey > /tmp/go-k1
wg genkey > /tmp/go-k2
P1=$(wg pubkey < /tmp/go-k1) P2=$(wg pubkey < /tmp/go-k2)

# wireguard-go in ns2: its TUN device and its UDP socket live there.
# WG_PROCESS_FOREGROUND=1 keeps it in the foreground (our child, killed at
# the end) and silences its warning about the kernel module.
mkdir -p /var/run/wireguard
$n2 env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose wireguard-go wg2 > /tmp/wireguard-go.log 2>&1 &
gopid=$!
if ! wait_for 30 test -S /var/run/wireguard/wg2.sock; then
	result FAIL "$T: wireguard-go creates its UAPI socket"
	sed 's/^/    /' /tmp/wireguard-go.log | head -n 20
	exit 1
fi
# It creates the socket before it listens on it: wait until wg can talk.
if ! wait_for 30 $n2 wg show wg2 || ! kill -0 "$gopid" 2>/dev/null; then
	result FAIL "$T: wireguard-go starts and answers on its UAPI socket"
	sed 's/^/    /' /tmp/wireguard-go.log | head -n 20
	exit 1
fi
result PASS "$T: wireguard-go starts and answers on its UAPI socket"
check "$T: wg(8) configures wireguard-go over its socket" \
	$n2 wg set wg2 private-key /tmp/go-k2 listen-port 10002
check_eq "$T: wg show reads wireguard-go's public key back" "$P2" "$($n2 wg show wg2 public-key)"
ip -n ns2 addr add 192.168.241.2/24 dev wg2
ip -n ns2 addr add fd00::2/64 dev wg2 nodad
ip -n ns2 link set wg2 up

# The debug kernel under emulation is slow: more time for a transfer there.
tmo=60; [ "$WGRS_FLAVOR" = debug ] && tmo=180
tcp() { # tcp NS_FROM NS_TO ADDR: 1 MiB, checked by hash on both ends
	listen_bg /tmp/tcp.recv ip netns exec "$2" timeout $tmo xfer.py tcp-recv 5001 ||
		{ kill $LISTEN_PID 2>/dev/null; wait $LISTEN_PID; return 1; }
	start=$(date +%s)
	sent=$(ip netns exec "$1" timeout $tmo xfer.py tcp-send "$3" 5001 1048576 $$ 2>&1)
	wait $LISTEN_PID
	got=$(sed -n 's/^bytes 1048576 sha256 //p' /tmp/tcp.recv)
	[ -n "$got" ] && [ "sha256 $got" = "$sent" ] || {
		echo "after $(($(date +%s) - start)) s (timeout $tmo s):"
		cat /tmp/tcp.recv; echo "$sent"
		echo "ours rx/tx $(peer_field ns1 wg1 6)/$(peer_field ns1 wg1 7)," \
			"wireguard-go rx/tx $(peer_field ns2 wg2 6)/$(peer_field ns2 wg2 7)"
		return 1
	}
}

# round NAME OUTER1 OUTER2 INITIATOR(1|2): fresh state on both sides, then
# the checks.
round() {
	r="$T: $1"
	# Our side: a new device (no session). wireguard-go: the peer removed
	# and added again (its sessions go with it).
	ip -n ns1 link del wg1 2>/dev/null
	ip -n ns1 link add wg1 type wireguard-rs
	$n1 wg set wg1 private-key /tmp/go-k1 listen-port 10001 \
		peer "$P2" allowed-ips 192.168.241.2/32,fd00::2/128 endpoint "$3:10002"
	ip -n ns1 addr add 192.168.241.1/24 dev wg1
	ip -n ns1 addr add fd00::1/64 dev wg1 nodad
	ip -n ns1 link set wg1 up
	$n2 wg set wg2 peer "$P1" remove
	$n2 wg set wg2 peer "$P1" allowed-ips 192.168.241.1/32,fd00::1/128 endpoint "$2:10001"
	check_eq "$r: fresh state: no handshake yet on either side" "0 0" \
		"$(peer_field ns1 wg1 5) $(peer_field ns2 wg2 5)"

	t0=$(date +%s)
	if [ "$4" = 1 ]; then
		check "$r: ours initiates: the first ping completes the handshake" $n1 ping -c 1 -W 10 192.168.241.2
		i="ns1 wg1" o="ns2 wg2"
	else
		check "$r: wireguard-go initiates: the first ping completes the handshake" $n2 ping -c 1 -W 10 192.168.241.1
		i="ns2 wg2" o="ns1 wg1"
	fi
	# Initiation 148 + ICMP 84 padded to 96 + 32; response 92 + 128.
	check_eq "$r: initiator's rx/tx bytes (response + reply / initiation + ping)" "220 276" \
		"$(peer_field $i 6) $(peer_field $i 7)"
	check_eq "$r: responder's rx/tx bytes (initiation + ping / response + reply)" "276 220" \
		"$(peer_field $o 6) $(peer_field $o 7)"
	now=$(date +%s)
	h1=$(peer_field ns1 wg1 5) h2=$(peer_field ns2 wg2 5)
	check "$r: latest handshake is now on both sides ($h1, $h2; clock $now)" \
		test "$h1" -ge $((t0 - 5)) -a "$h1" -le $((now + 5)) -a "$h2" -ge $((t0 - 5)) -a "$h2" -le $((now + 5))
	check_eq "$r: ours sees wireguard-go's endpoint" "$(echo "$3" | sed 's/.*:.*/[&]/'):10002" "$(peer_field ns1 wg1 3)"
	check_eq "$r: wireguard-go sees our endpoint" "$(echo "$2" | sed 's/.*:.*/[&]/'):10001" "$(peer_field ns2 wg2 3)"

	check "$r: ping ours -> wireguard-go, inner IPv4" $n1 ping -c 2 -W 5 192.168.241.2
	check "$r: ping ours -> wireguard-go, inner IPv6" $n1 ping -c 2 -W 5 fd00::2
	check "$r: ping wireguard-go -> ours, inner IPv4" $n2 ping -c 2 -W 5 192.168.241.1
	check "$r: ping wireguard-go -> ours, inner IPv6" $n2 ping -c 2 -W 5 fd00::1
	check "$r: TCP 1 MiB ours -> wireguard-go, inner IPv4" tcp ns1 ns2 192.168.241.2
	check "$r: TCP 1 MiB wireguard-go -> ours, inner IPv6" tcp ns2 ns1 fd00::1
	check "$r: TCP 1 MiB wireguard-go -> ours, inner IPv4" tcp ns2 ns1 192.168.241.1
	check "$r: TCP 1 MiB ours -> wireguard-go, inner IPv6" tcp ns1 ns2 fd00::2
}

round "outer IPv4" 192.0.2.1 192.0.2.2 1
round "outer IPv6" 2001:db8::1 2001:db8::2 2

stop_go
check "$T: wireguard-go removed its socket on exit" test ! -e /var/run/wireguard/wg2.sock
ip -n ns1 link del wg1
ip netns del ns1
ip netns del ns2

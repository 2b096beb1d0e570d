#!/bin/sh
# Route-gateway peer selection and the source-check modes (`wgrs set DEV
# peer-select ... source-check ...`), in the four-node mesh of the seeds'
# RFC: n1..n4, each with a wireguard-rs device wgN peered with the other
# three, each peer's AllowedIPs only its tunnel addresses 10.0.0.N/32 and
# fd00::N/128. The devices are created in ns0, so their UDP sockets meet
# on its loopback (as in tunnel.inc). n2..n4 all hold the same "far"
# addresses (10.99.0.1, 10.77.0.1, 10.88.0.1, fd99::1, fd77::1 on lo), so
# a destination alone never names a peer; a UDP server on each answers
# with its node's name, from the address it was asked at, and logs what
# it got.
#
# On n1, policy routing picks the peer per class of flow:
#   default            default via 10.0.0.2            (peer n2)
#   fwmark 3           table 103: default via 10.0.0.3 (peer n3)
#   from 10.1.0.1      table 104: default via 10.0.0.4 (peer n4)
#
# Checked: the C driver's behaviour by default (the destination decides,
# whatever the route); with peer-select route-gateway each class leaves
# through the peer its route names, a gateway that is no peer's drops the
# packet (ICMP, tx_errors), IPv4 routes via IPv6 gateways (RFC 5549),
# IPv6 routes, multipath routes (flows spread, each flow on one peer),
# connected sockets following a route replaced under them, and traffic
# that n1 forwards for a host behind it; the replies under source-check
# off (all arrive), route (the source-selected class arrives, the
# fwmark-selected one is refused: the documented limit) and allowedips
# (all refused, counted as rx_errors and rx_frame_errors); source-check
# route accepting sources routed via the sending peer (also over a
# multipath route, IPv4 and IPv6) and refusing sources routed via another peer, on-link
# sources of another peer, sources routed through another device or not
# routed at all; and the C driver counting the same refused packet as we
# do.
. /tests/lib.sh
T=route-gateway
NODES="1 2 3 4"
PORT=7000
# How long a client waits for answers (longer on the slow debug kernel):
# all of them end the wait; where none should come, it is the window.
W=3
[ "${WGRS_FLAVOR:-}" = debug ] && W=8

head -c 1 /dev/random > /dev/null

cat > /tmp/mesh.py <<'EOF'
"""UDP helpers of 25-route-gateway.sh.

  serve NAME PORT REPLY ADDR...   one socket per ADDR (a reply leaves from
                                  the address asked); log "got LOCAL SRC SPORT
                                  DATA" per datagram; if REPLY is 1 answer
                                  "NAME DATA"
  ask DST PORT COUNT TAG SRC MARK WAIT
                                  send COUNT datagrams "TAG-i" (from SRC if
                                  not "-", with SO_MARK MARK if not 0), wait
                                  for answers until COUNT came or WAIT s
                                  passed; print "n2:5 n3:1" (the answers by
                                  name) or "none"
  flows DST PORT NFLOWS PER TAG   NFLOWS sockets (source ports), PER
                                  datagrams "TAG-fF-i" each, interleaved
  connected DST PORT TAGA TAGB    one connected socket: 5 datagrams "TAGA-i",
                                  print "sent", read a line from stdin, 5
                                  datagrams "TAGB-i"
"""
import errno, select, socket, sys, time


def fam(a):
    return socket.AF_INET6 if ":" in a else socket.AF_INET


def serve(name, port, reply, *addrs):
    socks = []
    for a in addrs:
        s = socket.socket(fam(a), socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
        s.bind((a, int(port)))
        socks.append(s)
    print("listening", flush=True)
    while True:
        for s in select.select(socks, [], [])[0]:
            data, peer = s.recvfrom(65536)
            print("got %s %s %d %s" % (s.getsockname()[0], peer[0], peer[1],
                                      data.decode(errors="replace")), flush=True)
            if reply == "1":
                s.sendto(name.encode() + b" " + data, peer)


def ask(dst, port, count, tag, src, mark, wait):
    s = socket.socket(fam(dst), socket.SOCK_DGRAM)
    if mark != "0":
        s.setsockopt(socket.SOL_SOCKET, 36, int(mark))  # SO_MARK
    if src != "-":
        s.bind((src, 0))
    try:
        for i in range(int(count)):
            s.sendto(b"%s-%d" % (tag.encode(), i), (dst, int(port)))
            time.sleep(0.05)
    except OSError as e:
        print("error", errno.errorcode.get(e.errno, e.errno))
        return
    names, end = {}, time.monotonic() + float(wait)
    while sum(names.values()) < int(count):
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(65536)
        except (socket.timeout, OSError):
            break
        n = data.split(b" ")[0].decode()
        names[n] = names.get(n, 0) + 1
    print(" ".join("%s:%d" % kv for kv in sorted(names.items())) or "none")


def flows(dst, port, nflows, per, tag):
    socks = []
    for _ in range(int(nflows)):
        s = socket.socket(fam(dst), socket.SOCK_DGRAM)
        s.bind(("", 0))
        socks.append(s)
    for i in range(int(per)):
        for f, s in enumerate(socks):
            s.sendto(b"%s-f%d-%d" % (tag.encode(), f, i), (dst, int(port)))
        time.sleep(0.05)


def connected(dst, port, taga, tagb):
    s = socket.socket(fam(dst), socket.SOCK_DGRAM)
    s.connect((dst, int(port)))
    for tag in taga, tagb:
        for i in range(5):
            s.send(b"%s-%d" % (tag.encode(), i))
            time.sleep(0.05)
        if tag == taga:
            print("sent", flush=True)
            sys.stdin.readline()


if __name__ == "__main__":
    {"serve": serve, "ask": ask, "flows": flows,
     "connected": connected}[sys.argv[1]](*sys.argv[2:])
EOF

# --- The mesh --------------------------------------------------------------

# mesh_up KIND: n1..n4 with devices of link kind KIND, created in ns0.
mesh_up() {
	local i j pk peers
	ip netns add ns0 || return 1
	ip -n ns0 link set lo up
	for i in $NODES; do
		ip netns add n$i || return 1
		ip -n n$i link set lo up
		ip -n ns0 link add wg$i type "$1" || return 1
		ip -n ns0 link set wg$i netns n$i || return 1
		[ -e /tmp/mk$i ] || (umask 077; wg genkey > /tmp/mk$i)
		eval "P$i=\$(wg pubkey < /tmp/mk$i)"
	done
	for i in $NODES; do
		peers=""
		for j in $NODES; do
			[ $j = $i ] && continue
			eval "pk=\$P$j"
			peers="$peers peer $pk allowed-ips 10.0.0.$j/32,fd00::$j/128 endpoint 127.0.0.1:1000$j"
		done
		ip netns exec n$i wg set wg$i private-key /tmp/mk$i listen-port 1000$i $peers || return 1
		ip -n n$i addr add 10.0.0.$i/24 dev wg$i || return 1
		ip -n n$i addr add fd00::$i/64 dev wg$i nodad || return 1
		ip -n n$i link set wg$i up || return 1
	done
}

mesh_down() {
	local i
	for pid in $SERVERS; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	SERVERS=""
	for i in $NODES; do ip netns del n$i 2>/dev/null; done
	ip netns del ns0 2>/dev/null
	ip netns del h1 2>/dev/null
	return 0
}
trap mesh_down EXIT

# The far addresses, on every node but n1.
FAR4="10.99.0.1 10.77.0.1 10.88.0.1"
FAR6="fd99::1 fd77::1"
far_up() {
	local i a
	for i in 2 3 4; do
		for a in $FAR4; do ip -n n$i addr add $a/32 dev lo || return 1; done
		for a in $FAR6; do ip -n n$i addr add $a/128 dev lo nodad || return 1; done
	done
}

# servers_up: on n2..n4 a server answering with the node's name on the far
# addresses and the tunnel addresses; on n1 a silent one on its tunnel
# addresses (for packets that n2..n4 send unasked). Logs in /tmp/srv.nN.
SERVERS=""
servers_up() {
	local i
	for i in 2 3 4; do
		listen_bg /tmp/srv.n$i ip netns exec n$i python3 /tmp/mesh.py serve n$i $PORT 1 \
			$FAR4 $FAR6 10.0.0.$i fd00::$i || return 1
		SERVERS="$SERVERS $LISTEN_PID"
	done
	listen_bg /tmp/srv.n1 ip netns exec n1 python3 /tmp/mesh.py serve n1 $PORT 0 10.0.0.1 fd00::1 || return 1
	SERVERS="$SERVERS $LISTEN_PID"
}

# ask [-n NS] [-s SRC] [-m MARK] [-w WAIT] DST TAG: 5 datagrams from n1 (or
# NS) to DST, print the answers by node ("n2:5") or "none".
ask() {
	local ns=n1 src=- mark=0 wait=$W
	while :; do
		case $1 in
		-n) ns=$2; shift 2;;
		-s) src=$2; shift 2;;
		-m) mark=$2; shift 2;;
		-w) wait=$2; shift 2;;
		*) break;;
		esac
	done
	ip netns exec $ns python3 /tmp/mesh.py ask "$1" $PORT 5 "$2" "$src" "$mark" "$wait"
}

# sendfrom NODE SRC DST TAG: 5 datagrams from NODE, source SRC, to DST (n1's
# server), without waiting for anything.
sendfrom() {
	ip netns exec n$1 python3 /tmp/mesh.py ask "$3" $PORT 5 "$4" "$2" 0 0 > /dev/null
}

# where TAG: how many datagrams tagged TAG each server got: "n2:5 n3:0 n4:0"
# (n1's server too with -1: "n1:5").
where() {
	local i out="" nodes="2 3 4"
	[ "$1" = -1 ] && { nodes=1; shift; }
	for i in $nodes; do out="$out n$i:$(grep -c " $1-[0-9]*\$" /tmp/srv.n$i)"; done
	echo $out
}
where_is() { # where_is [-1] TAG EXPECTED
	if [ "$1" = -1 ]; then [ "$(where -1 "$2")" = "$3" ]; else [ "$(where "$1")" = "$2" ]; fi
}

# arrived NAME TAG EXPECTED: the servers got the datagrams tagged TAG as
# EXPECTED (waiting for the logs a little); prints the logs on failure.
arrived() {
	wait_for 10 where_is "$2" "$3"
	check_eq "$1" "$3" "$(where "$2")"
	[ "$(where "$2")" = "$3" ] || grep -h " $2-" /tmp/srv.n2 /tmp/srv.n3 /tmp/srv.n4 | sed 's/^/    log: /'
}
arrived1() {
	wait_for 10 where_is -1 "$2" "$3"
	check_eq "$1" "$3" "$(where -1 "$2")"
}

# rx_err NS DEV: "ERRORS FRAME_ERRORS" from the device's receive counters.
rx_err() {
	ip -n "$1" -s -s link show "$2" | awk '
		/RX:/ { getline; e = $3 } /RX errors:/ { getline; f = $3 } END { print e, f }'
}
tx_err() { ip -n "$1" -s link show "$2" | awk '/TX:/ { getline; print $3 }'; }
# rxerr_ge N: n1's wg1 has counted at least N rx_errors.
rxerr_ge() { [ "$(rx_err n1 wg1 | cut -d' ' -f1)" -ge "$1" ]; }
# delta "A B" "C D": "C-A D-B"
delta() {
	set -- $1 $2
	echo "$(($3 - $1)) $(($4 - $2))"
}
# peer_bytes NS DEV PUBKEY rx|tx: the peer's byte counter in the dump.
peer_bytes() {
	ip netns exec "$1" wg show "$2" dump |
		awk -v k="$3" -v f="$4" '$1 == k { print (f == "rx" ? $6 : $7) }'
}

# dropped_at_n1 DST TAG: n1 sends 5 datagrams TAG to DST, which it must
# drop as having no peer: its wg1 counts each as a transmit error (the
# positive barrier before the servers' logs are read for their absence).
txerr_is() { [ "$(tx_err n1 wg1)" = "$1" ]; }
dropped_at_n1() {
	local e1
	e1=$(tx_err n1 wg1)
	ip netns exec n1 python3 /tmp/mesh.py ask "$1" $PORT 5 "$2" - 0 0 > /dev/null
	check "$T: ... each of the 5 datagrams $2 dropped at n1 (5 transmit errors)" \
		wait_for 30 txerr_is $((e1 + 5))
}

wgrs1() { ip netns exec n1 wgrs "$@"; }
r1() { ip -n n1 "$@"; }

# --- Up ---------------------------------------------------------------------

load_rs || { result FAIL "$T: module loads"; exit 1; }
command -v wgrs > /dev/null || { result FAIL "$T: the wgrs tool is in the VM"; exit 1; }
mesh_up wireguard-rs || { result FAIL "$T: the mesh (our devices)"; exit 1; }
far_up || { result FAIL "$T: far addresses"; exit 1; }
servers_up || { result FAIL "$T: servers"; exit 1; }

# n1's classes.
r1 route add default via 10.0.0.2 dev wg1
r1 route add default via 10.0.0.3 dev wg1 table 103
r1 rule add fwmark 3 lookup 103
r1 addr add 10.1.0.1/32 dev lo
r1 route add default via 10.0.0.4 dev wg1 table 104
r1 rule add from 10.1.0.1 lookup 104
# n2..n4 answer the source class through the gateway 10.0.0.1 (n1): with
# only 10.0.0.1/32 in their AllowedIPs for n1, they need route-gateway to
# send to 10.1.0.1 and source-check route to accept it.
for i in 2 3 4; do
	ip -n n$i route add 10.1.0.0/24 via 10.0.0.1 dev wg$i
	ip netns exec n$i wgrs set wg$i peer-select route-gateway source-check route ||
		result FAIL "$T: wgrs set on n$i"
done

# Sessions up: n1 to each peer at its tunnel address (on-link routes).
for i in 2 3 4; do
	check "$T: n1 pings n$i at its tunnel address" ip netns exec n1 ping -c 1 -W 10 10.0.0.$i
done

# --- The C driver's behaviour by default ------------------------------------

check_eq "$T: the defaults are the C driver's" \
	"wg1 peer-select allowedips source-check allowedips" "$(wgrs1 show wg1)"
check_eq "$T: wgrs show without a device lists wg1" \
	"wg1 peer-select allowedips source-check allowedips" "$(wgrs1 show)"

# A route via n3 to n4's tunnel address: the destination's peer (n4) still
# gets it, and n4's answer (from 10.0.0.4, its AllowedIPs) arrives.
r1 route add 10.0.0.4/32 via 10.0.0.3 dev wg1
b0=$(peer_bytes n3 wg3 "$P1" rx)
check_eq "$T: allowedips: a route via 10.0.0.3 does not change the peer (n4 answers)" \
	"n4:5" "$(ask 10.0.0.4 dflt-a)"
b1=$(peer_bytes n3 wg3 "$P1" rx)
# (At most a keepalive, 32 bytes; 5 datagrams would be 5 x 80.)
check "$T: allowedips: ... and n3 got none of it ($b0 -> $b1 bytes from n1)" test $((b1 - b0)) -lt 100
# The far address through the default route via n2: no AllowedIPs match
# for the destination, so no peer: ICMP unreachable and a transmit error.
e0=$(tx_err n1 wg1)
check_eq "$T: allowedips: a destination routed via a peer but in no AllowedIPs is unreachable" \
	EHOSTUNREACH "$(ip netns exec n1 xfer.py icmp-error 10.99.0.1)"
check "$T: allowedips: ... counted as a transmit error" test "$(tx_err n1 wg1)" -gt "$e0"
dropped_at_n1 10.99.0.1 dflt-b
arrived "$T: allowedips: ... and no peer got it" dflt-b "n2:0 n3:0 n4:0"

# --- peer-select route-gateway ----------------------------------------------

check "$T: wgrs set peer-select route-gateway" wgrs1 set wg1 peer-select route-gateway
check_eq "$T: wgrs show shows it" \
	"wg1 peer-select route-gateway source-check allowedips" "$(wgrs1 show wg1)"

# The route via n3 to 10.0.0.4 now sends it to n3 (which has no such
# address: counted by n3 as received from n1, answered by nobody).
# n3 counting all 5 (80 bytes each) is the barrier before the absence.
b0=$(peer_bytes n3 wg3 "$P1" rx)
ip netns exec n1 python3 /tmp/mesh.py ask 10.0.0.4 $PORT 5 rg-a - 0 0 > /dev/null
n3_rx_ge() { [ "$(peer_bytes n3 wg3 "$P1" rx)" -ge "$1" ]; }
check "$T: route-gateway: a route via 10.0.0.3 to n4's address: n3 received all 5 from n1" \
	wait_for 30 n3_rx_ge $((b0 + 400))
echo "    (n3's rx bytes from n1: $b0 -> $(peer_bytes n3 wg3 "$P1" rx))"
arrived "$T: route-gateway: ... and n4 gets nothing" rg-a "n2:0 n3:0 n4:0"
r1 route del 10.0.0.4/32
# On-link (no gateway): the destination decides, as before.
check_eq "$T: route-gateway: on-link, the destination's peer answers" "n4:5" "$(ask 10.0.0.4 rg-b)"

# A gateway that is no peer's: dropped as a packet with no peer, even
# though the destination (n4's address) has one.
r1 route add 10.0.0.4/32 via 10.0.0.9 dev wg1
e0=$(tx_err n1 wg1)
check_eq "$T: route-gateway: a gateway in no AllowedIPs: unreachable (ICMP)" \
	EHOSTUNREACH "$(ip netns exec n1 xfer.py icmp-error 10.0.0.4)"
check "$T: route-gateway: ... counted as a transmit error" test "$(tx_err n1 wg1)" -gt "$e0"
dropped_at_n1 10.0.0.4 rg-c
arrived "$T: route-gateway: ... and not sent to the destination's peer instead" rg-c "n2:0 n3:0 n4:0"
r1 route del 10.0.0.4/32

# The three classes, with source-check off: each leaves through its
# route's peer, and each answer arrives.
check "$T: wgrs set source-check off" wgrs1 set wg1 source-check off
check_eq "$T: wgrs show shows both" \
	"wg1 peer-select route-gateway source-check off" "$(wgrs1 show wg1)"
class() { # class PEER ASK-ARGS...: ask; prints the answers, and a complaint
	# if n1 did not send that peer 5 datagrams' worth of bytes.
	local tx0 tx1 pk
	eval "pk=\$P$1"
	tx0=$(peer_bytes n1 wg1 "$pk" tx)
	shift
	ask "$@"
	tx1=$(peer_bytes n1 wg1 "$pk" tx)
	[ $((tx1 - tx0)) -ge 240 ] || echo "(n1 sent only $((tx1 - tx0)) bytes to that peer)"
}
check_eq "$T: off: the default class goes via n2 and its answers arrive" \
	"n2:5" "$(class 2 10.99.0.1 off-def)"
arrived "$T: off: ... only n2 got it" off-def "n2:5 n3:0 n4:0"
check_eq "$T: off: the fwmark class goes via n3 and its answers arrive" \
	"n3:5" "$(class 3 -m 3 10.99.0.1 off-mark)"
arrived "$T: off: ... only n3 got it" off-mark "n2:0 n3:5 n4:0"
check_eq "$T: off: the source class goes via n4 and its answers arrive" \
	"n4:5" "$(class 4 -s 10.1.0.1 10.99.0.1 off-src)"
arrived "$T: off: ... only n4 got it" off-src "n2:0 n3:0 n4:5"

# source-check route: the route back to 10.99.0.1 (from 10.0.0.1, mark 0)
# is via n2, from 10.1.0.1 via n4 (the source rule); so n3's answers to the
# fwmark class look spoofed and are refused.
check "$T: wgrs set source-check route" wgrs1 set wg1 source-check route
check_eq "$T: wgrs show shows it" \
	"wg1 peer-select route-gateway source-check route" "$(wgrs1 show wg1)"
check_eq "$T: route: the default class's answers arrive" "n2:5" "$(ask 10.99.0.1 rt-def)"
check_eq "$T: route: the source class's answers arrive" "n4:5" "$(ask -s 10.1.0.1 10.99.0.1 rt-src)"
e0=$(rx_err n1 wg1)
check_eq "$T: route: the fwmark class's answers are refused (the documented limit)" \
	"none" "$(ask -m 3 10.99.0.1 rt-mark)"
arrived "$T: route: ... though n3 got the requests (and answered)" rt-mark "n2:0 n3:5 n4:0"
check_eq "$T: route: ... counted as 5 rx_errors and 5 rx_frame_errors" "5 5" "$(delta "$e0" "$(rx_err n1 wg1)")"

# source-check allowedips (the C driver's): 10.99.0.1 is in no AllowedIPs,
# so every answer is refused and counted.
check "$T: wgrs set source-check allowedips" wgrs1 set wg1 source-check allowedips
for c in "def 2 -" "mark 3 -m 3" "src 4 -s 10.1.0.1"; do
	set -- $c
	name=$1 node=$2
	shift 2
	[ "$1" = - ] && shift
	e0=$(rx_err n1 wg1)
	check_eq "$T: allowedips: the $name class's answers (from n$node) are refused" \
		"none" "$(ask "$@" 10.99.0.1 ai-$name)"
	got=$(grep -c " ai-$name-" /tmp/srv.n$node)
	check_eq "$T: allowedips: ... n$node answered 5" 5 "$got"
	check_eq "$T: allowedips: ... counted as $got rx_errors and rx_frame_errors" \
		"$got $got" "$(delta "$e0" "$(rx_err n1 wg1)")"
done

# --- source-check route: which sources it refuses ----------------------------
# n3 sends to n1's (silent) server from sources on its lo; n1 routes them.

wgrs1 set wg1 source-check route
ip -n n3 addr add 10.55.0.3/32 dev lo
ip -n n3 addr add 10.66.0.3/32 dev lo
ip -n n3 addr add 10.0.0.2/32 dev lo
ip -n n3 addr add fd55::3/128 dev lo nodad
ip link add dummy0 netns n1 type dummy
r1 link set dummy0 up
# accepted NAME SRC TAG [v6]: n3's datagrams from SRC reach n1 uncounted.
accepted() {
	local e0 dst=10.0.0.1
	[ "${4:-}" = v6 ] && dst=fd00::1
	e0=$(rx_err n1 wg1)
	sendfrom ${FROM:-3} "$2" $dst "$3"
	arrived1 "$T: route: $1: accepted" "$3" "n1:5"
	check_eq "$T: route: $1: ... nothing counted" "0 0" "$(delta "$e0" "$(rx_err n1 wg1)")"
}
# refused NAME SRC TAG [v6]: refused, and each counted.
refused() {
	local e0 dst=10.0.0.1
	[ "${4:-}" = v6 ] && dst=fd00::1
	e0=$(rx_err n1 wg1)
	sendfrom ${FROM:-3} "$2" $dst "$3"
	wait_for 10 rxerr_ge $((${e0% *} + 5))
	check_eq "$T: route: $1: refused, 5 counted" "5 5" "$(delta "$e0" "$(rx_err n1 wg1)")"
	check_eq "$T: route: $1: ... and not delivered" "n1:0" "$(where -1 "$3")"
}
r1 route add 10.55.0.0/24 via 10.0.0.3 dev wg1
accepted "a source routed via the sending peer" 10.55.0.3 sc-a
r1 route replace 10.55.0.0/24 via 10.0.0.2 dev wg1
refused "a source routed via another peer" 10.55.0.3 sc-b
accepted "an on-link source in the sending peer's AllowedIPs" 10.0.0.3 sc-c
refused "an on-link source in another peer's AllowedIPs" 10.0.0.2 sc-d
r1 route add 10.66.0.0/24 dev wg1
refused "an on-link source in no AllowedIPs" 10.66.0.3 sc-e
r1 route replace 10.66.0.0/24 dev dummy0
refused "a source routed through another device" 10.66.0.3 sc-f
r1 route replace unreachable 10.66.0.0/24
refused "a source with an unreachable route" 10.66.0.3 sc-g
r1 route del 10.66.0.0/24
r1 route del default
check_eq "$T: route: (n1 has no route to 10.66.0.3 now)" "" \
	"$(r1 route get 10.66.0.3 from 10.0.0.1 2>/dev/null)"
refused "a source with no route at all" 10.66.0.3 sc-h
r1 route add default via 10.0.0.2 dev wg1
r1 -6 route add fd55::/64 via fd00::3 dev wg1
accepted "an IPv6 source routed via the sending peer" fd55::3 sc-i v6
r1 -6 route replace fd55::/64 via fd00::2 dev wg1
refused "an IPv6 source routed via another peer" fd55::3 sc-j v6
ip -n n3 addr del 10.0.0.2/32 dev lo
# A multipath route back: a source routed over two nexthops is accepted from
# the peer of either (n2 and n3 both send from the same address).
ip -n n2 addr add 10.56.0.5/32 dev lo
ip -n n3 addr add 10.56.0.5/32 dev lo
ip -n n2 addr add fd56::5/128 dev lo nodad
ip -n n3 addr add fd56::5/128 dev lo nodad
ip -n n4 addr add fd56::5/128 dev lo nodad
r1 route add 10.56.0.0/24 nexthop via 10.0.0.2 dev wg1 nexthop via 10.0.0.3 dev wg1
r1 -6 route add fd56::/64 nexthop via fd00::2 dev wg1 nexthop via fd00::3 dev wg1
FROM=2 accepted "a source routed over two nexthops, from the first's peer (n2)" 10.56.0.5 sc-k
FROM=3 accepted "... and from the second's (n3)" 10.56.0.5 sc-l
# (n1 talks to both gateways first: without neighbour entries for them,
# IPv6 route lookups take turns between the nexthops, CONFIG_IPV6_ROUTER_PREF
# being off; with them, the multipath hash picks one.)
ip netns exec n1 ping -c 1 -W 5 fd00::2 > /dev/null
ip netns exec n1 ping -c 1 -W 5 fd00::3 > /dev/null
FROM=2 accepted "an IPv6 source routed over two nexthops, from the first's peer (n2)" fd56::5 sc-m v6
FROM=3 accepted "... and from the second's (n3)" fd56::5 sc-n v6
FROM=4 refused "... but not from a third peer (n4)" fd56::5 sc-o v6

# --- Forwarded traffic: n1 as the router of a host h1 ------------------------
# h1 (192.168.1.2 and 192.168.3.2 on a veth to n1) sends to 10.99.0.1; n1
# forwards by its rules: from 192.168.1.0/24 via n4 (table 104), the rest
# via n2 (main); with source-check route the answers come back to h1.
ip netns add h1
ip -n h1 link set lo up
ip -n n1 link add vh1 type veth peer name eth0 netns h1
r1 addr add 192.168.1.1/24 dev vh1
r1 addr add 192.168.3.1/24 dev vh1
r1 link set vh1 up
ip -n h1 addr add 192.168.1.2/24 dev eth0
ip -n h1 addr add 192.168.3.2/24 dev eth0
ip -n h1 link set eth0 up
ip -n h1 route add default via 192.168.1.1
ip netns exec n1 sysctl -qw net.ipv4.ip_forward=1
r1 rule add from 192.168.1.0/24 lookup 104
for i in 2 3 4; do ip -n n$i route add 192.168.0.0/16 via 10.0.0.1 dev wg$i; done
wgrs1 set wg1 source-check route
check_eq "$T: forwarded: from 192.168.1.2 via n4 (source rule), answered" \
	"n4:5" "$(ask -n h1 -s 192.168.1.2 10.99.0.1 fw-a)"
arrived "$T: forwarded: ... only n4 got it" fw-a "n2:0 n3:0 n4:5"
check_eq "$T: forwarded: from 192.168.3.2 via n2 (default route), answered" \
	"n2:5" "$(ask -n h1 -s 192.168.3.2 10.99.0.1 fw-b)"
arrived "$T: forwarded: ... only n2 got it" fw-b "n2:5 n3:0 n4:0"
ip netns del h1

# --- Gateways of the other family, IPv6, multipath ---------------------------

wgrs1 set wg1 source-check off
r1 route add 10.77.0.0/24 via inet6 fd00::3 dev wg1
check_eq "$T: an IPv4 route via an IPv6 gateway (fd00::3) selects n3" "n3:5" "$(ask 10.77.0.1 v4v6-a)"
arrived "$T: ... only n3 got it" v4v6-a "n2:0 n3:5 n4:0"
r1 route replace 10.77.0.0/24 via inet6 fd00::4 dev wg1
check_eq "$T: ... replaced via fd00::4, n4" "n4:5" "$(ask 10.77.0.1 v4v6-b)"
arrived "$T: ... only n4 got it" v4v6-b "n2:0 n3:0 n4:5"

# conn_moves NAME DST TAG EXPECT-BEFORE EXPECT-AFTER ROUTE-REPLACE-ARGS...: a
# connected socket's datagrams follow the route replaced between two sends.
conn_moves() {
	local name=$1 dst=$2 tag=$3 before=$4 after=$5 pid
	shift 5
	rm -f /tmp/fifo
	mkfifo /tmp/fifo
	ip netns exec n1 python3 /tmp/mesh.py connected $dst $PORT $tag-a $tag-b < /tmp/fifo > /tmp/conn.out 2>&1 &
	pid=$!
	exec 3> /tmp/fifo
	wait_for 30 grep -q sent /tmp/conn.out
	arrived "$T: $name: a connected socket's datagrams" $tag-a "$before"
	r1 route replace "$@"
	echo go >&3
	exec 3>&-
	wait $pid
	arrived "$T: $name: ... follow the route replaced under it" $tag-b "$after"
}
conn_moves "IPv4 via IPv6" 10.77.0.1 c4 "n2:0 n3:0 n4:5" "n2:0 n3:5 n4:0" \
	10.77.0.0/24 via inet6 fd00::3 dev wg1

r1 -6 route add fd77::/64 via fd00::4 dev wg1
check_eq "$T: an IPv6 route via fd00::4 selects n4" "n4:5" "$(ask fd77::1 v6-a)"
arrived "$T: ... only n4 got it" v6-a "n2:0 n3:0 n4:5"
r1 -6 route replace fd77::/64 via fd00::2 dev wg1
check_eq "$T: ... replaced via fd00::2, n2" "n2:5" "$(ask fd77::1 v6-b)"
arrived "$T: ... only n2 got it" v6-b "n2:5 n3:0 n4:0"
conn_moves "IPv6" fd77::1 c6 "n2:5 n3:0 n4:0" "n2:0 n3:0 n4:5" \
	fd77::/64 via fd00::4 dev wg1
r1 -6 route add default via fd00::3 dev wg1
check_eq "$T: an IPv6 default route via fd00::3 selects n3" "n3:5" "$(ask fd99::1 v6-c)"
arrived "$T: ... only n3 got it" v6-c "n2:0 n3:5 n4:0"

# Multipath: 32 UDP flows (source ports) of 4 datagrams each, hashed on L4
# over two nexthops: both peers get flows, and every flow's datagrams all
# reach one peer.
ip netns exec n1 sysctl -qw net.ipv4.fib_multipath_hash_policy=1
r1 route add 10.88.0.0/24 nexthop via 10.0.0.2 dev wg1 nexthop via 10.0.0.3 dev wg1
ip netns exec n1 python3 /tmp/mesh.py flows 10.88.0.1 $PORT 32 4 mp
# Per flow and node: "COUNT nN F".
mp_table() {
	for i in 2 3 4; do
		sed -n "s/^got 10\.88\.0\.1 .* mp-f\([0-9]*\)-[0-9]*\$/n$i \1/p" /tmp/srv.n$i
	done | sort | uniq -c
}
mp_all() { [ "$(mp_table | awk '{ s += $1 } END { print s + 0 }')" = 128 ]; }
wait_for 10 mp_all
mp_table > /tmp/mp.txt
check_eq "$T: multipath: all 128 datagrams arrived" 128 "$(awk '{ s += $1 } END { print s + 0 }' /tmp/mp.txt)"
check_eq "$T: multipath: each of the 32 flows reached one peer only, all 4 of its datagrams" \
	"32 32" "$(awk '$1 == 4 { n++ } END { print n + 0 }' /tmp/mp.txt) $(awk '{ print $3 }' /tmp/mp.txt | sort -u | wc -l)"
check "$T: multipath: flows via n2 ($(grep -c ' n2 ' /tmp/mp.txt)) and via n3 ($(grep -c ' n3 ' /tmp/mp.txt)), none to n4" \
	sh -c "grep -q ' n2 ' /tmp/mp.txt && grep -q ' n3 ' /tmp/mp.txt && ! grep -q ' n4 ' /tmp/mp.txt"
check_eq "$T: multipath: ... the route is really multipath" 2 "$(r1 route show 10.88.0.0/24 | grep -c nexthop)"
[ "$(awk '$1 != 4' /tmp/mp.txt)" = "" ] || sed 's/^/    /' /tmp/mp.txt

# --- The same refused packet, counted by the C driver ------------------------
# n3 sends from 10.99.0.1 (in no AllowedIPs) to n1, with source-check
# allowedips: n1 refuses each; the counts (device rx_errors and
# rx_frame_errors, the peer's rx bytes) must be the C driver's.
spoof_counts() { # spoof_counts KIND: prints "ERR FRAME PEER_RX" deltas
	local e0 b0
	ip netns exec n1 ping -c 1 -W 10 10.0.0.3 > /dev/null || echo "(no session)"
	e0=$(rx_err n1 wg1) b0=$(peer_bytes n1 wg1 "$P3" rx)
	sendfrom 3 10.99.0.1 10.0.0.1 spoof-$1
	wait_for 10 rxerr_ge $((${e0% *} + 5))
	echo "$(delta "$e0" "$(rx_err n1 wg1)") $(($(peer_bytes n1 wg1 "$P3" rx) - b0))"
}
wgrs1 set wg1 peer-select allowedips source-check allowedips
ours=$(spoof_counts rs)
check_eq "$T: a source in no AllowedIPs: 5 refused and counted (ours)" "5 5" "${ours% *}"
check_eq "$T: ... not counted as received from n3 (ours)" 0 "${ours##* }"
check_eq "$T: ... and not delivered (ours)" "n1:0" "$(where -1 spoof-rs)"
mesh_down
rmmod wireguard_rs
# The C driver's side runs on the normal kernel only (c_compare).
if ! c_compare; then
	no_c_note "$T"
	exit 0
fi
load_c || { result FAIL "$T: the C driver loads"; exit 1; }
mesh_up wireguard || { result FAIL "$T: the mesh (C driver's devices)"; exit 1; }
far_up || { result FAIL "$T: far addresses (C driver)"; exit 1; }
servers_up || { result FAIL "$T: servers (C driver)"; exit 1; }
theirs=$(spoof_counts c)
echo "    refused from 10.99.0.1 (rx_errors rx_frame_errors peer-rx-bytes): ours $ours, C driver $theirs"
check_eq "$T: ... the C driver counts the same (rx_errors rx_frame_errors peer-rx-bytes)" "$theirs" "$ours"
check_eq "$T: ... and delivers none either" "n1:0" "$(where -1 spoof-c)"
mesh_down
rmmod wireguard

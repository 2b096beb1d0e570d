#!/bin/sh
# A tunnel between two wireguard-rs devices (the topology of the kernel's
# netns.sh, see tunnel.inc): one handshake and exact byte counters, pings
# and TCP and UDP transfers over IPv4 and IPv6, fragments, the handshake
# time, a roaming peer, persistent keepalives, fwmark on the outer
# packets, and a device moved to another namespace.
. /tests/lib.sh
. /tests/tunnel.inc
load_rs || { result FAIL "tunnel: module loads"; exit 1; }
tunnel_up wireguard-rs || { result FAIL "tunnel: topology"; exit 1; }

# One ping from a cold start: one handshake, one packet each way. Sizes
# on the wire: initiation 148, response 92, an 84-byte ICMP packet padded
# to 96 plus 32 bytes of header and tag.
t0=$(date +%s)
check "tunnel: first ping over IPv4 (with the handshake)" $n1 ping -c 1 -W 10 192.168.241.2
check_eq "tunnel: initiator sent an initiation and one data packet" 276 "$(peer_field ns1 wg1 7)"
check_eq "tunnel: initiator received a response and one data packet" 220 "$(peer_field ns1 wg1 6)"
check_eq "tunnel: responder sent a response and one data packet" 220 "$(peer_field ns2 wg2 7)"
check_eq "tunnel: responder received an initiation and one data packet" 276 "$(peer_field ns2 wg2 6)"
hs=$(peer_field ns1 wg1 5)
check "tunnel: latest handshake is now (within 60 s of the wall clock)" \
	test "$hs" -ge $((t0 - 60)) -a "$hs" -le $(($(date +%s) + 60))
check "tunnel: both sides saw the same handshake" test "$(peer_field ns2 wg2 5)" -ge $((hs - 2))
check_eq "tunnel: device rx counter (tstats)" 1 \
	"$(ip -n ns1 -s link show wg1 | awk '/RX:/ { getline; print ($2 >= 1) }')"

check "tunnel: ping over IPv6" $n1 ping -c 3 -W 5 fd00::2
check "tunnel: ping the other way over IPv4" $n2 ping -c 3 -W 5 192.168.241.1
check "tunnel: ping the other way over IPv6" $n2 ping -c 3 -W 5 fd00::1
check "tunnel: a 3000-byte ping crosses as IP fragments" $n1 ping -c 2 -W 5 -s 3000 192.168.241.2
check "tunnel: a 3000-byte ping over IPv6" $n1 ping -c 2 -W 5 -s 3000 fd00::2

# TCP: 4 MiB each way (1 MiB on the slower debug kernel), compared by hash.
size=4194304
[ "${WGRS_FLAVOR:-}" = debug ] && size=1048576
tcp() { # tcp NS_FROM NS_TO ADDR
	listen_bg /tmp/tcp.recv ip netns exec "$2" xfer.py tcp-recv 5001 ||
		{ kill $LISTEN_PID 2>/dev/null; wait; return 1; }
	sent=$(ip netns exec "$1" xfer.py tcp-send "$3" 5001 $size 7)
	wait
	got=$(sed -n "s/^bytes $size sha256 //p" /tmp/tcp.recv)
	[ -n "$got" ] && [ "sha256 $got" = "$sent" ] || { cat /tmp/tcp.recv; echo "$sent"; return 1; }
}
# Counters around the first transfer: ns0's loopback carries the outer
# datagrams both ways, the devices count the tunnel's packets.
lo_tx() { ip -n ns0 -s link show lo | awk '/TX:/ { getline; print $2 }'; }
# udp_in: the datagrams ns0's UDP sockets (the two devices') took in, one
# per segment of a GSO packet.
udp_in() { ip netns exec ns0 awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $2 }' /proc/net/snmp; }
dev_stats() { # RX bytes, RX packets, TX bytes, TX packets
	ip -n "$1" -s link show "$2" | awk '/RX:/ { getline; r = $1 " " $2 } /TX:/ { getline; print r, $1, $2 }'
}
# drops NS DEV: the device's rx_dropped tx_dropped rx_errors tx_errors.
drops() {
	ip netns exec "$1" sh -c "cd /sys/class/net/$2/statistics && cat rx_dropped tx_dropped rx_errors tx_errors" | tr '\n' ' '
}
counters() {
	echo "$(lo_tx) $(dev_stats ns1 wg1) $(dev_stats ns2 wg2) $(peer_field ns1 wg1 7) $(peer_field ns2 wg2 7) $(udp_in)"
}
before=$(counters) drops0="$(drops ns1 wg1)$(drops ns2 wg2)"
check "tunnel: TCP over IPv4" tcp ns1 ns2 192.168.241.2
# A barrier: the request leaves wg1 after everything wg1 sent before it, the
# reply wg2 after everything wg2 sent, and each peer's packets are handled
# in order; once the reply is in, nothing of the transfer is on its way.
check "tunnel: a ping after the transfer (the counters' barrier)" $n1 ping -c 1 -W 5 192.168.241.2
after=$(counters) drops1="$(drops ns1 wg1)$(drops ns2 wg2)"
set -- $before $after
lo=$((${13} - ${1}))
tx1=$((${16} - ${4})) txp1=$((${17} - ${5})) rx2=$((${18} - ${6})) rxp2=$((${19} - ${7}))
tx2=$((${20} - ${8})) txp2=$((${21} - ${9})) rx1=$((${14} - ${2})) rxp1=$((${15} - ${3}))
peer1=$((${22} - ${10})) peer2=$((${23} - ${11})) udp=$((${24} - ${12})) u0=${12}
echo "outer datagrams $lo (segments received $udp); sent $txp1 and $txp2, received $rxp2 and $rxp1 packets"
# Runs of encrypted packets leave as one UDP GSO datagram each and are
# segmented again by the receiving socket: the loopback carries far fewer
# datagrams than the tunnel carries packets (one each without GSO).
check "tunnel: UDP GSO: fewer outer datagrams than tunnel packets ($lo for $txp1 + $txp2)" \
	test $((lo * 4)) -lt $(((txp1 + txp2) * 3))
# Yet the device counts every packet, whole, as the C driver counts the
# ones it sends alone: its bytes are the peer's, and each packet one side
# counts as sent is one the receiving sockets took in and the other side
# counts as received, once (nothing is lost on loopback, nothing dropped).
check_eq "tunnel: the device counts the bytes of each GSO segment (wg1)" "$peer1" "$tx1"
check_eq "tunnel: ... and wg2" "$peer2" "$tx2"
# (The sockets' count is raised once the device's receive function has
# returned, which on the debug kernel was seen to lag behind the devices'
# own counts: it is waited for, and must then be exact. Read after the
# devices, it is taken as it was then when it was exact already: a later
# keepalive or handshake moves it on, and a wait for exactly N then never
# ended (CI on the debug kernel: 965 read, 965 sent, FAIL).)
udp_is() { [ $(($(udp_in) - u0)) = "$1" ]; }
udp_reached() { [ "$udp" = "$1" ] || wait_for 10 udp_is "$1"; }
check "tunnel: the sockets took in one datagram per packet sent ($((txp1 + txp2)); $udp when the devices were read)" \
	udp_reached $((txp1 + txp2))
check_eq "tunnel: what wg1 counts as sent, wg2 counts as received (packets bytes)" \
	"$txp1 $tx1" "$rxp2 $rx2"
check_eq "tunnel: ... and the other way" "$txp2 $tx2" "$rxp1 $rx1"
check "tunnel: ... and that is the transfer ($rxp2 and $rxp1 packets; $size bytes take at least $((size / 1448)) one way)" \
	test "$rxp2" -ge $((size / 1448)) -a "$rxp1" -gt 0
check_eq "tunnel: no drops or errors (rx/tx dropped, rx/tx errors of wg1 and wg2)" "$drops0" "$drops1"
check "tunnel: TCP back over IPv6" tcp ns2 ns1 fd00::1

# UDP: 500 datagrams of 1000 bytes, into a receive buffer that holds them
# all: every one arrives, none corrupted, none overtaken by a later one, and
# neither device drops anything (CoDel, the staged queue) or counts an error.
udp() { # udp NS_FROM NS_TO ADDR [mixed]
	d0="$(drops ns1 wg1)$(drops ns2 wg2)"
	listen_bg /tmp/udp.recv ip netns exec "$2" xfer.py udp-recv 5002 500 60 ||
		{ kill $LISTEN_PID 2>/dev/null; wait; return 1; }
	ip netns exec "$1" xfer.py udp-send "$3" 5002 500 1000 ${4:-}
	wait
	d1="$(drops ns1 wg1)$(drops ns2 wg2)"
	set -- $(sed -n 's/^datagrams //p' /tmp/udp.recv)
	cat /tmp/udp.recv
	echo "drops and errors of wg1 and wg2: before $d0, after $d1"
	[ "${1:-0}" = 500 ] && [ "${3:-1}" = 0 ] && [ "${5:-1}" = 0 ] && [ "$d0" = "$d1" ]
}
check "tunnel: UDP 500 x 1000 bytes over IPv4" udp ns1 ns2 192.168.241.2
check "tunnel: UDP 500 x 1000 bytes over IPv6" udp ns2 ns1 fd00::1
# Small packets that come sparsely are encrypted and decrypted by whoever
# sends or receives them, the rest by the workers: mixed, in bursts after
# pauses, with large ones between, they still arrive in the order sent.
check "tunnel: small and large datagrams, sparse and in bursts, stay in order" \
	udp ns1 ns2 192.168.241.2 mixed
check "tunnel: ... the other way" udp ns2 ns1 192.168.241.1 mixed

# Roaming: wg1 moves to another port; wg2 learns it from the next
# authenticated packet.
$n1 wg set wg1 listen-port 10011
$n1 ping -c 1 -W 5 192.168.241.2 > /dev/null
check_eq "tunnel: the peer's endpoint follows it to its new port" "127.0.0.1:10011" "$(peer_field ns2 wg2 3)"
check "tunnel: traffic flows after roaming" $n2 ping -c 1 -W 5 192.168.241.1

# No peer for a destination: ICMP "unreachable" back to the sender, and
# a transmit error counted.
tx_errors() { ip -n ns1 -s link show wg1 | awk '/TX:/ { getline; print $3 }'; }
errs=$(tx_errors)
check_eq "tunnel: a destination without a peer is unreachable (ICMP)" EHOSTUNREACH \
	"$($n1 xfer.py icmp-error 192.168.241.99)"
check_eq "tunnel: ... IPv6 too" EHOSTUNREACH "$($n1 xfer.py icmp-error fd00::99 2>&1 | tail -n 1)"
check "tunnel: ... counted as transmit errors" \
	test "$(tx_errors)" -gt "$errs"

# Persistent keepalive: one keepalive (32 bytes) a second. A keepalive
# sent once the session is past REKEY_AFTER_TIME starts a handshake too
# (on the debug kernel under load the script gets there later; a cold
# make check saw "+340 bytes"): its initiation, 148 bytes, 20 more than a
# multiple of 32, then arrives among them.
before=$(peer_field ns2 wg2 6)
$n1 wg set wg1 peer "$P2" persistent-keepalive 1
sleep 4
after=$(peer_field ns2 wg2 6)
$n1 wg set wg1 peer "$P2" persistent-keepalive 0
ka=$((after - before)) hs=""
[ $((ka % 32)) != 20 ] || { ka=$((ka - 148)) hs=", one handshake initiation among them"; }
check "tunnel: persistent keepalives arrive (+$((after - before)) bytes in 4 s$hs)" \
	test $ka -ge 96 -a $((ka % 32)) = 0

# fwmark: outer packets carry the device's mark. With a rule in ns0 that
# prohibits marked packets, a marked device cannot reach its peer; without
# the mark it can again.
ip -n ns0 rule add pref 10 fwmark 0x1234 prohibit
ip -n ns0 rule del pref 0 lookup local
ip -n ns0 rule add pref 100 lookup local
$n1 wg set wg1 fwmark 0x1234
check_fails "tunnel: marked outer packets meet the rule (no reply)" $n1 ping -c 2 -W 3 192.168.241.2
check_eq "tunnel: the mark shows in the dump" "0x1234" "$($n1 wg show wg1 fwmark)"
$n1 wg set wg1 fwmark 0
check "tunnel: unmarked again, the tunnel works" $n1 ping -c 2 -W 5 192.168.241.2

# IPv6 outer packets: both endpoints on ::1.
$n1 wg set wg1 peer "$P2" endpoint "[::1]:10002"
$n2 wg set wg2 peer "$P1" endpoint "[::1]:10011"
check "tunnel: ping with IPv6 outer packets" $n1 ping -c 2 -W 5 192.168.241.2
check "tunnel: ... and back" $n2 ping -c 2 -W 5 fd00::1
check_eq "tunnel: the endpoints are IPv6" "[::1]:10002 [::1]:10011" "$(peer_field ns1 wg1 3) $(peer_field ns2 wg2 3)"
check "tunnel: TCP with IPv6 outer packets" tcp ns1 ns2 192.168.241.2

# A device moved to another namespace keeps its sockets (in ns0) and works.
ip netns add ns3
ip -n ns1 link set wg1 netns ns3
ip -n ns3 addr add 192.168.241.1/24 dev wg1
ip -n ns3 link set wg1 up
check "tunnel: after moving wg1 to ns3, ns3 reaches the peer" ip netns exec ns3 ping -c 2 -W 5 192.168.241.2
check "tunnel: and the peer reaches ns3" $n2 ping -c 2 -W 5 192.168.241.1
ip netns del ns3
tunnel_down

#!/bin/sh
# Where the instructions go, our driver and the C driver in the same boot
# and the topology of 30-tunnel.sh: the host's QEMU counts every guest
# instruction by translation block (selftests/tools/insn_count.c) and
# writes the counts out at each checkpoint, the sync system call here;
# selftests/tools/insn_report.py then names the blocks' functions and
# divides by the work done. Workloads: one TCP stream (per MB received),
# 64-byte UDP (per datagram received), UDP round trips one at a time (per
# round trip) and handshake initiations answered (per handshake).
#
# The protocol with the host (results log): "WGRS-KSYM ADDR NAME" lines
# give the loaded module's symbols; "WGRS-INSN-MARK N LABEL UNITS UNIT
# SENT1 SENT2" precedes the Nth sync, whose counts cover what ran since the
# previous one (LABEL "-" for a stretch nobody reads), in which wg1 and wg2
# sent SENT1 and SENT2 packets. Figures only: the script
# passes if every workload did some work.
. /tests/lib.sh
. /tests/tunnel.inc

marks=0
tx_packets() { ip -n "$1" -s link show "$2" 2>/dev/null | awk '/TX:/ { getline; print $2 + 0 }'; }
mark() { # mark LABEL UNITS UNIT: close the stretch since the last mark
	# (with the packets each device sent in it)
	t1=$(tx_packets ns1 wg1) t2=$(tx_packets ns2 wg2)
	echo "WGRS-INSN-MARK $marks $1 $2 $3 $((t1 - ${p1:-0})) $((t2 - ${p2:-0}))"
	p1=$t1 p2=$t2
	marks=$((marks + 1))
	sync
}
ksyms() { # the symbols of module $1, for the host to name addresses
	awk -v m="[$1]" '$4 == m && $2 ~ /^[tT]$/ { print "WGRS-KSYM", $1, $3 }' /proc/kallsyms
}
echo 0 > /proc/sys/kernel/kptr_restrict
head -n 1 /bench/inits.txt > /tmp/hs.key

# Each driver twice, in ABBA order (ours, C, C, ours): what drifts during
# a boot weighs on both alike, and the two passes show the spread.
pass=0
for drv in rs c c rs; do
	pass=$((pass + 1))
	if [ $drv = rs ]; then load_rs; kind=wireguard-rs; mod=wireguard_rs
	else load_c; kind=wireguard; mod=wireguard; fi
	tunnel_up $kind && $n1 ping -c 1 -W 10 192.168.241.2 > /dev/null
	p1=$(tx_packets ns1 wg1) p2=$(tx_packets ns2 wg2)
	ksyms $mod

	$n2 iperf3 -s -1 -p 5201 > /tmp/tcp.srv 2>&1 &
	sleep 0.5
	mark - 0 -
	$n1 iperf3 -c 192.168.241.2 -p 5201 -t 4 -f m > /tmp/tcp.out 2>&1
	mb=$(awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "MBytes") v = $i } END { print v + 0 }' /tmp/tcp.out)
	mark $drv-tcp "$mb" MB
	wait
	check "bench: insn profile: TCP moved data ($drv, pass $pass)" awk -v v="$mb" 'BEGIN { exit !(v > 0) }'

	$n2 iperf3 -s -1 -p 5202 > /dev/null 2>&1 &
	sleep 0.5
	mark - 0 -
	$n1 iperf3 -c 192.168.241.2 -p 5202 -u -l 64 -b 0 -t 4 > /tmp/udp.out 2>&1
	n=$(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); v = a[2] - a[1] } } END { print v + 0 }' /tmp/udp.out)
	mark $drv-udp64 "$n" datagram
	wait
	check "bench: insn profile: UDP datagrams arrived ($drv, pass $pass)" test "$n" -gt 0

	listen_bg /tmp/echo.out $n2 xfer.py udp-echo 5203 500 > /dev/null
	mark - 0 -
	rtt=$($n1 xfer.py udp-rtt 192.168.241.2 5203 500)
	mark $drv-rtt 500 round-trip
	wait
	check "bench: insn profile: round trips answered ($drv, pass $pass: $rtt)" test "$(echo "$rtt" | awk '{ print $4 }')" = 0

	ip netns exec ns2 wg set wg2 private-key /tmp/hs.key
	awk 'NR > 1 { print "[Peer]\nPublicKey = " $1 }' /bench/inits.txt > /tmp/hs.conf
	ip netns exec ns2 wg addconf wg2 /tmp/hs.conf
	ip -n ns0 addr add 127.0.0.4/8 dev lo
	mark - 0 -
	hs=$($n0 wgpkt.py handshakes 127.0.0.1 10002 /bench/inits.txt 64 | awk '{ print $2 + 0 }')
	mark $drv-handshake "$hs" handshake
	check "bench: insn profile: handshakes answered ($drv, pass $pass: $hs)" test "$hs" -gt 0

	tunnel_down
	rmmod $mod
done

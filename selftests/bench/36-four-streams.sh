#!/bin/sh
# Four TCP streams through the tunnel at once, our driver against the C
# driver in the same boot and tunnel.inc's topology, ROUNDS rounds in ABBA
# order (bench.inc): as Linux connects by default (net.ipv4.tcp_ecn=2:
# ECN accepted, never asked for, so these streams do not use it), and with
# the sender asking for ECN (tcp_ecn=1), where a queue that marks instead
# of dropping shows (ns2.IpExt.InCEPkts: the marked packets; the
# retransmissions: what drops cost). Each measurement prints a raw line
# with the drop counters that moved during it (report.py). Figures only:
# a run passes if every measurement produced a number.
. /tests/lib.sh
. /tests/tunnel.inc
. /tests/bench.inc

ecn() { # ecn MODE CMD...: CMD with the sender's tcp_ecn set to MODE
	local mode=$1
	shift
	$n1 sh -c "echo $mode > /proc/sys/net/ipv4/tcp_ecn"
	"$@"
	$n1 sh -c 'echo 2 > /proc/sys/net/ipv4/tcp_ecn'
}
round() {
	measure tunnel "$1" "$2" tcp-4-streams Mbit/s tcp 4
	measure tunnel "$1" "$2" tcp-4-streams-ecn Mbit/s ecn 1 tcp 4
}

tunnel_rounds round
all_measured four-streams 2
no_refused_transmits four-streams

#!/bin/sh
# Throughput through the tunnel, our driver against the C driver in the
# same boot, in the two-namespace topology of tunnel.inc: ROUNDS rounds
# (bench.inc), the drivers in ABBA order, each round on a freshly loaded
# module and a fresh tunnel. Per round and driver: TCP with one stream
# (iperf3, 5 s), with the CPU time (system, irq and softirq of all CPUs,
# /proc/stat) per GB the receiver got, and UDP packets per second with
# 64-byte payloads at an unlimited rate, with iperf3's lost/total. Each
# measurement prints a raw line with the drop counters that moved during
# it; the host (selftests/bench/report.py) computes medians, spreads,
# ratios and goals from those lines. Figures only: a run passes if every
# measurement produced a number.
. /tests/lib.sh
. /tests/tunnel.inc
. /tests/bench.inc

kernel_ticks() { # system + irq + softirq time of all CPUs, in USER_HZ ticks
	awk '/^cpu / { print $4 + $7 + $8 }' /proc/stat
}
tcp1() { # one stream, with the busy time of all CPUs meanwhile
	t0=$(kernel_ticks)
	set -- $(tcp 1)
	t1=$(kernel_ticks)
	echo "$* cpu_ticks=$((t1 - t0)) hz=$(getconf CLK_TCK 2>/dev/null || echo 100)"
}
# udp64: "pps lost=L total=T": datagrams per second received (64-byte
# payloads, unlimited rate, 5 s) and iperf3's lost/total at the receiver
udp64() {
	$n2 iperf3 -s -1 -p 5202 > /dev/null 2>&1 &
	sleep 0.5
	$n1 iperf3 -c 192.168.241.2 -p 5202 -u -l 64 -b 0 -t 5 2>/dev/null |
		awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); l = a[1]; t = a[2] } }
			END { print (t - l) / 5, "lost=" l + 0, "total=" t + 0 }'
	wait
}
round() {
	measure tunnel "$1" "$2" tcp-1-stream Mbit/s tcp1
	measure tunnel "$1" "$2" udp-64B pps udp64
}

tunnel_rounds round
all_measured tunnel 2
no_refused_transmits tunnel

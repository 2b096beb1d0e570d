#!/bin/sh
# What the routing settings cost per packet (Documentation/routing.md), on
# our driver only, in tunnel.inc's topology: TCP throughput (one stream) and
# UDP packets per second (64-byte payloads) from ns1 to an address behind
# ns2 (10.60.0.1), with the settings at their defaults and with
# peer-select route-gateway on the sender (a route via ns2's tunnel
# address), source-check route on the receiver, and both. The four take
# turns in a balanced order (a Williams square: over each 4 rounds every
# setting runs once in each position and follows each other setting
# once), ROUNDS (bench.inc) rounded up to a multiple of 4. Each
# measurement prints a raw line (drv= the setting); the host
# (selftests/bench/report.py) compares each setting with the default
# settings of the same round. The servers bind 10.60.0.1, so that UDP
# replies come from it. Figures only: a run passes if every figure is a
# number.
. /tests/lib.sh
. /tests/tunnel.inc
. /tests/bench.inc

tcp() { # Mbit/s received, one stream
	$n2 iperf3 -s -1 -B 10.60.0.1 -p 5201 > /dev/null 2>&1 &
	sleep 0.5
	$n1 iperf3 -c 10.60.0.1 -p 5201 -t 5 -f m 2>/dev/null |
		awk '/receiver/ { v = $(NF - 2) } END { print v + 0 }'
	wait
}
udp() { # packets per second received, 64-byte payloads, unlimited rate
	$n2 iperf3 -s -1 -B 10.60.0.1 -p 5202 > /dev/null 2>&1 &
	sleep 0.5
	$n1 iperf3 -c 10.60.0.1 -p 5202 -u -l 64 -b 0 -t 5 2>/dev/null |
		awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); n = a[2] - a[1] } } END { print n / 5 }'
	wait
}
modes() { # modes SENDER-PEER-SELECT RECEIVER-SOURCE-CHECK
	$n1 wgrs set wg1 peer-select "$1" && $n2 wgrs set wg2 source-check "$2"
}

load_rs
tunnel_up wireguard-rs
# 10.60.0.1 lives behind ns2, in its peer's AllowedIPs on ns1 too (so that
# the default settings reach it by destination), and ns1 routes it via
# ns2's tunnel address (which only route-gateway reads).
ip -n ns2 addr add 10.60.0.1/32 dev lo
$n1 wg set wg1 peer "$P2" allowed-ips 192.168.241.2/32,fd00::2/128,10.60.0.0/24
ip -n ns1 route add 10.60.0.0/24 via 192.168.241.2 dev wg1
$n1 ping -c 1 -W 10 10.60.0.1 > /dev/null

names="default route-gateway source-check-route both"
# williams ROUND: the settings in round ROUND's order
williams() {
	case $((($1 - 1) % 4)) in
	0) set -- 1 2 4 3;; 1) set -- 2 3 1 4;; 2) set -- 3 4 2 1;; 3) set -- 4 1 3 2;;
	esac
	for i in "$@"; do echo "$names" | cut -d' ' -f"$i"; done
}
rounds=$(((ROUNDS + 3) / 4 * 4))
: > /tmp/figures
for round in $(seq 1 "$rounds"); do
	for m in $(williams "$round"); do
		case $m in
		default) modes allowedips allowedips;;
		route-gateway) modes route-gateway allowedips;;
		source-check-route) modes allowedips route;;
		both) modes route-gateway route;;
		esac
		{
			raw routing "$round" "$m" tcp-1-stream "$(tcp)" Mbit/s
			raw routing "$round" "$m" udp-64B "$(udp)" pps
		} | tee -a /tmp/figures
	done
done
for m in $names; do
	check "bench: routing: every figure measured in $rounds rounds ($m)" \
		awk -v d="drv=$m" -v n="$rounds" '$5 == d { split($7, v, "="); if (v[2] + 0 <= 0) bad = 1; c++ }
			END { exit !(c == 2 * n && !bad) }' /tmp/figures
done
tunnel_down
no_refused_transmits routing

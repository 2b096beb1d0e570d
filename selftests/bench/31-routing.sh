#!/bin/sh
# What the routing settings cost per packet (Documentation/routing.md), on
# our driver only, in tunnel.inc's topology: TCP throughput (one stream) and
# UDP packets per second (64-byte payloads) from ns1 to an address behind
# ns2 (10.60.0.1), with the settings at their defaults and with
# peer-select route-gateway on the sender (a route via ns2's tunnel
# address), source-check route on the receiver, and both; three
# alternating rounds, medians. In these lines c= is the default settings'
# figure of our own driver (the C driver has neither setting) and ratio is
# ours/default. The servers bind 10.60.0.1, so that UDP replies come from
# it. Figures only: a round passes if every figure is a number.
. /tests/lib.sh
. /tests/tunnel.inc

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
for m in $names; do : > /tmp/$m.runs; done
for round in 1 2 3; do
	for m in $names; do
		case $m in
		default) modes allowedips allowedips;;
		route-gateway) modes route-gateway allowedips;;
		source-check-route) modes allowedips route;;
		both) modes route-gateway route;;
		esac
		echo "$(tcp) $(udp)" >> /tmp/$m.runs
	done
done
median() { # median FILE FIELD
	cut -d' ' -f"$2" "$1" | sort -n | sed -n 2p
}
for m in route-gateway source-check-route both; do
	i=1
	for name in "tcp-1-stream Mbit/s" "udp-64B pps"; do
		set -- $name
		ours=$(median /tmp/$m.runs $i) def=$(median /tmp/default.runs $i)
		ratio=$(awk -v a="$ours" -v b="$def" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		echo "WGRS-BENCH bench: $1-$m-vs-default ours=$ours c=$def unit=$2 ratio=$ratio"
		i=$((i + 1))
	done
done
for m in $names; do
	sed "s/^/WGRS-BENCH routing round, $m: /" /tmp/$m.runs
	check "bench: routing: every figure measured ($m)" \
		awk '{ for (i = 1; i <= 2; i++) if ($i + 0 <= 0) exit 1 } END { if (NR != 3) exit 1 }' /tmp/$m.runs
done
tunnel_down

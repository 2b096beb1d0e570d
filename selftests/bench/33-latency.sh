#!/bin/sh
# Round trips through the tunnel, our driver against the C driver in the
# same boot and tunnel.inc's topology, ROUNDS rounds in ABBA order
# (bench.inc): UDP request/answer pairs one at a time (xfer.py udp-rtt, as
# ping but timed in Python: ping reads 0.000 ms under the instruction
# clock), 500 on an idle tunnel and 100 while one TCP stream fills it.
# Every figure counts the lost requests: a request unanswered in 1 s counts
# as lost and, in the median, the 99th percentile and the maximum, as 1 s
# (the mean of the answered ones is printed too). Under load, next to the
# round trip: the loading stream's goodput (the bytes the receiving
# device took in while the requests ran) and every drop counter that
# moved (bench.inc). Figures only: a run passes if every figure is a
# number.
. /tests/lib.sh
. /tests/tunnel.inc
. /tests/bench.inc

rx_bytes() { ip netns exec ns2 cat /sys/class/net/wg2/statistics/rx_bytes; }
# loaded: rtt 100 while one TCP stream fills the tunnel, and the stream's
# goodput meanwhile: the bytes wg2 received (the stream's, all but a few
# hundred of the requests') per second of the requests' run
loaded() {
	$n2 iperf3 -s -1 -p 5204 > /dev/null 2>&1 &
	sleep 0.5
	$n1 iperf3 -c 192.168.241.2 -p 5204 -t 300 > /dev/null 2>&1 &
	_load=$!
	sleep 1
	_b0=$(rx_bytes) _t0=$(uptime_s)
	_rtt=$(rtt 100)
	_b1=$(rx_bytes) _t1=$(uptime_s)
	kill $_load 2>/dev/null
	wait
	echo "$_rtt" "load_mbit_s=$(awk -v b="$((_b1 - _b0))" -v t="$_t0" -v u="$_t1" \
		'BEGIN { printf "%.3f", (u > t ? b * 8 / (u - t) / 1e6 : 0) }')"
}
round() {
	measure latency "$1" "$2" rtt-idle us rtt 500
	measure latency "$1" "$2" rtt-loaded us loaded
}

tunnel_rounds round
all_measured latency 2
no_refused_transmits latency

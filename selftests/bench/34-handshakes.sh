#!/bin/sh
# Handshake initiations a device answers per second, our driver against
# the C driver in the same boot, ROUNDS rounds in ABBA order (bench.inc):
# a fresh responder with 1000 peers gets 1000 valid initiations from those
# peers (made on the host by tools/gen_initiations.py), sent with at most
# 64 unanswered, so the figure is the cost of answering one, not how a
# device sheds a flood. Figures only: a run passes if every round got all
# 1000 answers.
. /tests/lib.sh
. /tests/tunnel.inc
. /tests/bench.inc

head -n 1 /bench/inits.txt > /tmp/hs.key
awk 'NR > 1 { print "[Peer]\nPublicKey = " $1 }' /bench/inits.txt > /tmp/hs.conf
handshakes() { # "per-second answered=N seconds=S"
	ip netns exec ns2 wg set wg2 private-key /tmp/hs.key
	ip netns exec ns2 wg addconf wg2 /tmp/hs.conf
	ip -n ns0 addr add 127.0.0.4/8 dev lo
	$n0 wgpkt.py handshakes 127.0.0.1 10002 /bench/inits.txt 64 |
		awk '{ print ($2 == 1000 && $4 > 0 ? $2 / $4 : 0), "answered=" $2, "seconds=" $4 }'
}
round() { measure handshakes "$1" "$2" handshakes-answered per-s handshakes; }

tunnel_rounds round
all_measured handshakes 1
for drv in ours c; do
	check "bench: handshakes: all 1000 answered in each of $ROUNDS rounds ($drv)" \
		awk -v d="drv=$drv" -v n="$ROUNDS" '$1 == "WGRS-BENCH" && $5 == d { if ($0 !~ / answered=1000 /) bad = 1; c++ }
			END { exit !(c == n && !bad) }' /tmp/figures
done
no_refused_transmits handshakes

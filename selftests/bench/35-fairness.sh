#!/bin/sh
# Fairness between peers, our driver against the C driver in the same
# boot, ROUNDS rounds in ABBA order (bench.inc): one receiver (wg2 in ns2)
# with two peers, A (wg1 in ns1, tunnel.inc's) and B (wg3 in ns3), all
# three devices' sockets on ns0's loopback. A floods the receiver with UDP
# (iperf3, full-sized datagrams, unlimited rate) while B sends UDP
# requests one at a time and times the answers (xfer.py udp-rtt, 100, a
# request unanswered in 1 s lost and counted as 1 s). Both drivers share
# one decryption queue among all peers of a device (the C driver a ring of
# 1024 it drops from when full; ours the same ring under CoDel), so A's
# load can delay and drop B's packets too: the figures are B's round trip
# and losses, with every drop counter of the three devices (report.py
# derives victim-lost-under-flood). 37-fairness-bulk.sh: the same under
# four TCP streams. Figures only: a run passes if every figure is a
# number.
. /tests/lib.sh
. /tests/tunnel.inc
. /tests/bench.inc

round() { fairness flood "$@"; }
tunnel_rounds round
all_measured fairness 1
no_refused_transmits fairness

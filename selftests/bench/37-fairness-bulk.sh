#!/bin/sh
# As 35-fairness.sh, with peer A's load four TCP streams (senders that back
# off when their packets are dropped or marked) instead of a UDP flood: B's
# round trip and losses meanwhile (report.py derives
# victim-lost-under-bulk). Figures only: a run passes if every figure is a
# number.
. /tests/lib.sh
. /tests/tunnel.inc
. /tests/bench.inc

round() { fairness bulk "$@"; }
tunnel_rounds round
all_measured fairness-bulk 1
no_refused_transmits fairness-bulk

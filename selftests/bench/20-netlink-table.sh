#!/bin/sh
# An Internet-sized table through netlink, our driver against the C driver
# in the same boot (netlink.inc): rounds 1 and 2, in ABBA order. Round 1's first
# turn of each driver also counts what is left after the removal: the
# same in both, 10,000 fewer than loaded.
# Prints the raw figures (report.py compares them round by round); a run
# passes if both drivers loaded the same table and every step was timed.
. /tests/lib.sh
. /tests/bench.inc
. /tests/netlink.inc
netlink_rounds 1

#!/bin/sh
# An Internet-sized table through netlink, our driver against the C driver
# in the same boot (netlink.inc): rounds 5 and 6, in ABBA order.
# Prints the raw figures (report.py compares them round by round); a run
# passes if both drivers loaded the same table and every step was timed.
. /tests/lib.sh
. /tests/bench.inc
. /tests/netlink.inc
netlink_rounds 5

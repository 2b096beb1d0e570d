#!/bin/sh
# Self-check (last of the first boot): a reference to a device that is
# not given back. The module registers wgrshc0 and holds a reference to it
# for 40 s; unloading it waits that long, and the kernel reports "waiting
# for wgrshc0 to become free" after 10 s, and every 10 s after. The
# harness's rmmod must time out (after 15 s here, not 120), the report
# must fail the script's log scan, and no script may run after it
# (20-after-hang: the module could not be loaded again). The VM powers off
# with rmmod still waiting; on the debug kernel the reports go on during
# kmemleak's scan, whose log check fails anyway in this boot (07-leak).
. /tests/lib.sh
echo "60 15" > /tmp/wgrs-timeouts
check "netdev-ref: the module loads and holds a reference to its device" \
	insmod /modules/wgrs_harness_check.ko hold_netdev=40

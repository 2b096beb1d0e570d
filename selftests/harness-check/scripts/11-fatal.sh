#!/bin/sh
# Self-check, last boot: the kernel dies in the middle of this script
# (panic() on the normal kernel; a WARN_ON with panic_on_warn=1 on the
# debug kernel). The harness must report a failure, quickly, not hang.
. /tests/lib.sh
check "fatal: a result before the kernel dies" true
if [ "$WGRS_FLAVOR" = debug ]; then
	insmod /modules/wgrs_harness_check.ko warn=1
else
	insmod /modules/wgrs_harness_check.ko panic=1
fi
sleep 5
check "fatal: never reached: the kernel is dead" true

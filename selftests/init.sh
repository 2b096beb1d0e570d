#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test VM: mount the basics, run every /tests/NN-*.sh (or the
# demo), check the kernel log, and power off. Results go to the serial
# console as "WGRS-RESULT PASS|FAIL <name>" lines for selftests/run.sh.
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
# The firmware leaves terminal escape codes on the console's current line.
echo
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# bash's process substitution (wg-quick uses it) reads /dev/fd/N.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up
flavor=$(sed -n 's/.*wgrs\.flavor=\([a-z]*\).*/\1/p' /proc/cmdline)
export WGRS_FLAVOR=$flavor
. /tests/lib.sh

if [ -e /sys/kernel/debug/kmemleak ]; then
	# Forget what boot itself left behind; only leaks from the tests count.
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
fi
dmesg -c > /tmp/boot-dmesg.txt

if [ -x /tests/demo.sh ]; then
	echo WGRS-DEMO-BEGIN
	/tests/demo.sh 2>&1
	rc=$?
	echo WGRS-DEMO-END
	if [ $rc = 0 ]; then result PASS "demo: every step ran"; else result FAIL "demo: a step failed ($rc)"; fi
else
	for t in /tests/[0-9]*.sh; do
		[ -e "$t" ] || continue
		echo "== $(basename "$t")"
		timeout 600 /bin/dash "$t" 2>&1
		rc=$?
		[ $rc = 0 ] || echo "WGRS-RESULT FAIL $(basename "$t" .sh): script exited with $rc"
		cleanup_all
	done
fi

# The kernel log must be free of warnings and sanitizer reports.
if [ -e /sys/kernel/debug/kmemleak ]; then
	sleep 6  # kmemleak only reports objects older than 5 s
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	if [ -s /sys/kernel/debug/kmemleak ]; then
		result FAIL "kmemleak finds no leaks"
		head -n 60 /sys/kernel/debug/kmemleak
	else
		result PASS "kmemleak finds no leaks"
	fi
fi
if dmesg | grep -E 'WARNING:|BUG:|Oops|KASAN|UBSAN|possible circular|possible recursive|inconsistent lock|suspicious RCU|Call Trace' > /tmp/bad.txt; then
	result FAIL "dmesg has no warnings"
	head -n 40 /tmp/bad.txt
	dmesg | tail -n 80
else
	result PASS "dmesg has no warnings"
fi
echo WGRS-DONE
sync
reboot -f

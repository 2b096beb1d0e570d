#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test VM: mount the basics, run every /tests/NN-*.sh (or the
# demo), scan the kernel log after each, check kmemleak, and power off.
#
# The kernel's console is ttyS0; everything here writes to ttyS1, which the
# kernel never writes to, so kernel output cannot break a result line. The
# protocol selftests/run.sh reads from ttyS1:
#
#   WGRS-SCRIPTS N                       N scripts are about to run
#   WGRS-BEGIN NAME                      a script starts
#   WGRS-RESULT PASS|FAIL TEXT           one result (lib.sh's result())
#   WGRS-END NAME rc=RC results=N secs=S it ended with RC and gave N results
#                                        after S seconds of the guest's clock
#   WGRS-DONE                            every script ran; powering off
#
# A script's kernel log (read whatever the console level, never cleared)
# is scanned for WARN/BUG/Oops/sanitizer/lockdep/RCU reports right after
# it, so a report names the script that caused it.
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
exec >/dev/ttyS1 2>&1
# bash's process substitution (wg-quick uses it) reads /dev/fd/N.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up
flavor=$(sed -n 's/.*wgrs\.flavor=\([a-z]*\).*/\1/p' /proc/cmdline)
export WGRS_FLAVOR=$flavor
# ttyS1 is a terminal: keep wg(8)'s colours out of the results.
export WG_COLOR_MODE=never
# lib.sh's result() counts each result into this file.
export WGRS_COUNT=/tmp/wgrs-results
. /tests/lib.sh

# scan_log NAME MARK: the kernel's records since MARK must hold no report.
scan_log() {
	kmsg since "$2" > /tmp/log.txt
	lrc=$?
	if grep -E -f /tests/kernel-reports.txt /tmp/log.txt > /tmp/bad.txt || [ $lrc != 0 ]; then
		result FAIL "$1: kernel log has no reports"
		# The first report and what led to it.
		n=$(grep -n -E -f /tests/kernel-reports.txt /tmp/log.txt | head -n 1 | cut -d: -f1)
		sed -n "$(( ${n:-1} > 10 ? ${n:-1} - 10 : 1 )),$(( ${n:-1} + 50 ))p" /tmp/log.txt | sed 's/^/    /'
	else
		result PASS "$1: kernel log has no reports"
	fi
}

# kill_leftovers NAME: kill the processes the script NAME left running
# (init runs nothing in the background), so that what they hold (sockets,
# namespaces) is not counted as left behind by the module. A process that
# does not die (stuck in the kernel) is a FAIL.
kill_leftovers() {
	local p cmd comm pids="" end stuck=""
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" != 1 ] || continue
		# Kernel threads and zombies have no command line.
		cmd=""
		{ read -r cmd < "/proc/$p/cmdline"; } 2>/dev/null
		[ -n "$cmd" ] || continue
		# busybox timeout's watcher (of the script's time limit) ends
		# on its own within a second, holding nothing; a process gone
		# between the two reads is no longer there to kill.
		comm=""
		{ read -r comm < "/proc/$p/comm"; } 2>/dev/null || continue
		[ "$comm" != timeout ] || continue
		pids="$pids $p($comm)"
	done
	[ -n "$pids" ] || return 0
	echo "    NOTE: $1 left processes running; killing them:$pids"
	for p in $pids; do kill -9 "${p%%(*}" 2>/dev/null; done
	uptime_cs
	end=$((now + 1000))
	for p in $pids; do
		while proc_state "${p%%(*}" && [ "$state" != Z ]; do
			uptime_cs
			if [ "$now" -ge $end ]; then
				stuck="$stuck ${p%)}, state $state)"
				break
			fi
			sleep 0.1
		done
	done
	[ -z "$stuck" ] || result FAIL "$1: leaves no process that cannot be killed:$stuck"
}

scan_log boot 0
# The VM was given wgrs.cpus= vCPUs: all of them must be online, or the
# multicore paths (per-CPU workers, ordering across CPUs) go untested.
cpus=$(sed -n 's/.*wgrs\.cpus=\([0-9]*\).*/\1/p' /proc/cmdline)
check_eq "boot: all ${cpus:-?} vCPUs the VM was given are online" "${cpus:-none}" "$(nproc)"
# What the leak accounting compares with (lib.sh, "Leak accounting"): the
# devices of the initial namespace, and the namespace count with one
# namespace of the harness's own dismantled last (counted until the next
# one is).
mkdir -p "$WGRS_BOOT"
init_devices > "$WGRS_BOOT/devices"
netns_flush
check_eq "boot: network namespaces are counted (struct net objects: one of the harness's)" 1 "$(netns_count)"
leak_state
before=$leaks
if [ -e /sys/kernel/debug/kmemleak ]; then
	# Forget what boot itself left behind; only leaks from the tests count.
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
fi

if [ -x /tests/demo.sh ]; then
	echo WGRS-DEMO-BEGIN
	/tests/demo.sh 2>&1
	rc=$?
	echo WGRS-DEMO-END
	if [ $rc = 0 ]; then result PASS "demo: every step ran"; else result FAIL "demo: a step failed ($rc)"; fi
else
	echo "WGRS-SCRIPTS $(ls /tests/[0-9]*.sh 2>/dev/null | wc -l)"
	# A limit for a script that hangs, not a measure of speed: the debug
	# kernel runs the same scripts several times slower, slower still on a
	# loaded host (its scripts took up to 580 s at 0.5 host cores each).
	script_limit=600; [ "$flavor" = debug ] && script_limit=1500
	for t in /tests/[0-9]*.sh; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .sh)
		WGRS_SCRIPT=$name
		export WGRS_SCRIPT
		rm -f /tmp/wgrs-timeouts
		WGRS_MARK=$(kmsg next)
		export WGRS_MARK
		: > "$WGRS_COUNT"
		echo "WGRS-BEGIN $name"
		t0=$(date +%s)
		timeout $script_limit /bin/dash "$t" 2>&1
		rc=$?
		echo "WGRS-END $name rc=$rc results=$(wc -l < "$WGRS_COUNT") secs=$(( $(date +%s) - t0 ))"
		# Unloading is part of the script's run: a WARN on rmmod is its,
		# and so is an rmmod that fails or hangs (after a hang nothing
		# else can run: what hung holds what the next scripts need, the
		# module or RTNL, and the scripts left count as never run), and
		# so is what it leaves behind. The time each step took is printed
		# (leak accounting: the processes left killed and the counts
		# compared; cleanup: cleanup_all).
		uptime_cs
		c0=$now
		kill_leftovers "$name"
		uptime_cs
		c1=$now
		cleanup_all "$name" || { scan_log "$name" "$WGRS_MARK"; break; }
		uptime_cs
		c2=$now
		leak_check "$name" "$before"
		# What it found is where the next script starts from.
		before=$leaks
		uptime_cs
		c0=$((c1 - c0 + now - c2)) c1=$((c2 - c1))
		echo "    $name: cleanup took $((c1 / 100)).$((c1 / 10 % 10))$((c1 % 10)) s, leak accounting $((c0 / 100)).$((c0 / 10 % 10))$((c0 % 10)) s"
		scan_log "$name" "$WGRS_MARK"
	done
fi

# Leaks: kmemleak only reports objects older than 5 s, found by a scan;
# its report is the file's content (its own log line is only pr_info).
if [ -e /sys/kernel/debug/kmemleak ]; then
	mark=$(kmsg next)
	sleep 6
	# Scanned from a subshell, which has no child: a scan that a process
	# asks for stops at the first signal pending for it (mm/kmemleak.c,
	# scan_should_stop()), and init gets SIGCHLD whenever a child of its
	# ends (the rmmod that a cleanup left hanging, when it returns at
	# last): such a scan reported none of sixteen leaked objects.
	( echo scan > /sys/kernel/debug/kmemleak; echo scan > /sys/kernel/debug/kmemleak )
	cat /sys/kernel/debug/kmemleak > /tmp/kmemleak.txt
	if [ -s /tmp/kmemleak.txt ]; then
		result FAIL "kmemleak finds no leaks"
		head -n 60 /tmp/kmemleak.txt | sed 's/^/    /'
	else
		result PASS "kmemleak finds no leaks"
	fi
	scan_log kmemleak "$mark"
fi
echo WGRS-DONE
sync
reboot -f

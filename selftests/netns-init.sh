#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the netns-upstream VM (selftests/netns-upstream.sh): load one
# WireGuard driver (wgrs.driver=rs: ours, in drop-in mode; =c: the C driver),
# run the kernel's own tools/testing/selftests/wireguard/netns.sh unmodified,
# report, and power off. Lines for the host start with "WGRS-".
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# netns.sh feeds wg(8) keys through process substitution (/dev/fd/N).
ln -sfn /proc/self/fd /dev/fd
echo "WGRS-NETNS-BOOTED $(uname -r)"
echo "WGRS-NETNS-CPUS $(nproc)"
poweroff() { sync; /wgrs/busybox reboot -f; sleep 30; }

driver=$(sed -n 's/.*wgrs\.driver=\([a-z]*\).*/\1/p' /proc/cmdline)
timeout=$(sed -n 's/.*wgrs\.timeout=\([0-9]*\).*/\1/p' /proc/cmdline)
case $driver in
# Ours prints netns.sh's object lines (peers and keypairs created and
# destroyed, which it pairs at its end) with log_objects=1; the C driver's
# module for this run is built with -DDEBUG to print them (netns-upstream.sh).
rs) insmod /wgrs/wireguard-rs.ko drop_in=1 log_objects=1 ;;
c) insmod /wgrs/wireguard.ko ;;
*) false ;;
esac || { echo "WGRS-NETNS-RESULT FAIL could not load the driver ($driver)"; echo WGRS-DONE; poweroff; }

if [ -e /sys/kernel/debug/kmemleak ]; then
	# Forget what boot left behind; only leaks from the test count.
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
fi

# On failure, say which line of netns.sh failed: BASH_ENV is read by bash
# before it runs the script, which itself stays byte for byte the kernel's.
# The ERR trap records each failed command (main shell: ERR, subshells:
# SUBERR); it is one line, as bash counts the lines of a trap's text into
# $LINENO. It is dropped as netns.sh's EXIT trap starts: bash's "exit" with
# no argument inside a trap handler returns the status saved by the last
# trap that ran, so an ERR trap firing in cleanup() would change the exit
# status of netns.sh; with it gone before cleanup(), the status is the one
# netns.sh has without this file.
cat > /tmp/errtrap.sh <<'EOF'
set -o errtrace
trap '__wgrs_rc=$? __wgrs_l=$LINENO; if [[ $BASHPID == "$$" && $0 == */netns.sh ]]; then __wgrs_w=ERR; else __wgrs_w=SUBERR; fi; echo "WGRS-NETNS-$__wgrs_w status $__wgrs_rc at netns.sh line $__wgrs_l${FUNCNAME:+ in ${FUNCNAME[*]} called from lines ${BASH_LINENO[*]}}" >> /tmp/netns-err.log; if [[ $__wgrs_w == ERR && ! -e /tmp/netns-state.log ]]; then { echo "WGRS-NETNS-STATE now $(date +%s)"; for __wgrs_n in "$netns0" "$netns1" "$netns2"; do ip netns exec "$__wgrs_n" wg show all dump 2>&1 | sed "s/^/WGRS-NETNS-STATE $__wgrs_n /"; done; } > /tmp/netns-state.log 2>&1; fi' ERR
trap() {
	if [[ $# == 2 && $2 == EXIT ]]; then builtin trap "builtin trap - ERR; $1" EXIT; else builtin trap "$@"; fi
}
EOF
echo WGRS-NETNS-BEGIN
t0=$(date +%s)
cd /tmp
BASH_ENV=/tmp/errtrap.sh timeout -k 10 ${timeout:-1200} bash /wgrs/netns.sh
rc=$?
t=$(( $(date +%s) - t0 ))
echo
echo "WGRS-NETNS-END rc=$rc ${t}s"
# Every command that failed outside a condition, in order (the first ERR,
# from the main shell, is where netns.sh stopped).
[ -f /tmp/netns-err.log ] && cat /tmp/netns-err.log
# Where it stopped, every device's state (wg show all dump: endpoints,
# latest handshakes, counters; the keys are the test's own).
[ -f /tmp/netns-state.log ] && sed 's/\t/ /g' /tmp/netns-state.log

# netns.sh's last check pairs the objects' "created" and "destroyed" lines:
# how many it had to pair (none would make that check pass for nothing).
echo "WGRS-NETNS-OBJECTS peers=$(dmesg | grep -cE ' wg[0-9]+: Peer [0-9]+ created') keypairs=$(dmesg | grep -cE ' wg[0-9]+: Keypair [0-9]+ created')"

# Drop-in mode must have kept the C driver out, or the run proved nothing.
if [ "$driver" = rs ] && [ -d /sys/module/wireguard ]; then
	echo "WGRS-NETNS-RESULT FAIL the C driver got loaded during the run"
	rc=99
fi
if [ $rc = 0 ]; then
	echo "WGRS-NETNS-RESULT PASS ${t}s"
else
	echo "WGRS-NETNS-RESULT FAIL exit $rc after ${t}s"
fi

if [ -e /sys/kernel/debug/kmemleak ]; then
	sleep 6 # kmemleak only reports objects older than 5 s
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	# Its report is printed here for the host's scan of the console.
	head -n 80 /sys/kernel/debug/kmemleak
fi
# Reports printed below the console's log level are in the log only: print
# them for the host's scan of the console.
dmesg | grep -E -f /wgrs/kernel-reports.txt | sed 's/^/dmesg: /' | head -n 40
echo WGRS-DONE
poweroff

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [--demo|--bench] [--only PATTERN] FLAVOR...   (FLAVOR: normal | debug)
#
# For each flavor: build (or reuse) the test kernel, build the module against
# it, pack an initramfs with the tests, boot it under QEMU, and collect one
# PASS/FAIL line per test. Ends with "N passed, N failed"; exits non-zero if
# anything failed. Any kernel WARN/BUG/Oops/sanitizer/lockdep/kmemleak report
# in the console log is a failure of its own.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/toolchain.env"
demo=0 bench=0 only=""
flavors=()
while [ $# -gt 0 ]; do
	case $1 in
	--demo) demo=1;;
	--bench) bench=1;;
	--only) only=$2; shift;;
	normal|debug) flavors+=("$1");;
	*) echo "usage: $0 [--demo|--bench] [--only PATTERN] normal|debug..." >&2; exit 2;;
	esac
	shift
done
[ ${#flavors[@]} -gt 0 ] || flavors=(normal)

passed=0 failed=0
result() { # result PASS|FAIL name [reason]
	if [ "$1" = PASS ]; then passed=$((passed + 1)); echo "PASS: $2"
	else failed=$((failed + 1)); echo "FAIL: $2${3:+ ($3)}"; fi
}

for flavor in "${flavors[@]}"; do
	t0=$(date +%s)
	if ! kdir=$("$here/scripts/build-kernel.sh" "$flavor"); then
		result FAIL "[$flavor] kernel build"; continue
	fi
	if ! ko=$("$here/scripts/build-module.sh" "$kdir" "$flavor"); then
		result FAIL "[$flavor] module build"; continue
	fi
	work=${WGRS_WORK:-$WGRS_CACHE}/run/$flavor
	rm -rf "$work"; mkdir -p "$work"
	if ! "$here/selftests/mkinitramfs.sh" "$kdir" "$ko" "$work/initramfs.cpio.gz" "$demo" "$only" "$bench" >"$work/mkinitramfs.log" 2>&1; then
		cat "$work/mkinitramfs.log" >&2
		result FAIL "[$flavor] initramfs"; continue
	fi
	echo "== [$flavor] booting $(basename "$kdir") (build+pack $(( $(date +%s) - t0 ))s)"
	# no5lvl: with -cpu max the guest would use 5-level paging, and one
	# debug boot (of many) hit a KASAN "wild-memory-access" report from an
	# interrupt arriving while identify_cpu() re-read the CPU features, before
	# any of our code was loaded. 4-level paging avoids that window.
	cmdline="console=ttyS0 panic=-1 oops=panic loglevel=4 no5lvl kunit.filter_glob=wgrs_none wgrs.flavor=$flavor"
	[ "$flavor" = debug ] && cmdline+=" panic_on_warn=1 kmemleak=on"
	mem=1024; [ "$flavor" = debug ] && mem=2048
	t1=$(date +%s)
	for attempt in 1 2; do
		timeout --foreground 2400 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m $mem \
			-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$work/initramfs.cpio.gz" \
			-append "$cmdline" -nographic -no-reboot -monitor none -serial stdio \
			</dev/null >"$work/console.log" 2>&1
		rc=$?
		# Console lines end in CR LF; strip the CR for matching.
		sed -i 's/\r$//' "$work/console.log"
		# Our init prints its first line before anything of ours runs. A kernel
		# that died before that never saw our module: boot once more, and say so.
		if [ $attempt = 1 ] && ! grep -aqE '^(== |WGRS-)' "$work/console.log"; then
			mv "$work/console.log" "$work/console-boot-failure.log"
			echo "NOTE: [$flavor] the kernel died during boot, before the tests started; booting again (log: $work/console-boot-failure.log):"
			grep -aE 'BUG:|Kernel panic|WARNING:' "$work/console-boot-failure.log" | head -n 3 | sed 's/^/    /'
			continue
		fi
		break
	done
	if [ $demo = 1 ]; then
		sed -n '/WGRS-DEMO-BEGIN/,/^WGRS-DEMO-END/p' "$work/console.log" | sed '1d;$d'
	fi
	grep -a '^WGRS-BENCH ' "$work/console.log" | sed "s/^WGRS-BENCH /[$flavor] /"
	while IFS= read -r line; do
		case $line in
		"WGRS-RESULT PASS "*) result PASS "[$flavor] ${line#WGRS-RESULT PASS }";;
		"WGRS-RESULT FAIL "*) result FAIL "[$flavor] ${line#WGRS-RESULT FAIL }";;
		esac
	done < <(grep -a '^WGRS-RESULT ' "$work/console.log")
	if grep -aq '^WGRS-DONE' "$work/console.log"; then
		result PASS "[$flavor] VM ran all tests and shut down (${rc}, $(( $(date +%s) - t1 ))s)"
	else
		result FAIL "[$flavor] VM did not finish (qemu exit $rc); last lines of $work/console.log:"
		tail -n 30 "$work/console.log" | sed 's/^/    /'
	fi
	reports=$(grep -anE 'WARNING:|BUG:|Oops|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|unreferenced object|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|Kernel panic|general protection fault|Call Trace:|INFO: task .* blocked|rcu_.*detected stall|sleeping function called from invalid context' \
		"$work/console.log" | head -n 20)
	if [ -z "$reports" ]; then
		result PASS "[$flavor] console has no kernel warnings or sanitizer reports"
	else
		result FAIL "[$flavor] console has kernel reports"
		printf '%s\n' "$reports" | sed 's/^/    /'
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [--demo|--bench|--selfcheck] [--only PATTERN]... [--group NAME] FLAVOR...
#                                                 (FLAVOR: normal | debug)
#
# For each flavor: build (or reuse) the test kernel, build the module
# against it (and its KUnit test build), pack an initramfs with the tests,
# boot it under QEMU, and collect one PASS/FAIL line per check. Ends with
# "N passed, N failed"; exits non-zero if anything failed.
#
# What counts as a failure, besides a FAIL line from a test: a script that
# exits non-zero, times out, gives no result, or gives more results than
# reach the host; a malformed result line; a script that never ran or never
# finished; a VM that does not shut down; any kernel WARN/BUG/Oops/
# sanitizer/lockdep/RCU report in a script's kernel log (scanned in the VM
# whatever the console level) or on the console; any kmemleak report.
#
# --selfcheck proves those checks: it boots the scripts and the module of
# selftests/harness-check/, which fail on purpose, and passes only if this
# harness reports each of those failures (and nothing else) as a failure.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/toolchain.env"
mode=tests group=""
only=()
flavors=()
while [ $# -gt 0 ]; do
	case $1 in
	--demo) mode=demo;;
	--bench) mode=bench;;
	--selfcheck) mode=selfcheck;;
	--only) only+=("$2"); shift;;
	--group) group=$2; shift;;
	normal|debug) flavors+=("$1");;
	*) echo "usage: $0 [--demo|--bench|--selfcheck] [--only PATTERN]... [--group NAME] normal|debug..." >&2; exit 2;;
	esac
	shift
done
[ ${#flavors[@]} -gt 0 ] || flavors=(normal)
. "$here/selftests/host-lib.sh"
[ $mode = selfcheck ] && collecting=1

# boot FLAVOR KDIR INITRAMFS WORK: boot the VM; the kernel's console goes
# to WORK/console.log, the tests' output (ttyS1) to WORK/results.log.
boot() {
	local flavor=$1 kdir=$2 initrd=$3 work=$4 cmdline mem attempt
	# no5lvl: with -cpu max the guest would use 5-level paging, and one
	# debug boot (of many) hit a KASAN "wild-memory-access" report from an
	# interrupt arriving while identify_cpu() re-read the CPU features, before
	# any of our code was loaded. 4-level paging avoids that window.
	cmdline="console=ttyS0 panic=-1 oops=panic loglevel=4 no5lvl wgrs.flavor=$flavor wgrs.cpus=$WGRS_SMP"
	[ "$flavor" = debug ] && cmdline+=" panic_on_warn=1 kmemleak=on"
	mem=1024; [ "$flavor" = debug ] && mem=2048
	# A limit for a VM that hangs: a group of debug scripts took 2160 s on
	# a loaded host.
	local vm_limit=2400; [ "$flavor" = debug ] && vm_limit=4800
	# Benchmarks count instructions, not host seconds (WGRS_BENCH_CLOCK=real
	# for the host's clock): under -icount the guest's clock advances by a
	# fixed time per instruction and skips idle time, so its figures do not
	# move with the host's load. Both vCPUs then share one host thread.
	# WGRS_BENCH_CLOCK=real: the host's clock, without -icount, so QEMU runs
	# multi-threaded TCG (its default for an x86 guest on an x86 host):
	# each vCPU its own host thread, the multicore pipeline measured, and
	# the figures move with the host's load (recorded with them).
	# slab_nomerge: 20-netlink-table.sh reads its trie nodes' slab caches by
	# name; a cache merged with another would read as zero or as both.
	local clock=()
	if [ $mode = bench ]; then
		cmdline+=" slab_nomerge"
		case ${WGRS_BENCH_CLOCK:-icount} in
		icount)
			clock=(-icount shift=3,sleep=off)
			echo "== [$flavor] bench clock: icount (8 ns of guest time per instruction, idle time skipped)";;
		real)
			echo "== [$flavor] bench clock: real (the host's; multi-threaded TCG, one host thread per vCPU; host load: $(cut -d' ' -f1-3 /proc/loadavg))";;
		*) echo "WGRS_BENCH_CLOCK: icount or real, not '$WGRS_BENCH_CLOCK'" >&2; exit 2;;
		esac
	fi
	t_boot=$(date +%s)
	for attempt in 1 2; do
		vm_time "$work/qemu.time" timeout --foreground $vm_limit qemu-system-x86_64 -accel tcg "${clock[@]}" "${plugin[@]}" -cpu max -smp "$WGRS_SMP" -m $mem \
			-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$initrd" \
			-append "$cmdline" -nographic -no-reboot -monitor none -nic none \
			-serial stdio -serial "file:$work/results.log" \
			</dev/null >"$work/console.log" 2>&1
		qemu_rc=$?
		# Lines end in CR LF; strip the CR for matching.
		sed -i 's/\r$//' "$work/console.log" "$work/results.log"
		# Our init prints its first result before anything of ours runs. A
		# kernel that died before that never saw our module: its console is
		# scanned (a known trace outside the module is noted, anything else
		# fails), and the VM boots once more so the tests still run.
		if [ $attempt = 1 ] && ! grep -aq '^WGRS-' "$work/results.log"; then
			mv "$work/console.log" "$work/console-boot-failure.log"
			early_death "$work/console-boot-failure.log" "[$flavor]"
			continue
		fi
		break
	done
	t_boot=$(( $(date +%s) - t_boot ))
	echo "== [$flavor] VM: $(vm_time_show "$work/qemu.time")"
}

# run_vm FLAVOR KDIR WORK MODE [--module DEST SRC]... -- SCRIPT...: pack,
# boot and collect one VM run of SCRIPTs.
run_vm() {
	local flavor=$1 kdir=$2 work=$3 vmode=$4 names=() s
	shift 4
	rm -rf "$work"; mkdir -p "$work"
	if ! "$here/selftests/mkinitramfs.sh" "$kdir" "$work/initramfs.cpio.gz" "$vmode" "$@" \
		>"$work/mkinitramfs.log" 2>&1; then
		cat "$work/mkinitramfs.log" >&2
		report FAIL "[$flavor] initramfs"; return 1
	fi
	while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done
	shift
	for s in "$@"; do names+=("$(basename "$s" .sh)"); done
	echo "== [$flavor] booting $(basename "$kdir") (${#names[@]} scripts)"
	boot "$flavor" "$kdir" "$work/initramfs.cpio.gz" "$work"
	if [ "$vmode" = demo ]; then
		sed -n '/WGRS-DEMO-BEGIN/,/^WGRS-DEMO-END/p' "$work/results.log" | sed '1d;$d'
	fi
	grep -a '^WGRS-BENCH ' "$work/results.log" | sed "s/^WGRS-BENCH /[$flavor] /"
	collect "[$flavor]" "${group:+VM $group}" "$work/results.log" "$work/console.log" "${names[@]}"
}

# The scan of a console whose kernel died while booting (early_death in
# host-lib.sh), on made-up consoles: an unknown report and a death with no
# report are FAILs, a known trace outside the module is not.
selfcheck_early_death() {
	local flavor=$1 dir=$2
	rm -rf "$dir"; mkdir -p "$dir"
	printf '%s\n' '[    0.5] Kernel panic - not syncing: VFS: Unable to mount root fs' > "$dir/unknown.log"
	printf '%s\n' '[    0.5] Booting the kernel' '[    0.6] virtio: probing' > "$dir/silent.log"
	printf '%s\n' '[    0.4] BUG: KASAN: wild-memory-access in identify_cpu+0x1b/0x40' \
		'[    0.4] RIP: 0010:identify_cpu+0x1b/0x40' > "$dir/known.log"
	local was=$collecting
	collecting=1
	early_death "$dir/unknown.log" "[$flavor] made-up console 1" >/dev/null
	early_death "$dir/silent.log" "[$flavor] made-up console 2" >/dev/null
	early_death "$dir/known.log" "[$flavor] made-up console 3" >/dev/null
	collecting=$was
	expect FAIL '.* made-up console 1: the kernel died during boot' "an early death with an unknown report fails"
	expect FAIL '.* made-up console 2: the kernel died during boot' "an early death with no report fails"
	expect_nothing_else
}

selfcheck() {
	local flavor=$1 kdir=$2 work=$3 hc=$here/selftests/harness-check sd f mods
	sd=$hc/scripts
	# The module, built out of tree against this kernel (never part of
	# wireguard-rs.ko).
	rm -rf "$work-module"; mkdir -p "$work-module"
	cp "$hc/Kbuild" "$hc/wgrs_harness_check.c" "$work-module/"
	if ! make -C "$kdir" M="$work-module" "${WGRS_MAKEFLAGS[@]}" modules >"$work-module/build.log" 2>&1; then
		cat "$work-module/build.log" >&2
		result FAIL "[$flavor] harness self-check: module build"; return
	fi
	mods=(--module wgrs_harness_check.ko "$work-module/wgrs_harness_check.ko")

	# A pattern that matches no test script must fail the run, not pass it.
	if "$here/selftests/mkinitramfs.sh" "$kdir" "$work-none.cpio.gz" tests -- >/dev/null 2>&1; then
		result FAIL "[$flavor] harness self-check: an empty list of scripts is refused"
	else
		result PASS "[$flavor] harness self-check: an empty list of scripts is refused (--only matching nothing)"
	fi
	rm -f "$work-none.cpio.gz"

	# First boot: every failure that leaves the VM running.
	local scripts=("$sd"/0[1-5]-*.sh)
	if [ "$flavor" = debug ]; then scripts+=("$sd/07-leak.sh" "$sd/08-rcu.sh")
	else scripts+=("$sd/06-warn.sh"); fi
	# 19-netdev-ref's cleanup hangs: it ends the boot, and 20-after-hang
	# never runs.
	scripts+=("$sd/19-netdev-ref.sh" "$sd/20-after-hang.sh")
	run_vm "$flavor" "$kdir" "$work/1" minimal "${mods[@]}" -- "${scripts[@]}"
	expect PASS '.* control: a check that holds$' "the control script's result is a PASS"
	expect PASS '.* 01-control: kernel log has no reports$' "the control script's clean log is a PASS"
	expect FAIL '.* 02-exits-early: gave no result$' "caught a script that exits before any result"
	expect PASS '.* malformed: a good line first$' "a good line before malformed ones still counts"
	expect FAIL '.* malformed result line: WGRS-RESULT PASSED ' "caught a result line with a bad status"
	expect FAIL '.* malformed result line: .*broken\[' "caught a result line broken by kernel-like output"
	expect PASS '.* lost-result: a line that arrives$' "the result that arrived is read"
	expect FAIL '.* 04-lost-result: gave 2 results, 1 reached the host' "caught a result that did not reach the host"
	expect PASS '.* kunit: wgrs_harness_check\.wgrs_hc_passes$' "a passing KUnit case is a PASS"
	expect FAIL '.* kunit: wgrs_harness_check\.wgrs_hc_fails$' "caught a failing KUnit case"
	expect FAIL '.* kunit: wgrs_harness_check\.wgrs_hc_skips was skipped$' "caught a skipped KUnit case"
	if [ "$flavor" = debug ]; then
		expect PASS '.* leak: the module loads and leaks$' "the leaking script itself passes"
		expect FAIL '.* kmemleak finds no leaks$' "caught leaked objects (kmemleak's report)"
		expect FAIL '.* kmemleak: kernel log has no reports$' "caught kmemleak's log line too"
		# The report shows the objects: their content, in its hex dump.
		if grep -aq 'wgrs-harness-che' "$work/1/results.log" && grep -aq 'ck leaked object' "$work/1/results.log"; then
			result PASS "[$flavor] harness self-check: the kmemleak report shows the leaked objects' content"
		else
			result FAIL "[$flavor] harness self-check: the kmemleak report shows the leaked objects' content"
		fi
		expect PASS '.* rcu: the module loads and misuses RCU$' "the RCU-misusing script itself passes"
		expect FAIL '.* 08-rcu: kernel log has no reports$' "caught a suspicious RCU usage (below the console's level)"
	else
		expect PASS '.* warn: the module loads and warns$' "the warning script itself passes"
		expect FAIL '.* 06-warn: kernel log has no reports$' "caught a WARN_ON (below the console's level)"
		echo "    (normal kernel: no kmemleak and no PROVE_RCU, so leaks and RCU misuse are only checked on debug)"
	fi
	expect PASS '.* netdev-ref: the module loads and holds a reference to its device$' "the device-reference script itself passes"
	expect FAIL '.* 19-netdev-ref: rmmod wgrs_harness_check returns within 15s ' "caught an rmmod that does not return (a device reference never given back)"
	expect FAIL '.* 19-netdev-ref: kernel log has no reports$' "caught the kernel's report of the device that cannot be freed"
	# That report is KERN_EMERG: the console shows it too.
	expect FAIL '.* console has kernel reports$' "caught the report on the console as well"
	expect FAIL '.* ran [0-9]+ of [0-9]+ test scripts .*missing: 20-after-hang\)$' "no script runs after a cleanup that hangs"
	if grep -aq 'unregister_netdevice: waiting for wgrshc0 to become free' "$work/1/results.log"; then
		result PASS "[$flavor] harness self-check: the log scan shows 'unregister_netdevice: waiting for wgrshc0 to become free'"
	else
		result FAIL "[$flavor] harness self-check: the log scan shows 'unregister_netdevice: waiting for wgrshc0 to become free'"
	fi
	if [ "$flavor" = debug ]; then
		# CONFIG_NET_DEV_REFCNT_TRACKER: where the reference was taken.
		if grep -aqE 'ref_tracker: netdev@[0-9a-f]+ has [0-9]+/[0-9]+ users at' "$work/1/results.log" &&
			grep -aq 'wgrs_hc_hold_netdev' "$work/1/results.log"; then
			result PASS "[$flavor] harness self-check: the ref_tracker report names where the reference was taken"
		else
			result FAIL "[$flavor] harness self-check: the ref_tracker report names where the reference was taken"
		fi
	fi
	expect PASS '.* VM ran all tests and shut down' "the first boot shut down"
	expect_nothing_else

	# Second boot, the leak accounting's: what a script leaves behind that
	# cleaning up cannot remove (lib.sh, cleanup_all and "Leak
	# accounting"); the pinned module last, as it cannot be unloaded.
	run_vm "$flavor" "$kdir" "$work/acct" minimal "${mods[@]}" -- \
		"$sd/13-slab.sh" "$sd/14-netns-ref.sh" "$sd/15-leftover.sh" "$sd/16-pinned.sh"
	expect PASS '.* slab: the module loads and keeps an object in its cache$' "the slab script itself passes"
	expect FAIL '.* 13-slab: no objects left in the slab caches wgrs_\* once no device is left$' \
		"caught an object left in a slab cache named wgrs_* (counted before unloading)"
	expect PASS '.* 13-slab: leaves no namespace, device, module or slab object behind$' \
		"the accounting after a module that freed its object on unloading is a PASS"
	expect PASS '.* 13-slab: kernel log has no reports$' "the slab script's clean log is a PASS"
	expect PASS '.* netns-ref: the module loads in a namespace and keeps a reference to it$' "the namespace script itself passes"
	expect FAIL '.* 14-netns-ref: leaves no namespace, device, module or slab object behind$' \
		"caught a namespace that outlived its deletion (leak accounting)"
	if grep -aqE '^    namespaces: ([0-9]+) before, ' "$work/acct/results.log"; then
		result PASS "[$flavor] harness self-check: the accounting shows the namespace count that grew"
	else
		result FAIL "[$flavor] harness self-check: the accounting shows the namespace count that grew"
	fi
	expect PASS '.* 14-netns-ref: kernel log has no reports$' "the namespace script's clean log is a PASS"
	expect PASS '.* leftover: a process holding a namespace is left running \(sleep, in it\)$' "the leftover script itself passes"
	if grep -aqE '^    NOTE: 15-leftover left processes running; killing them: [0-9]+\(sleep\)$' "$work/acct/results.log"; then
		result PASS "[$flavor] harness self-check: the process a script left running is killed (a NOTE)"
	else
		result FAIL "[$flavor] harness self-check: the process a script left running is killed (a NOTE)"
	fi
	expect PASS '.* 15-leftover: leaves no namespace, device, module or slab object behind$' \
		"the accounting after the leftover process was killed is a PASS (the namespace it held was freed)"
	expect PASS '.* pinned: the module loads and takes a reference to itself$' "the pinning script itself passes"
	expect FAIL '.* 16-pinned: rmmod wgrs_harness_check after the script' "caught a module still in use after a script"
	expect FAIL '.* 16-pinned: leaves no namespace, device, module or slab object behind$' \
		"caught the module left loaded (leak accounting)"
	expect PASS '.* 16-pinned: kernel log has no reports$' "the pinning script's clean log is a PASS"
	expect PASS '.* ran [0-9]+ of [0-9]+ test scripts$' "all scripts of the accounting's boot ran"
	expect PASS '.* VM ran all tests and shut down' "the accounting's boot shut down"
	expect_nothing_else

	# Third boot: the kernel dies in the middle of a script (a panic on
	# the normal kernel, a WARN with panic_on_warn=1 on debug).
	run_vm "$flavor" "$kdir" "$work/2" minimal "${mods[@]}" -- "$sd/11-fatal.sh" "$sd/12-never-runs.sh"
	expect PASS '.* fatal: a result before the kernel dies$' "the result before the kernel died is read"
	expect FAIL '.* 11-fatal: did not finish' "caught a kernel that died in the middle of a script"
	expect FAIL '.* ran 0 of 2 test scripts' "caught a script that never ran"
	expect FAIL '.* VM did not finish' "caught a VM that did not shut down"
	expect FAIL '.* console has kernel reports$' "caught the panic on the console"
	if [ "$qemu_rc" != 124 ]; then
		result PASS "[$flavor] harness self-check: the dead kernel ended the boot in ${t_boot}s, not a hang"
	else
		result FAIL "[$flavor] harness self-check: the dead kernel ended the boot in ${t_boot}s, not a hang"
	fi
	expect_nothing_else
}

# The instruction profile (bench/32-insn-profile.sh): QEMU counts the
# guest's instructions with a plugin of ours, built here.
plugin=()
insn_plugin() { # insn_plugin KDIR WORK: set plugin=(...) for the boot
	local so=${WGRS_WORK:-$WGRS_CACHE}/insn_count.so mark
	mark=$(awk '$3 == "__x64_sys_sync" { print "0x" $1 }' "$1/System.map")
	if [ -z "$mark" ] || ! gcc -O2 -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror \
		-o "$so" "$here/selftests/tools/insn_count.c" -lpthread; then
		return 1
	fi
	plugin=(-plugin "$so,mark=$mark,out=$2/insn")
}
insn_report() { # insn_report FLAVOR KDIR WORK: count the profile's results
	local line
	while IFS= read -r line; do
		case $line in
		"PASS: "*) result PASS "[$1] ${line#PASS: }";;
		"FAIL: "*) result FAIL "[$1] ${line#FAIL: }";;
		*" passed, "*" failed") ;;
		*) echo "[$1] $line"; echo "$line" >> "$3/insn-report.txt";;
		esac
	done < <(/usr/bin/python3 "$here/selftests/tools/insn_report.py" "$2/System.map" "$3/results.log" "$3/insn")
}
# --bench: every run's raw figures go to one results file (both clocks of
# a `make bench` share it), with the host's load before and after the boot;
# selftests/bench/report.py prints the run's summary from it.
bench_results=${WGRS_BENCH_RESULTS:-${WGRS_WORK:-$WGRS_CACHE}/bench/results-$(date +%Y%m%d-%H%M%S).txt}

for flavor in "${flavors[@]}"; do
	t0=$(date +%s)
	if ! kdir=$("$here/scripts/build-kernel.sh" "$flavor"); then
		result FAIL "[$flavor] kernel build"; continue
	fi
	work=${WGRS_WORK:-$WGRS_CACHE}/run/$flavor${group:+-$group}
	if [ $mode = selfcheck ]; then
		selfcheck_early_death "$flavor" "$work/selfcheck-early"
		selfcheck "$flavor" "$kdir" "$work/selfcheck"
		continue
	fi
	if ! ko=$("$here/scripts/build-module.sh" "$kdir" "$flavor"); then
		result FAIL "[$flavor] module build"; continue
	fi
	mods=()
	case $mode in
	tests) dir=tests; variant=tests;;
	bench) dir=bench; variant=bench;;
	demo) dir=""; variant="";;
	esac
	if [ -n "$variant" ]; then
		# The KUnit suites (tests or benchmarks) live in a build of their
		# own; the module every other test loads carries no test code.
		if ! kko=$("$here/scripts/build-module.sh" "$kdir" "$flavor" "$variant"); then
			result FAIL "[$flavor] module build ($variant)"; continue
		fi
		mods=(--module "kunit/wireguard-rs.ko" "$kko")
	fi
	scripts=()
	if [ -n "$dir" ]; then
		[ ${#only[@]} -gt 0 ] || only=("")
		for t in "$here/selftests/$dir"/*.sh; do
			for o in "${only[@]}"; do
				case $(basename "$t") in *${o}*) scripts+=("$t"); break;; esac
			done
		done
		if [ ${#scripts[@]} = 0 ]; then
			result FAIL "[$flavor] --only '${only[*]}' matches no script in selftests/$dir"; continue
		fi
	fi
	plugin=()
	if [ $mode = bench ] && printf '%s\n' "${scripts[@]}" | grep -q insn-profile &&
		! insn_plugin "$kdir" "$work"; then
		result FAIL "[$flavor] the instruction-counting QEMU plugin builds"; continue
	fi
	echo "== [$flavor] built in $(( $(date +%s) - t0 ))s"
	load0=$(cat /proc/loadavg)
	run_vm "$flavor" "$kdir" "$work" "$mode" --module wireguard-rs.ko "$ko" "${mods[@]}" -- "${scripts[@]}"
	[ ${#plugin[@]} = 0 ] || insn_report "$flavor" "$kdir" "$work"
	[ $mode != bench ] || /usr/bin/python3 "$here/selftests/bench/report.py" record "$bench_results" "$work/results.log" \
		--clock "${WGRS_BENCH_CLOCK:-icount}" --kernel "$(basename "$kdir")" --load-before "$load0" \
		--load-after "$(cat /proc/loadavg)" --commit "$(git -C "$here" describe --always --dirty 2>/dev/null)" \
		--extra "$work/insn-report.txt" | sed "s/^/[$flavor] /"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

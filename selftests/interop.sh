#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# interop.sh [--break-key] FLAVOR...   (FLAVOR: normal | debug)
#
# Interop with the C driver: two guests of the same kernel flavor, joined by
# a QEMU "dgram" network over the host's loopback (virtio-net), one running
# the C wireguard.ko and the other our wireguard-rs.ko (both own the genl
# family "wireguard", so they cannot share a kernel). vm1 drives the test
# (selftests/interop-guest.sh): over outer IPv4 and outer IPv6, with the
# handshake initiated by each side in turn, the first ping's exact byte
# counters, pings both ways over inner IPv4 and IPv6, and TCP transfers both
# ways checked against a hash computed away from the network. Then a second
# boot with the drivers swapped between the guests.
#
# One "PASS|FAIL: [FLAVOR] interop: ..." line per check, a check that
# neither console shows kernel reports, "N passed, N failed" at the end;
# exits non-zero if anything failed.
#
# --break-key gives vm1 a wrong public key for its peer: a self-test of the
# checks (the handshake and everything after it must FAIL).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/toolchain.env"
break_key=0
flavors=()
while [ $# -gt 0 ]; do
	case $1 in
	--break-key) break_key=1;;
	normal|debug) flavors+=("$1");;
	*) echo "usage: $0 [--break-key] normal|debug..." >&2; exit 2;;
	esac
	shift
done
[ ${#flavors[@]} -gt 0 ] || flavors=(normal)

. "$here/selftests/host-lib.sh"

pids=()
# Interrupted: take the guests down too (timeout passes the signal on).
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
trap 'exit 130' INT TERM

# boot FLAVOR KDIR WORK D1 D2: one run of both guests, vm1 with driver D1
# and vm2 with D2; collect both consoles' results.
boot() {
	local flavor=$1 kdir=$2 work=$3 d1=$4 d2=$5 vm t0 port mem deadline
	pids=()
	local tag="$d1-$d2" base="[$flavor] interop: vm1 $d1 + vm2 $d2"
	mem=768 deadline=1200
	[ "$flavor" = debug ] && mem=2048 deadline=3000
	# Two UDP ports on the loopback, one per guest; a run beside another
	# (or another checkout's) picks other ones.
	port=$((20000 + (RANDOM % 2000) * 2))
	t0=$(date +%s)
	for vm in 1 2; do
		local mine=$((port + vm - 1)) theirs=$((port + 2 - vm)) drv peer
		drv=$d1 peer=$d2; [ $vm = 2 ] && drv=$d2 peer=$d1
		# As in selftests/run.sh: no5lvl.
		local cmdline="console=ttyS0 panic=-1 oops=panic loglevel=4 no5lvl rdinit=/interop/guest.sh"
		cmdline+=" wgrs.vm=$vm wgrs.driver=$drv wgrs.peerdriver=$peer wgrs.flavor=$flavor wgrs.deadline=$deadline wgrs.cpus=$WGRS_SMP"
		[ "$flavor" = debug ] && cmdline+=" panic_on_warn=1 kmemleak=on"
		timeout $((deadline + 300)) qemu-system-x86_64 -accel tcg -cpu max -smp "$WGRS_SMP" -m $mem \
			-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$work/vm$vm.cpio.gz" \
			-append "$cmdline" -nographic -no-reboot -monitor none -serial stdio \
			-netdev "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=$mine,remote.type=inet,remote.host=127.0.0.1,remote.port=$theirs" \
			-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:0$vm" \
			</dev/null >"$work/console-$tag-vm$vm.log" 2>&1 &
		pids+=($!)
	done
	local rc1=0 rc2=0
	wait "${pids[0]}" || rc1=$?
	wait "${pids[1]}" || rc2=$?
	echo "== [$flavor] vm1 $d1 + vm2 $d2: both guests done in $(( $(date +%s) - t0 ))s"
	for vm in 1 2; do
		local log="$work/console-$tag-vm$vm.log" rc=$rc1 last=""
		[ $vm = 2 ] && rc=$rc2
		sed -i 's/\r$//' "$log"
		while IFS= read -r line; do
			case $line in
			"WGRS-RESULT PASS "*) result PASS "[$flavor] ${line#WGRS-RESULT PASS }";;
			"WGRS-RESULT FAIL "*) result FAIL "[$flavor] ${line#WGRS-RESULT FAIL }";;
			"    "*) [ "$last" = FAIL ] && echo "$line";;
			esac
			case $line in "WGRS-RESULT "*) last=${line:12:4};; esac
		done < <(grep -a -E '^(WGRS-RESULT |    )' "$log")
		if grep -aq '^WGRS-DONE' "$log"; then
			result PASS "$base: vm$vm ran to the end and shut down"
		else
			result FAIL "$base: vm$vm did not finish (qemu exit $rc); last lines of $log:"
			tail -n 30 "$log" | sed 's/^/    /'
		fi
		local reports
		reports=$(console_reports "$log")
		if [ -z "$reports" ]; then
			result PASS "$base: vm$vm console has no kernel warnings or sanitizer reports"
		else
			result FAIL "$base: vm$vm console has kernel reports"
			printf '%s\n' "$reports" | sed 's/^/    /'
		fi
	done
}

for flavor in "${flavors[@]}"; do
	t0=$(date +%s)
	if ! kdir=$("$here/scripts/build-kernel.sh" "$flavor"); then
		result FAIL "[$flavor] interop: kernel build"; continue
	fi
	if ! ko=$("$here/scripts/build-module.sh" "$kdir" "$flavor"); then
		result FAIL "[$flavor] interop: module build"; continue
	fi
	work=${WGRS_WORK:-$WGRS_CACHE}/interop/$flavor
	rm -rf "$work"; mkdir -p "$work"
	# The project's initramfs with no test scripts (the guests boot
	# interop-guest.sh instead of its /init), plus one small archive per
	# guest with the interop scripts and that guest's keys.
	if ! "$here/selftests/mkinitramfs.sh" "$kdir" "$work/base.cpio.gz" base --module wireguard-rs.ko "$ko" -- >"$work/mkinitramfs.log" 2>&1; then
		cat "$work/mkinitramfs.log" >&2
		result FAIL "[$flavor] interop: initramfs"; continue
	fi
	(umask 077; wg genkey > "$work/key1"; wg genkey > "$work/key2"; wg genpsk > "$work/psk")
	for vm in 1 2; do
		o=$work/overlay$vm
		mkdir -p "$o/interop"
		cp "$here/selftests/interop-guest.sh" "$o/interop/guest.sh"
		cp "$here/selftests/tools/rexec.py" "$o/interop/rexec.py"
		chmod +x "$o/interop/guest.sh"
		cp "$work/key$vm" "$o/interop/key"
		wg pubkey < "$work/key$((3 - vm))" > "$o/interop/peer.pub"
		cp "$work/psk" "$o/interop/psk"
		[ $break_key = 1 ] && [ $vm = 1 ] && wg genkey | wg pubkey > "$o/interop/peer.pub"
		# A second archive after the first: the kernel unpacks both.
		{ cat "$work/base.cpio.gz"; (cd "$o" && find . | cpio -o -H newc --quiet | gzip -1); } > "$work/vm$vm.cpio.gz"
	done
	echo "== [$flavor] interop: booting two guests of $(basename "$kdir") (build+pack $(( $(date +%s) - t0 ))s)"
	boot "$flavor" "$kdir" "$work" c rs
	boot "$flavor" "$kdir" "$work" rs c
	echo "== [$flavor] interop: $(( $(date +%s) - t0 ))s in all"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

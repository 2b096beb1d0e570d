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
# checks (the handshake and everything after it must be reported as FAILs;
# each one that is counts as a PASS of the self-test).
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

# boot FLAVOR KDIR WORK D1 D2 [ROUNDS]: one run of both guests, vm1 with
# driver D1 and vm2 with D2 (ROUNDS: how many of vm1's rounds to run, all
# by default); collect each guest's results (its ttyS1, in the protocol of
# selftests/init.sh) and scan its console.
boot() {
	local flavor=$1 kdir=$2 work=$3 d1=$4 d2=$5 rounds=${6:-all} vm t0 port mem deadline
	pids=()
	local tag="$d1-$d2"
	mem=768 deadline=1200
	[ "$flavor" = debug ] && mem=2048 deadline=3000
	# Two UDP ports on the loopback, one per guest; a run beside another
	# (or another checkout's) picks other ones.
	port=$((20000 + (RANDOM % 2000) * 2))
	t0=$(date +%s)
	for vm in 1 2; do
		local mine=$((port + vm - 1)) theirs=$((port + 2 - vm)) drv peer
		drv=$d1 peer=$d2; [ $vm = 2 ] && drv=$d2 peer=$d1
		# As in selftests/run.sh: no5lvl. pci=noacpi: the NIC's interrupt
		# is routed by the firmware's PCI IRQ table, not by evaluating
		# ACPI's _PRT method: on the debug kernel under emulation that
		# method's loop ran past ACPICA's 30 s loop limit
		# (AE_AML_LOOP_TIMEOUT), the NIC got no interrupt ("PCI INT A: no
		# GSI"), its transmit queue timed out and the guests never met.
		# (CPUs are still found through ACPI: that needs no method.)
		local cmdline="console=ttyS0 panic=-1 oops=panic loglevel=4 no5lvl pci=noacpi rdinit=/interop/guest.sh"
		cmdline+=" wgrs.vm=$vm wgrs.driver=$drv wgrs.peerdriver=$peer wgrs.flavor=$flavor wgrs.deadline=$deadline"
		cmdline+=" wgrs.cpus=$WGRS_SMP wgrs.rounds=$rounds"
		[ "$flavor" = debug ] && cmdline+=" panic_on_warn=1 kmemleak=on"
		vm_time "$work/qemu-$tag-vm$vm.time" timeout $((deadline + 300)) qemu-system-x86_64 -accel tcg -cpu max -smp "$WGRS_SMP" -m $mem \
			-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$work/vm$vm.cpio.gz" \
			-append "$cmdline" -nographic -no-reboot -monitor none \
			-serial stdio -serial "file:$work/results-$tag-vm$vm.log" \
			-netdev "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=$mine,remote.type=inet,remote.host=127.0.0.1,remote.port=$theirs" \
			-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:0$vm" \
			</dev/null >"$work/console-$tag-vm$vm.log" 2>&1 &
		pids+=($!)
	done
	local rc1=0 rc2=0
	wait "${pids[0]}" || rc1=$?
	wait "${pids[1]}" || rc2=$?
	t_boot=$(( $(date +%s) - t0 ))
	echo "== [$flavor] vm1 $d1 + vm2 $d2: both guests done in ${t_boot}s"
	for vm in 1 2; do echo "== [$flavor] vm$vm: $(vm_time_show "$work/qemu-$tag-vm$vm.time")"; done
	for vm in 1 2; do
		local console="$work/console-$tag-vm$vm.log" results="$work/results-$tag-vm$vm.log" drv=$d1
		[ $vm = 2 ] && drv=$d2
		qemu_rc=$rc1; [ $vm = 2 ] && qemu_rc=$rc2
		sed -i 's/\r$//' "$console" "$results"
		collect "[$flavor]" "interop: vm1 $d1 + vm2 $d2: vm$vm" "$results" "$console" "interop-vm$vm-$drv"
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
	work=${WGRS_WORK:-$WGRS_CACHE}/interop/$flavor$([ $break_key = 0 ] || echo -break-key)
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
	if [ $break_key = 1 ]; then
		# A self-test of the checks: vm1 knows a wrong public key for its
		# peer, so no handshake can complete. One round is enough: each
		# check that needs a working tunnel must FAIL, the rest PASS.
		collecting=1
		boot "$flavor" "$kdir" "$work" c rs 1
		p='interop: vm1 c \+ vm2 rs, outer IPv4, vm1 \(c\) initiates'
		expect PASS ".* $p: wg0 set up on both guests" "the devices are set up"
		expect FAIL ".* $p: first ping c -> rs completes the handshake" "caught a handshake that does not complete"
		expect FAIL ".* $p: initiator c rx/tx bytes" "caught wrong byte counters (initiator)"
		expect FAIL ".* $p: responder rs rx/tx bytes" "caught wrong byte counters (responder)"
		expect FAIL ".* $p: c's latest handshake is recent" "caught no handshake (initiator)"
		expect FAIL ".* $p: rs's latest handshake is recent" "caught no handshake (responder)"
		expect FAIL ".* $p: ping c -> rs inner IPv6" "caught a ping that does not cross (IPv6)"
		expect FAIL ".* $p: ping rs -> c inner IPv4" "caught a ping that does not cross (back, IPv4)"
		expect FAIL ".* $p: ping rs -> c inner IPv6" "caught a ping that does not cross (back, IPv6)"
		expect FAIL ".* $p: TCP 2 MiB c -> rs inner IPv4" "caught a TCP transfer that does not cross"
		expect FAIL ".* $p: TCP 2 MiB rs -> c inner IPv6" "caught a TCP transfer that does not cross (back)"
		expect PASS ".* vm1: ran 1 of 1 test scripts" "vm1's script ran"
		expect PASS ".* vm1: VM ran all tests and shut down" "vm1 shut down"
		expect PASS ".* vm2: VM ran all tests and shut down" "vm2 shut down"
		expect_nothing_else
		collecting=0
		continue
	fi
	boot "$flavor" "$kdir" "$work" c rs
	# The debug kernel runs one boot: it has both drivers initiate, over
	# both outer families, with and without a preshared key; the drivers'
	# places swapped (vm1 drives) are covered on the normal kernel.
	[ "$flavor" = debug ] || boot "$flavor" "$kdir" "$work" rs c
	echo "== [$flavor] interop: $(( $(date +%s) - t0 ))s in all"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

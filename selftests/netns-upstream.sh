#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# netns-upstream.sh [--no-c|--c-only] FLAVOR...   (FLAVOR: normal | debug)
#
# Run the kernel's own WireGuard selftest, tools/testing/selftests/wireguard/
# netns.sh from the fetched kernel source, unmodified, against wireguard-rs
# (loaded with drop_in=1, so netns.sh's "type wireguard" devices are ours) in
# a QEMU VM with a Debian trixie userland (scripts/build-userland.sh), once
# per flavor. Then, unless --no-c, once against the C driver from the same
# kernel build: a reference line, not counted, that tells a module bug from
# a harness problem or a flaw of netns.sh itself (--c-only: only that one).
# A failed check is a FAIL: there is no second boot.
#
# Prints PASS/FAIL lines in the format of selftests/run.sh, ends with
# "N passed, N failed" and exits non-zero on any failure. Console logs are
# kept in ${WGRS_WORK:-$WGRS_CACHE}/netns-upstream/FLAVOR-DRIVER/console.log.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/toolchain.env"
c_ref=1 rs=1
flavors=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-c) c_ref=0;;
	--c-only) rs=0;;
	normal|debug) flavors+=("$1");;
	*) echo "usage: $0 [--no-c|--c-only] normal|debug..." >&2; exit 2;;
	esac
	shift
done
[ ${#flavors[@]} -gt 0 ] || flavors=(normal)

. "$here/selftests/host-lib.sh"

base=${WGRS_WORK:-$WGRS_CACHE}/netns-upstream
mkdir -p "$base"
t0=$(date +%s)
if ! userland=$("$here/scripts/build-userland.sh"); then
	result FAIL "netns.sh userland (scripts/build-userland.sh)"
	echo "$passed passed, $failed failed"; exit 1
fi
echo "== userland $(basename "$userland") ready ($(( $(date +%s) - t0 ))s)"

# netns FLAVOR KDIR DRIVER(rs|c) KO: boot one VM that runs netns.sh against
# KO; sets ok (1 if netns.sh passed), why, secs, reports and log.
netns() {
	local flavor=$1 kdir=$2 driver=$3 ko=$4 work ovl cmdline tmo attempt rc t1
	work=$base/$flavor-$driver
	rm -rf "$work"; mkdir -p "$work"
	log=$work/console.log ok=0 why="" secs="?" reports="" cpus="" objects=""
	# The userland archive comes first; a small second archive adds init,
	# the script, the module and a static busybox (for reboot -f).
	ovl=$(mktemp -d)
	mkdir -p "$ovl/wgrs"
	cp "$here/selftests/netns-init.sh" "$ovl/init"
	cp "$kdir/source/tools/testing/selftests/wireguard/netns.sh" "$ovl/wgrs/netns.sh"
	cp /bin/busybox "$ovl/wgrs/busybox"
	cp "$REPORTS_RE" "$ovl/wgrs/kernel-reports.txt"
	if [ "$driver" = rs ]; then cp "$ko" "$ovl/wgrs/wireguard-rs.ko"; else cp "$ko" "$ovl/wgrs/wireguard.ko"; fi
	chmod 755 "$ovl/init"
	cat "$userland" - > "$work/initramfs.cpio" < <(cd "$ovl" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet)
	rm -rf "$ovl"
	# The guest's own timeout for netns.sh, then the host's for the VM (a
	# passing run takes 4-6 min on normal, 10-13 min on debug here).
	tmo=900; [ "$flavor" = debug ] && tmo=2400
	cmdline="console=ttyS0 panic=-1 oops=panic no5lvl wgrs.driver=$driver wgrs.timeout=$tmo"
	[ "$flavor" = debug ] && cmdline+=" panic_on_warn=1 kmemleak=on"
	t1=$(date +%s)
	for attempt in 1 2; do
		vm_time "$work/qemu.time" timeout --foreground $((tmo + 300)) qemu-system-x86_64 -accel tcg -cpu max -smp "$WGRS_SMP" -m 2048 \
			-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$work/initramfs.cpio" \
			-append "$cmdline" -nographic -no-reboot -monitor none -nic none -serial stdio \
			</dev/null >"$log" 2>&1
		rc=$?
		sed -i 's/\r$//' "$log"
		# A kernel that died before our init ran never saw the module: its
		# console is scanned (selftests/host-lib.sh), then it boots again.
		if [ $attempt = 1 ] && ! grep -aq '^WGRS-NETNS-BOOTED' "$log"; then
			mv "$log" "$work/console-boot-failure.log"
			early_death "$work/console-boot-failure.log" "[$flavor] netns.sh ($driver)"
			continue
		fi
		break
	done
	rm -f "$work/initramfs.cpio"
	echo "== [$flavor] netns.sh VM ($driver): $(vm_time_show "$work/qemu.time")"
	secs=$(( $(date +%s) - t1 ))
	reports=$(console_reports "$log")
	cpus=$(sed -n 's/^WGRS-NETNS-CPUS //p' "$log" | head -n 1)
	objects=$(sed -n 's/^WGRS-NETNS-OBJECTS //p' "$log" | head -n 1)
	local res
	res=$(grep -a '^WGRS-NETNS-RESULT ' "$log" | tail -n1)
	if ! grep -aq '^WGRS-DONE' "$log"; then
		why="VM did not finish: qemu exit $rc after ${secs}s"
	elif [[ $res == "WGRS-NETNS-RESULT PASS "* ]]; then
		ok=1 why="netns.sh ${res#WGRS-NETNS-RESULT PASS }, VM ${secs}s"
	else
		why="${res#WGRS-NETNS-RESULT FAIL }"
	fi
	# Where netns.sh stopped: its failing line and its last steps.
	local err
	err=$(grep -a '^WGRS-NETNS-ERR ' "$log" | head -n1)
	if [ -n "$err" ]; then
		# With the text of that line, from the same netns.sh.
		local n
		n=$(sed -n 's/^WGRS-NETNS-ERR .* at netns\.sh line \([0-9]*\).*/\1/p' <<<"$err")
		why+="; ${err#WGRS-NETNS-ERR }"
		[ -n "$n" ] && why+=": $(sed -n "${n}{s/^[[:space:]]*//;p}" "$kdir/source/tools/testing/selftests/wireguard/netns.sh")"
	fi
	[ $ok = 1 ] || why+="; log: $log"
	return 0
}

# details: the last steps netns.sh printed before it stopped.
details() {
	sed -n '/^WGRS-NETNS-BEGIN/,/^WGRS-NETNS-END/p' "$log" | grep -av '^WGRS-NETNS-\(BEGIN\|END\)' \
		| sed 's/\x1b\[[0-9;]*m//g' | grep -av '^$' | tail -n 15 | sed 's/^/    /'
	[ -n "$(sed -n '/^WGRS-NETNS-BEGIN/,/^WGRS-NETNS-END/p' "$log")" ] || tail -n 15 "$log" | sed 's/^/    /'
}

# objects_seen: netns.sh's last check pairs each object's "created" and
# "destroyed" lines, and the run just made had both kinds to pair (with
# none that check passes for nothing: the C driver prints them only when
# built with DEBUG, ours only with log_objects=1).
objects_seen() {
	[[ $objects =~ ^peers=([0-9]+)\ keypairs=([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] && [ "${BASH_REMATCH[2]}" -gt 0 ]
}

# cdebug_module KDIR OUT: build the C driver of KDIR's source out of tree
# with -DDEBUG (what CONFIG_WIREGUARD_DEBUG adds to its build), into OUT;
# prints the module's path. It then prints the object lines netns.sh pairs
# (and runs its own selftests as it loads: once, in the reference run).
# The kernel's config stays as it is: CONFIG_WIREGUARD_DEBUG=y would run
# those selftests on every load of wireguard.ko, in every test.
cdebug_module() {
	local out=$2
	rm -rf "$out"; mkdir -p "$out"
	cp -r "$1/source/drivers/net/wireguard/." "$out/"
	if ! make -C "$1" M="$out" "${WGRS_MAKEFLAGS[@]}" KCFLAGS=-DDEBUG modules > "$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		return 1
	fi
	echo "$out/wireguard.ko"
}

# check_cpus FLAVOR: the VM brought up every vCPU it was given.
check_cpus() {
	check_eq_host "[$1] netns.sh VM: all $WGRS_SMP vCPUs it was given are online" "$WGRS_SMP" "${cpus:-none}"
}

ref=""
for flavor in "${flavors[@]}"; do
	t0=$(date +%s)
	if ! kdir=$("$here/scripts/build-kernel.sh" "$flavor"); then
		result FAIL "[$flavor] kernel build"; continue
	fi
	if ! ko=$("$here/scripts/build-module.sh" "$kdir" "$flavor"); then
		result FAIL "[$flavor] module build"; continue
	fi
	if [ $rs = 1 ]; then
		echo "== [$flavor] booting $(basename "$kdir") for netns.sh against wireguard-rs (build $(( $(date +%s) - t0 ))s)"
		netns "$flavor" "$kdir" rs "$ko"
		check_cpus "$flavor"
		if objects_seen; then
			result PASS "[$flavor] netns.sh's object accounting had lines to pair (wireguard-rs log_objects=1: $objects)"
		else
			result FAIL "[$flavor] netns.sh's object accounting had lines to pair (wireguard-rs log_objects=1: ${objects:-no count})"
		fi
		if [ $ok = 1 ]; then
			result PASS "[$flavor] netns.sh (upstream, unmodified) against wireguard-rs drop_in=1 ($why)"
		else
			result FAIL "[$flavor] netns.sh (upstream, unmodified) against wireguard-rs drop_in=1" "$why"
			details
		fi
		if [ -z "$reports" ]; then
			result PASS "[$flavor] console has no kernel warnings or sanitizer reports (netns.sh, wireguard-rs)"
		else
			result FAIL "[$flavor] console has kernel reports (netns.sh, wireguard-rs; $log)"
			printf '%s\n' "$reports" | sed 's/^/    /'
		fi
	fi
	if [ $c_ref = 1 ]; then
		if ! cko=$(cdebug_module "$kdir" "$base/$flavor-cdebug-module"); then
			result FAIL "[$flavor] the C driver's module built with -DDEBUG (for the reference run)"; continue
		fi
		echo "== [$flavor] booting again for netns.sh against the C driver (reference, built with -DDEBUG)"
		netns "$flavor" "$kdir" c "$cko"
		name="[$flavor] netns.sh (upstream, unmodified) against the C driver wireguard.ko -DDEBUG (reference, not counted"
		objects_seen || { ok=0 why="no object lines to pair (${objects:-no count}); $why"; }
		[ -z "$objects" ] || why="$why; objects: $objects"
		if [ $ok = 1 ] && [ -z "$reports" ]; then
			ref=PASS; echo "PASS: $name; $why)"
		else
			ref=FAIL; echo "FAIL: $name; $why${reports:+; console has kernel reports})"
			[ $ok = 1 ] || details
			[ -z "$reports" ] || printf '%s\n' "$reports" | sed 's/^/    /'
		fi
	fi
done
[ -z "$ref" ] || echo "C driver reference: $ref"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh FLAVOR...   (FLAVOR: normal | debug; what `make check` runs)
#
# Everything, for each flavor in turn:
#
#   1. selftests/run.sh --selfcheck  the harness's own checks fail when they should
#   2. selftests/run.sh              the VM tests (tests/*.sh, KUnit included)
#   3. selftests/interop.sh          the C driver in a second VM, both ways
#   4. selftests/netns-upstream.sh   the kernel's netns.sh, unmodified
#
# and once, on the host: the known-answer vectors regenerate to the
# committed file. The kernels are built first; the debug kernel builds in
# the background while the normal kernel's VMs run (they leave the CPU idle
# while their guests wait on timers). Each part's output is shown as it
# runs; the last line adds up every part's "N passed, N failed". A part
# that prints no such line counts as one failure.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/toolchain.env"
flavors=("$@")
[ ${#flavors[@]} -gt 0 ] || flavors=(normal debug)
for f in "${flavors[@]}"; do
	case $f in normal|debug) ;; *) echo "usage: $0 [normal|debug]..." >&2; exit 2;; esac
done
logs=${WGRS_WORK:-$WGRS_CACHE}/check
rm -rf "$logs"; mkdir -p "$logs"
passed=0 failed=0 t_all=$(date +%s)
times=()

# part NAME CMD...: run a part, show its output, add up its summary line.
part() {
	local name=$1 log t0 line
	shift
	log=$logs/$(echo "$name" | tr -c 'a-z0-9\n' '-').log
	t0=$(date +%s)
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		passed=$((passed + ${line%% passed*}))
		line=${line#* passed, }
		failed=$((failed + ${line%% failed}))
	else
		echo "FAIL: $name printed no result count"
		failed=$((failed + 1))
	fi
	times+=("$name $(( $(date +%s) - t0 ))s")
}

vectors() {
	local out
	out=$(mktemp)
	if /usr/bin/python3 "$here/selftests/vectors/gen_noise_vectors.py" "$out" >/dev/null &&
		cmp -s "$out" "$here/rust/selftest/noise_vectors.rs"; then
		echo "PASS: known-answer vectors: the generator reproduces rust/selftest/noise_vectors.rs"
		echo "1 passed, 0 failed"
	else
		echo "FAIL: known-answer vectors: the generator reproduces rust/selftest/noise_vectors.rs"
		diff "$out" "$here/rust/selftest/noise_vectors.rs" | head -n 20 | sed 's/^/    /'
		echo "0 passed, 1 failed"
	fi
	rm -f "$out"
}
part "host: known-answer vectors" vectors

# Kernels: the first flavor now, the others in the background.
bg=()
for f in "${flavors[@]}"; do
	if [ "$f" = "${flavors[0]}" ]; then
		"$here/scripts/build-kernel.sh" "$f" >/dev/null || true
	else
		"$here/scripts/build-kernel.sh" "$f" >"$logs/build-kernel-$f.log" 2>&1 &
		bg+=("$f:$!")
	fi
done

for f in "${flavors[@]}"; do
	for b in "${bg[@]}"; do
		[ "${b%%:*}" = "$f" ] || continue
		echo "=== [$f] waiting for the kernel build started in the background"
		wait "${b#*:}"
		cat "$logs/build-kernel-$f.log"
	done
	part "[$f] harness self-check" "$here/selftests/run.sh" --selfcheck "$f"
	part "[$f] VM tests" "$here/selftests/run.sh" "$f"
	part "[$f] interop with the C driver" "$here/selftests/interop.sh" "$f"
	# The interop checks' own self-test (a wrong key must fail them): the
	# harness is the same on both kernels, so once.
	[ "$f" != normal ] || part "[$f] interop self-check (--break-key)" "$here/selftests/interop.sh" --break-key "$f"
	part "[$f] upstream netns.sh" "$here/selftests/netns-upstream.sh" --no-c "$f"
done

echo "=== times: ${times[*]/%/;} all $(( $(date +%s) - t_all ))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh FLAVOR...   (FLAVOR: normal | debug; what `make check` runs)
#
# Everything, for each flavor:
#
#   - selftests/run.sh --selfcheck  the harness's own checks fail when they should
#   - selftests/run.sh --group G     the VM tests (tests/*.sh, KUnit included),
#                                    in a few VMs that each run a group of scripts
#   - selftests/interop.sh           the C driver in a second VM, both ways
#                                    (and on normal, its --break-key self-test)
#   - selftests/netns-upstream.sh    the kernel's netns.sh, unmodified
#
# and once, on the host: the known-answer vectors regenerate to the
# committed file.
#
# The parts run side by side, at most WGRS_SLOTS "slots" at a time (a VM
# takes one, interop's two VMs two, a kernel build two; default 3 on two
# cores). A VM of two vCPUs keeps about one host core busy; four at once
# left each half a core (measured: 0.43 to 0.58 cores), and the guests'
# real-time waits then ran out (interop's second VM got 0.1 core and never
# answered): three is what two cores carry. A small scheduler starts each
# part once what it needs is built (its kernel and module, the netns.sh
# userland), the longest parts first.
# Each part's output goes to its own log, shown whole when the part ends,
# with its time; the last lines give every part's time and add up every
# part's "N passed, N failed". A part that prints no such line counts as
# one failure; so does a part whose prerequisite failed.
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
slots_max=${WGRS_SLOTS:-3}
passed=0 failed=0 t_all=$(date +%s)
times=()

# The VM test groups: each is one VM booted with the scripts whose names
# match its patterns (run.sh --only). Together they must cover every
# script in selftests/tests/ exactly once (checked below). The split keeps
# the groups' times near each other and puts the long waits (the
# real-time rekey, the floods) beside busier scripts.
groups=(
	"a:0[1-9]- 1[0-4]- 3[0-9]-"
	"b:1[5-9]- 2[0-3]-"
	"c:2[4-9]-"
)

# ---- the parts ----

# A part is NAME|SLOTS|DEPS|COMMAND: DEPS are the names of parts that must
# have succeeded first (space-separated), COMMAND a shell command line.
jobs=()
add() { jobs+=("$1|$2|$3|$4"); }

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

# prep FLAVOR: the kernel, then the module and its KUnit test build side
# by side (each build is mostly one rustc process).
prep() {
	local kdir ok=1 pids=() v
	if ! kdir=$("$here/scripts/build-kernel.sh" "$1"); then
		echo "FAIL: [$1] kernel build"; echo "0 passed, 1 failed"; return
	fi
	for v in "" tests; do
		"$here/scripts/build-module.sh" "$kdir" "$1" $v >/dev/null &
		pids+=($!)
	done
	for v in "${pids[@]}"; do wait "$v" || ok=0; done
	if [ $ok = 1 ]; then
		echo "PASS: [$1] kernel and module builds"; echo "1 passed, 0 failed"
	else
		echo "FAIL: [$1] kernel and module builds"; echo "0 passed, 1 failed"
	fi
}

userland() {
	if "$here/scripts/build-userland.sh" >/dev/null; then
		echo "PASS: netns.sh userland (scripts/build-userland.sh)"; echo "1 passed, 0 failed"
	else
		echo "FAIL: netns.sh userland (scripts/build-userland.sh)"; echo "0 passed, 1 failed"
	fi
}

# Every test script in exactly one group.
groups_cover() {
	local t g n bad=0
	for t in "$here"/selftests/tests/*.sh; do
		n=0
		for g in "${groups[@]}"; do
			for p in ${g#*:}; do
				case $(basename "$t") in *${p}*) n=$((n + 1)); break;; esac
			done
		done
		[ $n = 1 ] || { echo "    $(basename "$t") is in $n groups"; bad=1; }
	done
	if [ $bad = 0 ]; then echo "PASS: every test script is in exactly one VM group"; echo "1 passed, 0 failed"
	else echo "FAIL: every test script is in exactly one VM group"; echo "0 passed, 1 failed"; fi
}

add vectors 0 "" vectors
add groups 0 "" groups_cover
# Cold: the first flavor's kernel first (its tests can start), the
# others after, beside those tests.
prev=""
for f in "${flavors[@]}"; do
	add "prep-$f" 2 "$prev" "prep $f"
	prev="prep-$f"
done
# netns.sh's userland (a Debian trixie debootstrap, cached).
add userland 1 "" userland
# The longest parts first: the debug kernel's, whose VMs run several
# times longer than the normal kernel's; of each kernel's, interop first.
# It needs two slots at once: queued behind the one-slot parts it waited
# for two of them to end together, and then ran last, alone, with a slot
# idle beside it (CI on 2026-12-07: the debug interop began at +1400 s).
order=()
for f in debug normal; do
	for g in "${flavors[@]}"; do [ "$g" = "$f" ] && order+=("$f"); done
done
for f in "${order[@]}"; do
	add "[$f] interop with the C driver" 2 "prep-$f" "'$here/selftests/interop.sh' $f"
	add "[$f] upstream netns.sh" 1 "prep-$f userland" "'$here/selftests/netns-upstream.sh' --no-c $f"
	for g in "${groups[@]}"; do
		name=${g%%:*} pats=()
		for p in ${g#*:}; do pats+=(--only "'$p'"); done
		add "[$f] VM tests $name" 1 "prep-$f" "'$here/selftests/run.sh' --group $name ${pats[*]} $f"
	done
	add "[$f] harness self-check" 1 "prep-$f" "'$here/selftests/run.sh' --selfcheck $f"
	# The interop checks' own self-test (a wrong key must fail them): the
	# harness is the same on both kernels, so once.
	[ "$f" != normal ] || add "[$f] interop self-check (--break-key)" 2 "prep-$f" \
		"'$here/selftests/interop.sh' --break-key $f"
done

# ---- the scheduler ----

declare -A state=() pid_of=() started=() ended=()
slots_used=0

logname() { echo "$logs/$(echo "$1" | tr -c 'a-z0-9\n' '-').log"; }

# finish NAME STATUS: show a part's log and add up its count.
finish() {
	local name=$1 log line ok=1
	log=$(logname "$name")
	ended[$name]=$(date +%s)
	echo "=== $name ($(( ended[$name] - started[$name] ))s, ended at +$(( ended[$name] - t_all ))s)"
	cat "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		passed=$((passed + ${line%% passed*}))
		line=${line#* passed, }
		failed=$((failed + ${line%% failed}))
		[ "${line%% failed}" = 0 ] || ok=0
	else
		echo "FAIL: $name printed no result count"
		failed=$((failed + 1)) ok=0
	fi
	times+=("$name $(( ended[$name] - started[$name] ))s")
	if [ $ok = 1 ]; then state[$name]=ok; else state[$name]=failed; fi
}

# ready NAME DEPS: 0 when every dependency succeeded, 1 while one is still
# to come, 2 when one failed.
ready() {
	local d
	for d in $2; do
		case ${state[$d]:-} in
		ok) ;;
		failed|skipped) return 2;;
		*) return 1;;
		esac
	done
	return 0
}

for j in "${jobs[@]}"; do state[${j%%|*}]=pending; done
while :; do
	progress=0
	for j in "${jobs[@]}"; do
		IFS='|' read -r name slots deps cmd <<<"$j"
		[ "${state[$name]}" = pending ] || continue
		ready "$name" "$deps"
		case $? in
		2)
			state[$name]=skipped
			echo "=== $name"
			echo "FAIL: $name: not run, a part it needs failed ($deps)"
			failed=$((failed + 1)) progress=1
			continue;;
		1) continue;;
		esac
		# Room for it? (A part bigger than the machine runs alone.)
		if [ $((slots_used + slots)) -gt "$slots_max" ] && [ $slots_used -gt 0 ]; then continue; fi
		started[$name]=$(date +%s)
		eval "$cmd" > "$(logname "$name")" 2>&1 &
		pid_of[$!]=$name
		state[$name]=running
		slots_used=$((slots_used + slots)) progress=1
	done
	[ ${#pid_of[@]} -gt 0 ] || { [ $progress = 1 ] && continue; break; }
	wait -n -p done_pid "${!pid_of[@]}"
	name=${pid_of[$done_pid]}
	unset "pid_of[$done_pid]"
	for j in "${jobs[@]}"; do
		IFS='|' read -r n slots _ <<<"$j"
		[ "$n" = "$name" ] && slots_used=$((slots_used - slots))
	done
	finish "$name"
done

for j in "${jobs[@]}"; do
	name=${j%%|*}
	[ "${state[$name]}" = pending ] || continue
	echo "FAIL: $name: never started (its prerequisites never ran)"
	failed=$((failed + 1))
done
echo "=== times:"
printf '    %s\n' "${times[@]}"
echo "    all $(( $(date +%s) - t_all ))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

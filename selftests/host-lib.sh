# SPDX-License-Identifier: GPL-2.0
# Sourced by the host side of the harness (run.sh, interop.sh,
# netns-upstream.sh): counting results, and what a console shows.

# vCPUs of every test VM (QEMU's -smp); each VM checks that all came online.
WGRS_SMP=${WGRS_SMP:-2}

passed=0 failed=0
result() { # result PASS|FAIL name [reason]
	if [ "$1" = PASS ]; then passed=$((passed + 1)); echo "PASS: $2"
	else failed=$((failed + 1)); echo "FAIL: $2${3:+ ($3)}"; fi
}

# vm_time FILE CMD...: run CMD (a QEMU), writing its wall-clock and host
# CPU seconds to FILE; vm_time_show FILE prints them (how busy a VM keeps
# the host tells what may run beside it).
vm_time() {
	local f=$1
	shift
	/usr/bin/time -o "$f" -f '%e %U %S' "$@"
}
vm_time_show() {
	local e u s
	read -r e u s < <(tail -n 1 "$1" 2>/dev/null) || return 0
	awk -v e="$e" -v u="$u" -v s="$s" 'BEGIN { if (e > 0) printf "%.0f s, host CPU %.0f s (%.2f cores)\n", e, u + s, (u + s) / e }'
}

# check_eq_host NAME EXPECTED ACTUAL
check_eq_host() {
	if [ "$2" = "$3" ]; then result PASS "$1"
	else result FAIL "$1" "expected $2, got $3"; fi
}

# The kernel reports that count as failures, on any console or in any log.
REPORTS_RE=$here/selftests/kernel-reports.txt

# console_reports LOG: the first report lines of a console (none: empty).
console_reports() {
	grep -anE -f "$REPORTS_RE" "$1" | head -n 20
}

# early_death LOG NAME: a kernel died before anything of the project ran
# (LOG is its console). Its reports are failures unless they are one of the
# known traces outside the module in selftests/early-boot-known.txt; a
# death with no report at all is a failure too. Returns 0 when it was a
# known trace (the caller boots again without a result), 1 after a FAIL.
early_death() {
	local log=$1 name=$2 reports known
	reports=$(console_reports "$log")
	known=$(grep -vE '^(#|$)' "$here/selftests/early-boot-known.txt")
	if [ -n "$reports" ] && [ -n "$known" ] && grep -aqE -e "$known" "$log"; then
		echo "NOTE: $name: the kernel died during boot with a known trace outside the module" \
			"(selftests/early-boot-known.txt: $(grep -aoE -e "$known" "$log" | head -n 1)); booting again"
		return 0
	fi
	report FAIL "$name: the kernel died during boot, before the tests started (log: $log)"
	if [ -n "$reports" ]; then printf '%s\n' "$reports" | sed 's/^/    /'
	else tail -n 20 "$log" | sed 's/^/    /'; fi
	return 1
}

# report PASS|FAIL NAME: what collect() found: counted, or, in a
# self-check of the harness (collecting=1), kept for expect() to compare
# with what the self-check's scripts should make it report.
collecting=0
seen=()
report() {
	if [ $collecting = 1 ]; then
		seen+=("$1: $2")
		echo "    harness reports: $1: $2"
	else
		result "$1" "$2"
	fi
}

# collect PREFIX VM RESULTS CONSOLE SCRIPT...: turn one VM's logs into
# results: RESULTS is what its init wrote to ttyS1 in the protocol of
# selftests/init.sh, CONSOLE its kernel console; PREFIX starts every
# result's name, VM (may be empty) names the VM in the lines about the VM
# itself. The SCRIPTs (names without .sh) are those it was given: each
# must have run. Reads qemu_rc and t_boot, the boot's exit status and time.
collect() {
	local prefix=$1 vm=${2:+$2: } results=$3 console=$4
	local line name rc n secs open="" count=0 total="" done=0 ran=0 times="" last=""
	shift 4
	local -A ended=()
	while IFS= read -r line; do
		case $line in
		"WGRS-SCRIPTS "*) total=${line#WGRS-SCRIPTS };;
		"WGRS-BEGIN "*)
			[ -n "$open" ] && report FAIL "$prefix $open: did not finish"
			open=${line#WGRS-BEGIN } count=0;;
		"WGRS-END "*)
			read -r name rc n secs <<<"${line#WGRS-END }"
			rc=${rc#rc=} n=${n#results=} secs=${secs#secs=}
			times+=" $name ${secs}s"
			ended[$name]=1 ran=$((ran + 1)) open=""
			if [ "$rc" = 124 ]; then report FAIL "$prefix $name: timed out (600 s)"
			elif [ "$rc" != 0 ]; then report FAIL "$prefix $name: exited with status $rc"; fi
			if [ "$n" = 0 ]; then report FAIL "$prefix $name: gave no result"
			elif [ "$n" != "$count" ]; then
				report FAIL "$prefix $name: gave $n results, $count reached the host (lost or broken lines)"
			fi;;
		WGRS-DONE) done=1;;
		*WGRS-RESULT*)
			# Well formed: the marker at the start, PASS or FAIL, a text
			# without control characters or a printk timestamp in it.
			local status="" text=""
			if [[ $line =~ ^WGRS-RESULT\ (PASS|FAIL)\ ([^[:cntrl:]]+)$ ]]; then
				status=${BASH_REMATCH[1]} text=${BASH_REMATCH[2]}
			fi
			if [ -n "$status" ] && ! [[ $text =~ \[\ *[0-9]+\.[0-9]{6}\] ]]; then
				report "$status" "$prefix $text"
				[ -n "$open" ] && count=$((count + 1))
				last=$status
			else
				report FAIL "$prefix malformed result line: $(printf '%s' "$line" | tr -d '[:cntrl:]' | cut -c1-160)"
				last=""
			fi;;
		"    "*)
			# A failed check's details (indented), shown under it.
			[ "$last" = FAIL ] && [ $collecting = 0 ] && printf '%s\n' "$line" | cut -c1-200;;
		*) last="";;
		esac
	done < <(grep -a -E '^(WGRS-|    )|WGRS-RESULT' "$results")
	[ -n "$open" ] && report FAIL "$prefix $open: did not finish (the VM stopped during it)"
	[ -z "$times" ] || echo "== $prefix ${vm}script times (guest clock):$times"
	if [ $# -gt 0 ]; then
		local missing=() s
		for s in "$@"; do [ -n "${ended[$s]:-}" ] || missing+=("$s"); done
		if [ ${#missing[@]} = 0 ] && [ "${total:-0}" = $# ]; then
			report PASS "$prefix ${vm}ran $ran of $# test scripts"
		else
			report FAIL "$prefix ${vm}ran $ran of $# test scripts (the VM counted ${total:-none}; missing: ${missing[*]})"
		fi
	fi
	if [ $done = 1 ]; then
		report PASS "$prefix ${vm}VM ran all tests and shut down ($qemu_rc, ${t_boot}s)"
	else
		report FAIL "$prefix ${vm}VM did not finish (qemu exit $qemu_rc after ${t_boot}s); last lines of $console:"
		[ $collecting = 1 ] || tail -n 30 "$console" | sed 's/^/    /'
	fi
	local reports
	reports=$(console_reports "$console")
	if [ -z "$reports" ]; then
		report PASS "$prefix ${vm}console has no kernel warnings or sanitizer reports"
	else
		report FAIL "$prefix ${vm}console has kernel reports"
		[ $collecting = 1 ] || printf '%s\n' "$reports" | sed 's/^/    /'
	fi
}

# expect STATUS REGEX WHAT: in a self-check, one result of the harness
# under test must be STATUS with a name matching REGEX (ERE); it is used up.
declare -A used=()
expect() {
	local i
	for i in "${!seen[@]}"; do
		[ -z "${used[$i]:-}" ] || continue
		if [[ ${seen[$i]} =~ ^$1:\ $2 ]]; then
			used[$i]=1
			result PASS "[$flavor] harness self-check: $3 (reported: ${seen[$i]})"
			return
		fi
	done
	result FAIL "[$flavor] harness self-check: $3 (no $1 result matching '$2')"
}
# Any failure the self-check did not ask for is a fault of the harness.
expect_nothing_else() {
	local i
	for i in "${!seen[@]}"; do
		[ -z "${used[$i]:-}" ] || continue
		case ${seen[$i]} in
		FAIL:*) result FAIL "[$flavor] harness self-check: unexpected: ${seen[$i]}";;
		esac
	done
	seen=() used=()
}
